"""Importing communities, mentors and demand from CSV files (`hub import KIND FILE`).

Every row goes through the checks of the mutations (`hub.directory.communities`,
`hub.directory.mentors`, `hub.directory.demand`) and is written by the same code, with an audit
entry per changed row. All or nothing: any bad row and nothing is written; every bad row is
reported with its spreadsheet line number. Idempotent: a row equal to what is stored changes
nothing (no audit entry, no new data version). Communities are matched by name, mentors by email
(without one: by name within the same centre or community), demand by kecamatan and sector. An
import never deletes, and never changes whether a mentor is active."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.access import Viewer
from hub.core import HubError, Lookup, write_transaction
from hub.core.validation import Problems
from hub.directory.communities import (
    CommunityInput,
    check_community,
    community_values,
    save_community,
)
from hub.directory.csvfile import CsvError, LineProblem, Row, read_rows
from hub.directory.demand import DemandChange, check_sector, save_demand
from hub.directory.mentors import (
    BATCH,
    MentorValues,
    Skill,
    check_capacity_kept,
    check_mentor,
    mentor_values_many,
    resolve_home,
    save_mentor,
)
from models.directory import Community, Demand, Mentor
from models.enums import Role

CLI_IMPORT = "cli import"
"""How the audit log names the command line's imports."""

COMMAND_LINE = Viewer(role=Role.ADMIN)
"""Whoever may run `hub` on the server may change everything, as an admin."""

COMMUNITY_COLUMNS = ("name", "kind", "description", "sectors", "areas", "audiences", "member_count")
MENTOR_COLUMNS = ("name", "email", "phone", "kecamatan_code", "community", "skills")
DEMAND_COLUMNS = ("kecamatan_code", "sector", "demand")
COLUMNS = {"communities": COMMUNITY_COLUMNS, "mentors": MENTOR_COLUMNS, "demand": DEMAND_COLUMNS}

COLUMN_OF_FIELD = {
    "sectorCodes": "sectors",
    "areaCodes": "areas",
    "memberCount": "member_count",
    "centreKecamatanCode": "kecamatan_code",
    "communityId": "community",
    "kecamatanCode": "kecamatan_code",
    "sectorCode": "sector",
}
"""Input field names of the API (used by the shared checks) as the files' column names."""


@dataclass
class Change:
    """One row that changes what is stored, and how to write it."""

    line: int
    label: str
    created: bool
    write: Callable[[], Awaitable[Any]]


@dataclass
class ImportReport:
    """What an import changed (or, on a dry run or with problems, would change)."""

    kind: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.problems

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.created)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if not c.created)


def describe(error: HubError) -> str:
    """A failure as `column: message`, naming the pair for a skill."""
    path = error.field or []
    if not path:
        return error.message
    column = COLUMN_OF_FIELD.get(path[0], path[0])
    if column in {"skills", "sectors", "areas", "audiences"} and len(path) > 1:
        return f"{column}, item {int(path[1]) + 1}: {error.message}"
    return f"{column}: {error.message}"


def _report_row(report: ImportReport, row: Row, problems: Problems) -> None:
    report.problems.extend(LineProblem(row.line, describe(e)) for e in problems.errors)


def _codes(cell: str) -> list[str]:
    return cell.split()


def _whole_number(
    cell: str, *, problems: Problems, field_name: str, optional: bool = False
) -> int | None:
    if not cell and optional:
        return None
    try:
        return int(cell)
    except ValueError:
        problems.add(f"{cell!r} is not a whole number", [field_name])
        return None


def parse_skills(cell: str, *, problems: Problems) -> list[Skill]:
    """`KULINER:8 JASA:2` as skills; a pair that is not `SECTOR:capacity` is a problem."""
    skills: list[Skill] = []
    for index, pair in enumerate(cell.split()):
        code, colon, capacity = pair.partition(":")
        try:
            if not colon or not code:
                raise ValueError
            skills.append(Skill(sector_code=code, capacity=int(capacity), position=index))
        except ValueError:
            problems.add(
                f"{pair!r} is not SECTOR:capacity (e.g. KULINER:8)", ["skills", str(index)]
            )
    return skills


