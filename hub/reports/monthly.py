"""The monthly programme report (DESIGN section 12): per kecamatan, the figures of the month's
first and last snapshots and what happened in the month, with a total row.

Definitions (the month runs from its first midnight to the next month's, Asia/Jakarta time):

- `…Start` / `…End`: the kecamatan's first / last daily snapshot in the month; null without one.
- `plansActivated` / `plansCompleted`: plans of the kecamatan's centre whose history records
  their activation / completion in the month.
- `trainingsHeld`: trainings hosted by the centre, DONE, that started in the month.
- `participantsRegistered`: registrations for the centre's trainings made in the month (one per
  person and training, whatever became of it); `participantsConfirmed`: those of them that are
  confirmed now; `participantsAttended`: registrations marked attended for the centre's
  trainings that started in the month.
- `placesAdded`: mentee places that came to the kecamatan in the month: the capacity of the
  centre's own mentors created in the month, plus the mentees that community mentors are
  allocated by the centre's plans activated in the month. Gross: places later withdrawn are not
  subtracted (the snapshots' supply shows the net change).
- The total sums every row, nulls left out (null when every row is null). Its coverage is
  recomputed from the summed figures, covered places over gap (1 when no place is missing), not
  summed or averaged over shares; `waitingEnd` adds up each kecamatan's distinct residents.

Whatever the number of kecamatan: four statements (the kota, the kecamatan, the snapshots, the
activity), each a set query."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from tortoise import connections

from hub.core import Invalid, NotFound
from hub.reports.snapshots import JAKARTA
from models.enums import RegionLevel, RegistrationStatus, TrainingStatus

MONTH = re.compile(r"(\d{4})-(\d{2})")
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class Month:
    """A calendar month in Asia/Jakarta time, with its bounds in UTC."""

    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> dt.date:
        return dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next_first_day - dt.timedelta(days=1)

    @property
    def starts_at(self) -> dt.datetime:
        return _midnight(self.first_day)

    @property
    def ends_at(self) -> dt.datetime:
        """The first instant after the month."""
        return _midnight(self.next_first_day)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), JAKARTA).astimezone(dt.UTC)


def parse_month(text: str, *, field: str = "month") -> Month:
    """`YYYY-MM` (e.g. `2026-11`); INVALID on `field` otherwise."""
    found = MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is not None:
        year, month = int(found[1]), int(found[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:
            return Month(year, month)
    shown = text if isinstance(text, str) and len(text) <= 20 else "this value"
    raise Invalid(f"month must be YYYY-MM, e.g. 2026-11, not {shown!r}", field=[field])


@dataclass(frozen=True)
class KecamatanInfo:
    id: int
    code: str
    name: str
    kota_id: int
    kota_code: str
    kota_name: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class ReportRow:
    """One kecamatan's line of the report (`kecamatan` None: the total)."""

    kecamatan: KecamatanInfo | None
    demand_start: int | None = None
    demand_end: int | None = None
    supply_start: int | None = None
    supply_end: int | None = None
    gap_start: int | None = None
    gap_end: int | None = None
    waiting_end: int | None = None
    coverage_start: float | None = None
    coverage_end: float | None = None
    plans_activated: int = 0
    plans_completed: int = 0
    trainings_held: int = 0
    participants_registered: int = 0
    participants_confirmed: int = 0
    participants_attended: int = 0
    places_added: int = 0
    covered_start: int | None = None
    covered_end: int | None = None


FIGURES = [f.name for f in fields(ReportRow) if f.name not in ("kecamatan",)]
PUBLIC_FIGURES = [f for f in FIGURES if not f.startswith("covered_")]
"""The figures DESIGN names, in its order (the covered places serve the total's coverage)."""


@dataclass(frozen=True)
class Report:
    month: Month
    kota_code: str | None
    rows: list[ReportRow]
    total: ReportRow


class _Sql:
    """Parameters with the dialect's placeholders."""

    def __init__(self) -> None:
        self.connection = connections.get("default")
        self.postgres = self.connection.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    async def rows(self, sql: str) -> Sequence[Mapping[str, Any]]:
        found: Sequence[Mapping[str, Any]] = (
            await self.connection.execute_query(sql, self.values)
        )[1]
        return found


def _in_scope(sql: _Sql, column: str, kota_id: int | None) -> str:
    if kota_id is None:
        return "1 = 1"
    return f"{column} IN (SELECT id FROM region WHERE parent_id = {sql.param(kota_id)})"


MAX_CODE = 40
"""A longer kota code names no kota: refused before any lookup."""


