"""Benchmark: `hub report` at national size on PostgreSQL (issue 16, point 5).

    python bench/reports.py --database-url URL [--month 2026-10] [--kota CODE] [--runs 3]

URL names a database holding the national dataset (`hub seed --synthetic national`, loaded
once). The month gets a snapshot on every one of its days, written in bulk: the day's real
figures (`matching.coverage()` over all 7,285 kecamatan) once, copied by one INSERT … SELECT per
further day with the covered places moved a little per day so that the coverage lines are not
flat. Snapshots already there are kept (the benchmark can run again). Then `hub report` runs as
an operator runs it, a new process each time, for the whole country and for one kota (default:
the kota with the most kecamatan), as CSV and as HTML, `--runs` times each; the wall time
includes the interpreter's start and the database's opening. A breakdown in this process
follows: the report's four statements (`build_report`) and the rendering of each format.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tortoise import connections

from hub import matching
from hub.core import Settings, open_database
from hub.reports import build_report, parse_month, report_csv, report_html, take_snapshot
from hub.reports.snapshots import covered_places
from models.reports import KecamatanSnapshot, SnapshotDay


async def write_snapshots(month_text: str) -> int:
    """A snapshot for every day of the month; the number of days written now."""
    month = parse_month(month_text)
    days = [
        month.first_day + dt.timedelta(days=n)
        for n in range((month.last_day - month.first_day).days + 1)
    ]
    have = set(await SnapshotDay.filter(day__in=days).values_list("day", flat=True))
    missing = [d for d in days if d not in have]
    if not missing:
        return 0
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    first, *others = missing
    rows = await matching.coverage()
    await KecamatanSnapshot.bulk_create(
        [
            KecamatanSnapshot(
                day=first,
                kecamatan_id=r.kecamatan.id,
                demand=r.demand,
                supply=r.supply,
                gap=r.gap,
                waiting=r.waiting,
                covered=covered_places(r.gap, r.coalition_coverage),
                coverage=r.coalition_coverage,
            )
            for r in rows
        ],
        batch_size=2000,
    )
    await SnapshotDay.create(day=first, kecamatans=len(rows))
    p = ["$1", "$2", "$3"] if postgres else ["?", "?", "?"]
    for day in others:
        shift = (day - first).days % 7  # covered places drift a little from day to day
        await connection.execute_query(
            "INSERT INTO kecamatan_snapshot "
            "(day, kecamatan_id, demand, supply, gap, waiting, covered, coverage) "
            "SELECT "
            f"{p[0]}, kecamatan_id, demand, supply, gap, waiting, "
            f"CASE WHEN covered >= {p[1]} THEN covered - {p[1]} ELSE covered END, "
            f"CASE WHEN gap = 0 THEN 1.0 WHEN covered >= {p[1]} "
            f"THEN (covered - {p[1]}) * 1.0 / gap ELSE coverage END "
            f"FROM kecamatan_snapshot WHERE day = {p[2]}",
            [day, shift, first],
        )
        await SnapshotDay.create(day=day, kecamatans=len(rows))
    return len(missing)


async def largest_kota() -> str:
    rows = await connections.get("default").execute_query_dict(
        "SELECT k.code, COUNT(*) AS n FROM region r JOIN region k ON k.id = r.parent_id "
        "WHERE r.level = 'KECAMATAN' GROUP BY k.code ORDER BY n DESC, k.code LIMIT 1"
    )
    return str(rows[0]["code"])


async def breakdown(month: str, kota: str | None) -> dict[str, float]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    report = await build_report(month=month, kota_code=kota)
    times["build_report"] = time.perf_counter() - start
    start = time.perf_counter()
    report_csv(report)
    times["csv"] = time.perf_counter() - start
    start = time.perf_counter()
    page = await report_html(report)
    times["html"] = time.perf_counter() - start
    times["rows"] = len(report.rows)
    times["html_bytes"] = len(page.encode())
    return times


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(
    database_url: str, month: str, kota: str | None, file_format: str
) -> tuple[float, float]:
    """Wall and CPU seconds of one `hub report` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_WORKER="off")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"report.{file_format}"
        command = [sys.executable, "-m", "hub.cli", "report", "--month", month]
        if kota:
            command += ["--kota", kota]
        command += ["--format", file_format, str(target)]
        start, cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"hub report failed: {done.stderr.strip()}")
        return time.perf_counter() - start, children_cpu() - cpu


async def prepare(database_url: str, month: str, kota: str | None) -> tuple[int, str, float]:
    """Snapshots for the month, the kota to report on, and the seconds the worker's own
    snapshot of one day takes (written under the day before the month, then removed)."""
    settings = Settings(database_url=database_url, worker_enabled=False)
    async with open_database(settings, create=False):
        written = await write_snapshots(month)
        spare = parse_month(month).first_day - dt.timedelta(days=1)
        await KecamatanSnapshot.filter(day=spare).delete()
        await SnapshotDay.filter(day=spare).delete()
        start = time.perf_counter()
        await take_snapshot(day=spare)
        one_day = time.perf_counter() - start
        await KecamatanSnapshot.filter(day=spare).delete()
        await SnapshotDay.filter(day=spare).delete()
        return written, kota or await largest_kota(), one_day


async def measure(database_url: str, month: str, kota: str) -> dict[str, dict[str, float]]:
    settings = Settings(database_url=database_url, worker_enabled=False)
    async with open_database(settings, create=False):
        await build_report(month=month)  # warm the database's caches like a second run
        return {
            "country": await breakdown(month, None),
            f"kota {kota}": await breakdown(month, kota),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--kota", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    written, kota, one_day = asyncio.run(prepare(args.database_url, args.month, args.kota))
    print(
        f"the worker's snapshot of one day (every kecamatan): {one_day:.2f} s\n"
        f"snapshots: {written} days written in {time.perf_counter() - start:.1f} s "
        f"(month {args.month}); load average {os.getloadavg()[0]:.1f}; "
        f"{platform.python_version()}, {os.cpu_count()} cores"
    )
    print(
        "\n| scope | format | runs | wall median s | wall max s | CPU median s |"
        "\n|---|---|---|---|---|---|"
    )
    for scope, code in (("country", None), (f"kota {kota}", kota)):
        for file_format in ("csv", "html"):
            runs = [
                run_cli(args.database_url, args.month, code, file_format) for _ in range(args.runs)
            ]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(
                f"| {scope} | {file_format} | {args.runs} | {statistics.median(walls):.2f} | "
                f"{max(walls):.2f} | {statistics.median(cpus):.2f} |"
            )
    parts = asyncio.run(measure(args.database_url, args.month, kota))
    print(
        "\n| scope | rows | build_report s | csv s | html s | html KiB |\n|---|---|---|---|---|---|"
    )
    for scope, t in parts.items():
        print(
            f"| {scope} | {int(t['rows'])} | {t['build_report']:.2f} | {t['csv']:.2f} | "
            f"{t['html']:.2f} | {t['html_bytes'] / 1024:.0f} |"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
