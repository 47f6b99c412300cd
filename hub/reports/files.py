"""The report as files: CSV (one row per kecamatan, then the total; columns named as the GraphQL
fields) and HTML (one self-contained page with inline SVG charts, no external resource, so it
opens offline and can be mailed around)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from html import escape

from hub.core.cells import write_rows
from hub.reports.monthly import PUBLIC_FIGURES, Report, ReportRow, kota_coverage_series

FORMATS = ("html", "csv")
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
TOP = 10
"""Bars in the top-gaps and activity charts."""
LEGEND = 12
"""Kota named in the coverage chart's legend (every line still has its tooltip)."""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


COLUMNS = ["kecamatan", "name", "kota", *(camel(f) for f in PUBLIC_FIGURES)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _cells(row: ReportRow) -> list[str]:
    k = row.kecamatan
    head = [k.code, k.name, k.kota_code] if k else ["", "Total", ""]
    return head + [_cell(getattr(row, f)) for f in PUBLIC_FIGURES]


def report_csv(report: Report) -> str:
    """One row per kecamatan by code, then the total (empty `kecamatan`, name `Total`)."""
    return write_rows(COLUMNS, [_cells(r) for r in [*report.rows, report.total]])


async def report_html(report: Report) -> str:
    """The page: the figures' table and three charts (coverage per kota over the month, the
    largest gaps at the month's end, plans and trainings)."""
    series = await kota_coverage_series(month=report.month, kota_code=report.kota_code)
    scope = f"kota {report.kota_code}" if report.kota_code else "all kecamatan"
    title = f"Programme report {report.month.label}, {scope}"
    table_rows = "\n".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _cells(r)) + "</tr>" for r in report.rows
    )
    total = "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in _cells(report.total)) + "</tr>"
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in COLUMNS)
    t = report.total
    summary = (
        f"<p>{len(report.rows)} kecamatan. Gap {_cell(t.gap_start) or 'none'} → "
        f"{_cell(t.gap_end) or 'none'} places; coalition coverage "
        f"{_percent(t.coverage_start)} → {_percent(t.coverage_end)}; "
        f"{t.plans_activated} plans activated, {t.plans_completed} completed, "
        f"{t.trainings_held} trainings held, {t.participants_attended} participants attended.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1.5rem; }}
figure {{ margin: 0; }} figcaption {{ font-weight: 600; margin-bottom: .3rem; }}
svg text {{ font: 11px system-ui, sans-serif; fill: #333; }}
table {{ border-collapse: collapse; font-size: 12px; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
td:nth-child(-n+3), th:nth-child(-n+3) {{ text-align: left; }}
thead th {{ background: #f3f3f3; position: sticky; top: 0; }}
tfoot th {{ background: #f9f9e8; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>Month in Asia/Jakarta time. Start and end figures are the first and last daily snapshots
of the month (empty: no snapshot). Coverage is the share of the gap the suggested coalition
would fill; the total's is its covered places over its gap.</p>
{summary}
<div class="charts">
{_coverage_chart(series, report)}
{_gap_chart(report.rows)}
{_activity_chart(report)}
</div>
<h2>Per kecamatan</h2>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{table_rows}
</tbody>
<tfoot>{total}</tfoot>
</table>
</body>
</html>
"""


def _percent(value: float | None) -> str:
    return "none" if value is None else f"{value:.0%}"


def _empty(kind: str, caption: str, message: str) -> str:
    return (
        f"<figure><figcaption>{escape(caption)}</figcaption>"
        f'<svg class="chart" data-chart="{kind}" width="460" height="80" role="img" '
        f'aria-label="{escape(caption)}"><text x="10" y="40">{escape(message)}</text></svg>'
        "</figure>"
    )


def _coverage_chart(series: dict[str, list[tuple[dt.date, float]]], report: Report) -> str:
    caption = "Coalition coverage per kota, day by day"
    if not series:
        return _empty("coverage", caption, "No snapshots in this month.")
    width, height, left, right, top, bottom = 520, 300, 44, 12, 12, 36
    days = report.month.last_day.day
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: dt.date) -> float:
        return left + (day.day - 1) * plot_w / max(days - 1, 1)

    def y(share: float) -> float:
        return top + (1 - share) * plot_h

    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick:.0%}</text>'
        )
    for day in sorted({1, 8, 15, 22, days}):
        at = x(report.month.first_day.replace(day=day))
        parts.append(
            f'<text x="{at:.1f}" y="{height - bottom + 16}" text-anchor="middle">{day}</text>'
        )
    legend = []
    for index, (code, points) in enumerate(sorted(series.items())):
        colour = PALETTE[index % len(PALETTE)]
        path = " ".join(f"{x(d):.1f},{y(s):.1f}" for d, s in points)
        label = escape(f"{code}: " + ", ".join(f"{d.day}: {s:.0%}" for d, s in points))
        parts.append(
            f'<polyline class="kota" data-kota="{escape(code)}" points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="1.5"><title>{label}</title></polyline>'
        )
        if len(points) == 1:
            d, s = points[0]
            parts.append(f'<circle cx="{x(d):.1f}" cy="{y(s):.1f}" r="3" fill="{colour}"/>')
        if index < LEGEND:
            legend.append(f'<span style="color:{colour}">■</span> {escape(code)}')
    more = len(series) - LEGEND
    if more > 0:
        legend.append(f"and {more} more kota")
    return (
        f"<figure><figcaption>{caption}</figcaption>"
        f'<svg class="chart" data-chart="coverage" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{caption}">'
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        "day of the month</text>" + "".join(parts) + "</svg>"
        f"<div>{' '.join(legend)}</div></figure>"
    )


def _bars(
    kind: str,
    caption: str,
    labels: Sequence[str],
    groups: Sequence[Sequence[int]],
    names: Sequence[str],
) -> str:
    """Horizontal bars: one group per label, one bar per series in `names`."""
    width, left, right, bar, gap = 500, 200, 40, 12, 8
    per_group = bar * len(names) + gap
    height = 24 + per_group * len(labels) + 20
    peak = max((v for g in groups for v in g), default=0) or 1
    parts = []
    for row, (label, values) in enumerate(zip(labels, groups, strict=True)):
        top = 10 + row * per_group
        parts.append(
            f'<text x="{left - 6}" y="{top + bar * len(names) / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(label[:32])}</text>'
        )
        for index, value in enumerate(values):
            length = (width - left - right) * value / peak
            at = top + index * bar
            parts.append(
                f'<rect class="bar" x="{left}" y="{at}" width="{length:.1f}" '
                f'height="{bar - 2}" fill="{PALETTE[index]}"><title>{escape(label)}, '
                f"{escape(names[index])}: {value}</title></rect>"
                f'<text x="{left + length + 4:.1f}" y="{at + bar - 3}">{value}</text>'
            )
    legend = " ".join(
        f'<span style="color:{PALETTE[i]}">■</span> {escape(n)}' for i, n in enumerate(names)
    )
    return (
        f"<figure><figcaption>{escape(caption)}</figcaption>"
        f'<svg class="chart" data-chart="{kind}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(caption)}">'
        + "".join(parts)
        + f"</svg><div>{legend}</div></figure>"
    )


def _gap_chart(rows: Sequence[ReportRow]) -> str:
    caption = f"Largest gaps at the month's end (top {TOP})"
    ranked = sorted(
        (r for r in rows if r.kecamatan and r.gap_end),
        key=lambda r: (-(r.gap_end or 0), r.kecamatan.code if r.kecamatan else ""),
    )[:TOP]
    if not ranked:
        return _empty("gaps", caption, "No gap recorded at the month's end.")
    return _bars(
        "gaps",
        caption,
        [f"{r.kecamatan.name} ({r.kecamatan.code})" for r in ranked if r.kecamatan],
        [[r.gap_end or 0] for r in ranked],
        ["places missing"],
    )


def _activity_chart(report: Report) -> str:
    """Plans and trainings per kota (per kecamatan in a kota's report), the busiest first."""
    by_kota = report.kota_code is None
    caption = "Plans and trainings in the month, per " + ("kota" if by_kota else "kecamatan")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in report.rows:
        if r.kecamatan is None:
            continue
        key = (
            f"{r.kecamatan.kota_name} ({r.kecamatan.kota_code})"
            if by_kota
            else f"{r.kecamatan.name} ({r.kecamatan.code})"
        )
        counts = totals[key]
        counts[0] += r.plans_activated
        counts[1] += r.plans_completed
        counts[2] += r.trainings_held
    busiest = sorted(
        ((k, v) for k, v in totals.items() if any(v)), key=lambda kv: (-sum(kv[1]), kv[0])
    )[:TOP]
    if not busiest:
        return _empty("activity", caption, "No plan activated or completed, no training held.")
    return _bars(
        "activity",
        caption,
        [k for k, _ in busiest],
        [v for _, v in busiest],
        ["plans activated", "plans completed", "trainings held"],
    )