async def _kota_id(code: str) -> int:
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE:
        raise NotFound("no kota has this code", field=["kotaCode"])
    sql = _Sql()
    rows = await sql.rows(
        f"SELECT id FROM region WHERE code = {sql.param(code)} "
        f"AND level = {sql.param(RegionLevel.KOTA.value)}"
    )
    if not rows:
        raise NotFound(f"no kota has the code {code!r}", field=["kotaCode"])
    return int(rows[0]["id"])


async def _kecamatans(kota_id: int | None) -> list[KecamatanInfo]:
    sql = _Sql()
    rows = await sql.rows(
        "SELECT r.id, r.code, r.name, r.parent_id, r.lat, r.lon, "
        "k.code AS kota_code, k.name AS kota_name FROM region r "
        "LEFT JOIN region k ON k.id = r.parent_id "
        f"WHERE r.level = {sql.param(RegionLevel.KECAMATAN.value)} "
        f"AND {_in_scope(sql, 'r.id', kota_id)} ORDER BY r.code"
    )
    return [
        KecamatanInfo(
            r["id"],
            r["code"],
            r["name"],
            r["parent_id"],
            r["kota_code"] or "",
            r["kota_name"] or "",
            r["lat"],
            r["lon"],
        )
        for r in rows
    ]


SNAPSHOT_COLUMNS = ("demand", "supply", "gap", "covered", "coverage")