def _first_seen(report: ImportReport, seen: dict[Any, int], key: Any, row: Row, what: str) -> bool:
    """False (and a problem) when `key` already appeared on an earlier line."""
    if key in seen:
        report.problems.append(LineProblem(row.line, f"the same {what} as line {seen[key]}"))
        return False
    seen[key] = row.line
    return True


async def _plan_communities(
    rows: Sequence[Row], report: ImportReport, *, lookup: Lookup, actor_label: str
) -> None:
    await lookup.areas([c for row in rows for c in _codes(row["areas"])])
    existing = await lookup.communities_named([row["name"] for row in rows])
    seen: dict[Any, int] = {}
    for row in rows:
        problems = Problems()
        given = CommunityInput(
            name=row["name"],
            kind=row["kind"],
            description=row["description"],
            sector_codes=_codes(row["sectors"]),
            area_codes=_codes(row["areas"]),
            audiences=[a for a in row["audiences"].split(",") if a.strip()],
            member_count=_whole_number(
                row["member_count"],
                problems=problems,
                field_name="memberCount",
                optional=True,
            ),
        )
        values = await check_community(given, lookup=lookup, problems=problems)
        if problems:
            _report_row(report, row, problems)
            continue
        if not _first_seen(report, seen, values.name, row, "community"):
            continue
        community = existing.get(values.name)
        before = await community_values(community, lookup=lookup) if community else None
        if values == before:
            report.unchanged += 1
            continue

        async def write(
            community: Community | None = community, values: Any = values, before: Any = before
        ) -> None:
            await save_community(
                community=community,
                values=values,
                before=before,
                viewer=COMMAND_LINE,
                actor_label=actor_label,
                lookup=lookup,
            )

        report.changes.append(Change(row.line, f"community {values.name}", before is None, write))


@dataclass(frozen=True)
class _MentorRow:
    row: Row
    values: MentorValues
    home: tuple[int | None, int | None]


async def _stored_mentors(checked: Sequence[_MentorRow]) -> dict[Any, list[Mentor]]:
    """Stored mentors a file's rows may mean: by email (in batches), and for rows without
    an email by (name, home) among mentors without one."""
    found: dict[Any, list[Mentor]] = defaultdict(list)
    emails = sorted({c.values.email for c in checked if c.values.email})
    for start in range(0, len(emails), BATCH):
        for mentor in await Mentor.filter(email__in=emails[start : start + BATCH]).order_by("id"):
            found[mentor.email].append(mentor)
    for c in checked:
        if c.values.email is None:
            found[(c.values.name, c.home)] = await Mentor.filter(
                email__isnull=True, name=c.values.name, centre_id=c.home[0], community_id=c.home[1]
            ).limit(2)
    return found


async def _plan_mentors(
    rows: Sequence[Row], report: ImportReport, *, lookup: Lookup, actor_label: str
) -> None:
    await lookup.centres([row["kecamatan_code"] for row in rows if row["kecamatan_code"]])
    await lookup.communities_named([row["community"] for row in rows if row["community"]])
    checked: list[_MentorRow] = []
    seen: dict[Any, int] = {}
    for row in rows:
        problems = Problems()
        skills = parse_skills(row["skills"], problems=problems)
        home = await resolve_home(
            centre_code=row["kecamatan_code"],
            community_name=row["community"],
            lookup=lookup,
            problems=problems,
        )
        values = await check_mentor(
            name=row["name"],
            email=row["email"],
            phone=row["phone"],
            skills=skills,
            home=home,
            lookup=lookup,
            problems=problems,
        )
        if problems:
            _report_row(report, row, problems)
        elif _first_seen(report, seen, values.email or (values.name, home), row, "mentor"):
            checked.append(_MentorRow(row, values, home))
    stored = await _stored_mentors(checked)
    current = await mentor_values_many(
        [m for matches in stored.values() for m in matches], lookup=lookup
    )
    for c in checked:
        matches = stored.get(c.values.email or (c.values.name, c.home), [])
        if len(matches) > 1:
            report.problems.append(
                LineProblem(c.row.line, f"several mentors match {c.values.name}; give an email")
            )
            continue
        mentor = matches[0] if matches else None
        before = current[mentor.id] if mentor else None
        if c.values == before:
            report.unchanged += 1
            continue
        if mentor is not None and before is not None and before.skills != c.values.skills:
            kept = await check_capacity_kept(mentor.id, c.values)
            if kept:
                report.problems.extend(LineProblem(c.row.line, describe(e)) for e in kept)
                continue

        async def write(
            mentor: Mentor | None = mentor, values: MentorValues = c.values, before: Any = before
        ) -> None:
            await save_mentor(
                mentor=mentor,
                values=values,
                before=before,
                viewer=COMMAND_LINE,
                actor_label=actor_label,
                lookup=lookup,
            )

        label = f"mentor {c.values.name}" + (f" <{c.values.email}>" if c.values.email else "")
        report.changes.append(Change(c.row.line, label, before is None, write))


