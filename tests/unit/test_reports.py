"""Pure parts of the programme reports: months in Jakarta time, the total row, the files."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.core import Invalid
from hub.reports import Month, Report, ReportRow, parse_month, report_csv, total_row
from hub.reports.monthly import KecamatanInfo
from hub.reports.snapshots import covered_places, jakarta_day, seconds_to_next_day

UTC = dt.UTC


def kecamatan(code: str, name: str) -> KecamatanInfo:
    return KecamatanInfo(1, code, name, 2, "31.71", "Jakarta Pusat", None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-11", Month(2026, 11)), ("1900-01", Month(1900, 1)), (" 2999-12 ", Month(2999, 12))],
)
def test_a_month_is_yyyy_mm(text: str, expected: Month) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-1",
        "1899-12",
        "3000-01",
        "2026/11",
        "2026-11-01",
        "",
        "x" * 10**6,
    ],
)
def test_anything_else_is_invalid_on_month(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_month(text)
    assert refused.value.field == ["month"]
    assert len(refused.value.message) < 100


def test_a_month_runs_from_midnight_to_midnight_in_jakarta() -> None:
    november = Month(2026, 11)
    assert november.starts_at == dt.datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert november.ends_at == dt.datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert (november.first_day, november.last_day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    december = Month(2026, 12)
    assert december.next_first_day == dt.date(2027, 1, 1)
    assert december.last_day == dt.date(2026, 12, 31)
    assert Month(2028, 2).last_day == dt.date(2028, 2, 29)


def test_the_day_and_the_next_midnight_are_jakartas() -> None:
    evening_utc = dt.datetime(2026, 11, 29, 18, 30, tzinfo=UTC)  # 01:30 on the 30th in Jakarta
    assert jakarta_day(evening_utc) == dt.date(2026, 11, 30)
    assert seconds_to_next_day(evening_utc) == 22.5 * 3600
    assert seconds_to_next_day(dt.datetime(2026, 11, 29, 17, tzinfo=UTC)) == 24 * 3600


def test_covered_places_come_back_from_the_share() -> None:
    assert covered_places(30, 22 / 30) == 22
    assert covered_places(7, 1 / 7) == 1
    assert covered_places(0, 1.0) == 0


def test_the_total_sums_figures_and_recomputes_coverage_from_places() -> None:
    rows = [
        ReportRow(
            kecamatan("31.71.01", "Gambir"),
            gap_start=30,
            covered_start=22,
            coverage_start=22 / 30,
            gap_end=25,
            covered_end=25,
            coverage_end=1.0,
            plans_activated=1,
            places_added=15,
        ),
        ReportRow(
            kecamatan("31.71.02", "Sawah Besar"),
            gap_start=10,
            covered_start=0,
            coverage_start=0.0,
            gap_end=0,
            covered_end=0,
            coverage_end=1.0,
            trainings_held=2,
        ),
        ReportRow(kecamatan("31.71.03", "Kemayoran")),  # no snapshot
    ]
    total = total_row(rows)
    assert total.kecamatan is None
    assert (total.gap_start, total.gap_end) == (40, 25)
    # 22 of 40 places, not the mean of the shares (0.37) nor their sum
    assert total.coverage_start == pytest.approx(22 / 40)
    assert total.coverage_end == 1.0
    assert (total.plans_activated, total.trainings_held, total.places_added) == (1, 2, 15)
    assert total.demand_start is None  # no row has it

    nothing = total_row([ReportRow(kecamatan("31.71.03", "Kemayoran"))])
    assert (nothing.gap_end, nothing.coverage_end, nothing.plans_completed) == (None, None, 0)
    no_gap = total_row([ReportRow(kecamatan("31.71.03", "K"), gap_end=0, covered_end=0)])
    assert no_gap.coverage_end == 1.0


def test_the_csv_names_its_columns_as_the_fields_and_defuses_formulas() -> None:
    row = ReportRow(
        kecamatan("31.71.01", "=HYPERLINK(1)"), gap_end=3, covered_end=1, coverage_end=1 / 3
    )
    report = Report(Month(2026, 11), None, [row], total_row([row]))
    lines = report_csv(report).splitlines()
    assert lines[0].startswith("kecamatan,name,kota,demandStart,demandEnd,")
    assert lines[0].endswith(",participantsAttended,placesAdded")
    assert lines[1] == "31.71.01,'=HYPERLINK(1),31.71,,,,,,3,,,0.3333,0,0,0,0,0,0,0"
    assert lines[2] == ",Total,,,,,,,3,,,0.3333,0,0,0,0,0,0,0"