async def _snapshots(
    month: Month, kota_id: int | None
) -> dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Each kecamatan's first and last snapshot of the month, by kecamatan id."""
    sql = _Sql()
    first, last = sql.param(month.first_day), sql.param(month.last_day)
    rows = await sql.rows(
        "SELECT s.kecamatan_id, s.day, s.demand, s.supply, s.gap, s.waiting, s.covered, "
        "s.coverage, b.first_day, b.last_day FROM kecamatan_snapshot s JOIN ("
        "SELECT kecamatan_id, MIN(day) AS first_day, MAX(day) AS last_day "
        f"FROM kecamatan_snapshot WHERE day >= {first} AND day <= {last} "
        f"AND {_in_scope(sql, 'kecamatan_id', kota_id)} GROUP BY kecamatan_id) b "
        "ON b.kecamatan_id = s.kecamatan_id AND (s.day = b.first_day OR s.day = b.last_day)"
    )
    found: dict[int, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for row in rows:
        day = str(row["day"])
        if day == str(row["first_day"]):
            found[row["kecamatan_id"]]["first"] = row
        if day == str(row["last_day"]):
            found[row["kecamatan_id"]]["last"] = row
    return {k: (v["first"], v["last"]) for k, v in found.items()}


(
    _ACTIVATED,
    _COMPLETED,
    _HELD,
    _REGISTERED,
    _CONFIRMED,
    _ATTENDED,
    _OWN_PLACES,
    _PLAN_PLACES,
) = range(1, 9)
_ACTIVITY_FIELDS = {
    _ACTIVATED: "plans_activated",
    _COMPLETED: "plans_completed",
    _HELD: "trainings_held",
    _REGISTERED: "participants_registered",
    _CONFIRMED: "participants_confirmed",
    _ATTENDED: "participants_attended",
    _OWN_PLACES: "places_added",
    _PLAN_PLACES: "places_added",
}


async def _activity(month: Month, kota_id: int | None) -> dict[int, dict[str, int]]:
    """What happened in the month, per kecamatan: one statement of grouped subqueries."""
    sql = _Sql()

    def within(column: str) -> str:
        return f"{column} >= {sql.param(month.starts_at)} AND {column} < {sql.param(month.ends_at)}"

    def scope() -> str:
        return _in_scope(sql, "c.kecamatan_id", kota_id)

    def plans_with(kind: str) -> str:
        return (
            "SELECT e.plan_id FROM plan_event e "
            f"WHERE e.kind = {sql.param(kind)} AND {within('e.at')}"
        )

    parts = [
        f"SELECT c.kecamatan_id, {_ACTIVATED} AS kind, COUNT(*) AS amount FROM plan p "
        f"JOIN centre c ON c.id = p.centre_id WHERE p.id IN ({plans_with('ACTIVATED')}) "
        f"AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_COMPLETED} AS kind, COUNT(*) AS amount FROM plan p "
        f"JOIN centre c ON c.id = p.centre_id WHERE p.id IN ({plans_with('COMPLETED')}) "
        f"AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_HELD} AS kind, COUNT(*) AS amount FROM training t "
        "JOIN centre c ON c.id = t.centre_id "
        f"WHERE t.status = {sql.param(TrainingStatus.DONE.value)} AND {within('t.starts_at')} "
        f"AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_REGISTERED} AS kind, COUNT(*) AS amount FROM registration g "
        "JOIN training t ON t.id = g.training_id JOIN centre c ON c.id = t.centre_id "
        f"WHERE {within('g.created_at')} AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_CONFIRMED} AS kind, COUNT(*) AS amount FROM registration g "
        "JOIN training t ON t.id = g.training_id JOIN centre c ON c.id = t.centre_id "
        f"WHERE {within('g.created_at')} "
        f"AND g.status = {sql.param(RegistrationStatus.CONFIRMED.value)} "
        f"AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_ATTENDED} AS kind, COUNT(*) AS amount FROM registration g "
        "JOIN training t ON t.id = g.training_id JOIN centre c ON c.id = t.centre_id "
        f"WHERE g.attended AND {within('t.starts_at')} AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_OWN_PLACES} AS kind, SUM(k.capacity) AS amount "
        "FROM mentor m JOIN centre c ON c.id = m.centre_id "
        "JOIN mentor_skill k ON k.mentor_id = m.id "
        f"WHERE {within('m.created_at')} AND {scope()} GROUP BY c.kecamatan_id",
        f"SELECT c.kecamatan_id, {_PLAN_PLACES} AS kind, SUM(a.mentees) AS amount "
        "FROM allocation a JOIN plan p ON p.id = a.plan_id "
        "JOIN centre c ON c.id = p.centre_id JOIN mentor m ON m.id = a.mentor_id "
        f"WHERE m.community_id IS NOT NULL AND p.id IN ({plans_with('ACTIVATED')}) "
        f"AND {scope()} GROUP BY c.kecamatan_id",
    ]
    rows = await sql.rows(" UNION ALL ".join(parts))
    found: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        found[row["kecamatan_id"]][_ACTIVITY_FIELDS[row["kind"]]] += int(row["amount"] or 0)
    return found


def _row(
    kecamatan: KecamatanInfo,
    snapshots: tuple[Mapping[str, Any], Mapping[str, Any]] | None,
    activity: Mapping[str, int],
) -> ReportRow:
    figures: dict[str, Any] = dict(activity)
    if snapshots is not None:
        first, last = snapshots
        for column in SNAPSHOT_COLUMNS:
            kind = float if column == "coverage" else int
            figures[f"{column}_start"] = kind(first[column])
            figures[f"{column}_end"] = kind(last[column])
        figures["waiting_end"] = int(last["waiting"])
    return ReportRow(kecamatan=kecamatan, **figures)


def _sum(values: Collection[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def total_row(rows: Sequence[ReportRow]) -> ReportRow:
    """Every figure summed, nulls left out; coverage recomputed from the summed covered
    places and gaps."""
    sums = {
        name: _sum([getattr(r, name) for r in rows])
        for name in FIGURES
        if not name.startswith("coverage_")
    }
    for moment in ("start", "end"):
        gap, covered = sums[f"gap_{moment}"], sums[f"covered_{moment}"]
        sums[f"coverage_{moment}"] = (
            None if gap is None or covered is None else (covered / gap if gap else 1.0)
        )
    for name in FIGURES:
        if sums[name] is None and not name.endswith(("_start", "_end")):
            sums[name] = 0
    return ReportRow(kecamatan=None, **sums)


async def build_report(*, month: str, kota_code: str | None = None) -> Report:
    """The report of `month` (YYYY-MM, Jakarta time) for the whole country or one kota."""
    parsed = parse_month(month)
    kota_id = await _kota_id(kota_code) if kota_code is not None else None
    kecamatans = await _kecamatans(kota_id)
    snapshots = await _snapshots(parsed, kota_id)
    activity = await _activity(parsed, kota_id)
    rows = [_row(k, snapshots.get(k.id), activity.get(k.id, {})) for k in kecamatans]
    return Report(month=parsed, kota_code=kota_code, rows=rows, total=total_row(rows))


async def kota_coverage_series(
    *, month: Month, kota_code: str | None = None
) -> dict[str, list[tuple[dt.date, float]]]:
    """For the HTML charts: each kota's coverage (its covered places over its gap) on every
    snapshot day of the month, by kota code. One statement."""
    kota_id = await _kota_id(kota_code) if kota_code is not None else None
    sql = _Sql()
    rows = await sql.rows(
        "SELECT s.day, k.code, SUM(s.covered) AS covered, SUM(s.gap) AS gap "
        "FROM kecamatan_snapshot s JOIN region r ON r.id = s.kecamatan_id "
        "JOIN region k ON k.id = r.parent_id "
        f"WHERE s.day >= {sql.param(month.first_day)} AND s.day <= {sql.param(month.last_day)} "
        f"AND {_in_scope(sql, 's.kecamatan_id', kota_id)} GROUP BY s.day, k.code"
    )
    series: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["code"], str(r["day"]))):
        day = row["day"]
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        gap, covered = int(row["gap"] or 0), int(row["covered"] or 0)
        series[row["code"]].append((day, covered / gap if gap else 1.0))
    return dict(series)