async def _plan_demand(
    rows: Sequence[Row], report: ImportReport, *, lookup: Lookup, actor_label: str
) -> None:
    centres = await lookup.centres([row["kecamatan_code"] for row in rows])
    stored = {
        (d.centre_id, d.sector_id): d
        for d in await Demand.filter(centre_id__in=[c.id for c in centres.values()])
    }
    seen: dict[Any, int] = {}
    for row in rows:
        problems = Problems()
        centre = centres.get(row["kecamatan_code"])
        if centre is None:
            problems.add(f"no centre in kecamatan {row['kecamatan_code']!r}", ["kecamatanCode"])
        sector = await check_sector(
            row["sector"], lookup=lookup, problems=problems, field=["sectorCode"]
        )
        figure = _whole_number(row["demand"], problems=problems, field_name="demand")
        if figure is not None and figure < 0:
            problems.add(f"demand must be 0 or more, not {figure}", ["demand"])
        if problems or centre is None or sector is None or figure is None:
            _report_row(report, row, problems)
            continue
        if not _first_seen(report, seen, (centre.id, sector.id), row, "kecamatan and sector"):
            continue
        current = stored.get((centre.id, sector.id))
        if current is not None and current.demand == figure:
            report.unchanged += 1
            continue
        change = DemandChange(centre=centre, sector=sector, demand=figure)

        async def write(change: DemandChange = change, current: Demand | None = current) -> None:
            await save_demand(
                change=change, row=current, viewer=COMMAND_LINE, actor_label=actor_label
            )

        label = f"demand {centre.kecamatan.code} {sector.code} = {figure}"
        report.changes.append(Change(row.line, label, current is None, write))


PLANNERS = {
    "communities": _plan_communities,
    "mentors": _plan_mentors,
    "demand": _plan_demand,
}


def _no_progress(done: int, total: int) -> None:
    return None


async def import_csv(
    kind: str,
    data: bytes,
    *,
    dry_run: bool = False,
    actor_label: str = CLI_IMPORT,
    progress: Callable[[int, int], None] = _no_progress,
) -> ImportReport:
    """Validate every row of a `communities`, `mentors` or `demand` file and, unless this is a
    dry run or any row is bad, write the changed rows in one transaction. `progress` is told
    (rows written, rows to write) as the writing goes (a progress bar)."""
    report = ImportReport(kind=kind, dry_run=dry_run)
    try:
        table = read_rows(data, columns=COLUMNS[kind])
    except CsvError as error:
        report.problems = error.problems
        return report
    report.problems.extend(table.problems)
    async with write_transaction():
        await PLANNERS[kind](table.rows, report, lookup=Lookup(), actor_label=actor_label)
        report.problems.sort(key=lambda p: p.line)
        if report.written:
            total = len(report.changes)
            for done, change in enumerate(report.changes, start=1):
                await change.write()
                progress(done, total)
    return report
