"""Figures the matching reads kept, not summed per request: free places per community and
sector (`community_free_place`), demand and supply per centre and sector (`centre_supply`),
and each centre's total gap (`centre_gap`).

free(K, s) = Σ over K's active mentors of max(0, capacity in s - mentees allocated in s by
PROPOSED or ACTIVE plans); supply(C, s) = capacity of C's active mentors + mentees active
community mentors are allocated by C's ACTIVE plans; G(C) = Σ_s max(0, demand - supply)
(DESIGN section 3). Summing them from the mentors, skills and allocations (`computed`,
`supply_computed`, `gaps_computed`: the full computations) is too slow for the ~450
candidates of every complements request, or the 7,285 kecamatan a community serving the whole
country may fill, so the readers read the kept rows (`kept`, `loading.rank_reach`).

The database keeps them: row triggers on `mentor`, `mentor_skill`, `allocation`, `plan`,
`demand` and `centre_supply` (migration 0010_free_places, which also fills the tables) add to
the kept rows what each change moves, in the change's own transaction. So every writer keeps
them, whatever path it takes: the plan workflow, mentor mutations and deactivation, demand, the
CSV import, the seeds' bulk inserts, a direct ORM write. A free-places trigger adds
part(after) - part(before), part = max(0, capacity - used), for the (mentor, sector) it
touches, reading `used` as it is after the change: exact, floor included. Concurrent changes
of one row add up: an increment (`SET free = free + ...`) waits for the row lock and applies
to the committed value, so no update is lost. (Two changes of the same mentor's part at once
on PostgreSQL could each read `used` without the other's change; that matters only where the
floor applies, which the plan rules never let happen: allocations never exceed capacity, and
capacity never drops below them.)

`hub migrate` compares the kept rows with the full computations and mends any difference
(`repair`); `TRIGGERS` are the triggers a test finds on both databases (an SQLite table rebuild
by a later migration would drop its triggers).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from hub.core import is_postgres, write_transaction
from hub.matching.sql import Statement
from models.enums import OPEN_PLAN_STATUSES, PlanStatus

TRIGGERS = (
    "free_places_allocation_insert",
    "free_places_allocation_delete",
    "free_places_allocation_update",
    "free_places_plan_status",
    "free_places_plan_delete",
    "free_places_mentor_delete",
    "free_places_skill_insert",
    "free_places_skill_delete",
    "free_places_skill_update",
    "free_places_mentor_update",
    "supply_skill_insert",
    "supply_skill_delete",
    "supply_skill_update",
    "supply_allocation_insert",
    "supply_allocation_delete",
    "supply_allocation_update",
    "supply_plan_status",
    "supply_mentor_update",
    "demand_insert",
    "demand_delete",
    "demand_update",
    "gap_supply_insert",
    "gap_supply_update",
    "gap_supply_delete",
)
"""The triggers of migration 0010_free_places that keep the rows."""

Places = dict[int, dict[int, int]]
"""Free places by community id, then sector id."""


def _free_sql(statement: Statement, community_ids: Collection[int] | None = None) -> str:
    """SELECT community_id, sector_id, free: the full computation (of these communities)."""
    statuses = statement.one_of("p.status", [s.value for s in OPEN_PLAN_STATUSES])
    used = (
        "SELECT a.mentor_id, a.sector_id, SUM(a.mentees) AS used "
        f"FROM allocation a JOIN plan p ON p.id = a.plan_id WHERE {statuses} "
        "GROUP BY a.mentor_id, a.sector_id"
    )
    # after the statuses: placeholders are numbered in the order they are written
    scope = "1 = 1" if community_ids is None else statement.one_of("m.community_id", community_ids)
    free_of_mentor = (
        "CASE WHEN k.capacity > COALESCE(u.used, 0) "
        "THEN k.capacity - COALESCE(u.used, 0) ELSE 0 END"
    )
    return (
        f"SELECT m.community_id, k.sector_id, SUM({free_of_mentor}) AS free "
        "FROM mentor m JOIN mentor_skill k ON k.mentor_id = m.id "
        f"LEFT JOIN ({used}) u ON u.mentor_id = k.mentor_id AND u.sector_id = k.sector_id "
        f"WHERE m.active AND m.community_id IS NOT NULL AND {scope} "
        "GROUP BY m.community_id, k.sector_id"
    )


def _by_community(rows: Sequence[Mapping[str, int]]) -> Places:
    found: Places = {}
    for row in rows:
        if row["free"]:
            found.setdefault(int(row["community_id"]), {})[int(row["sector_id"])] = int(row["free"])
    return found


async def computed(community_ids: Collection[int] | None = None) -> Places:
    """The full computation from mentors, skills and allocations: the nonzero free places of
    these communities (None: of all). What the kept rows must always equal."""
    statement = Statement()
    return _by_community(await statement.rows(_free_sql(statement, community_ids)))


async def kept(community_ids: Collection[int] | None = None) -> Places:
    """The kept free places of these communities (None: of all), nonzero ones only (a negative
    one would be a bug, and shows)."""
    statement = Statement()
    scope = "1 = 1" if community_ids is None else statement.one_of("community_id", community_ids)
    return _by_community(
        await statement.rows(
            "SELECT community_id, sector_id, free FROM community_free_place "
            f"WHERE free <> 0 AND {scope}"
        )
    )


async def supply_computed() -> Places:
    """The full computation of every centre's nonzero supply per sector (by centre id, then
    sector id): its active mentors' capacity plus the mentees active community mentors are
    allocated by its ACTIVE plans."""
    statement = Statement()
    rows = await statement.rows(
        "SELECT x.centre_id, x.sector_id, SUM(x.amount) AS supply FROM ("
        "SELECT m.centre_id, k.sector_id, k.capacity AS amount FROM mentor m "
        "JOIN mentor_skill k ON k.mentor_id = m.id WHERE m.active AND m.centre_id IS NOT NULL "
        "UNION ALL "
        "SELECT p.centre_id, a.sector_id, a.mentees AS amount FROM plan p "
        "JOIN allocation a ON a.plan_id = p.id JOIN mentor m ON m.id = a.mentor_id "
        f"WHERE p.status = {statement.param(PlanStatus.ACTIVE.value)} AND m.active "
        "AND m.community_id IS NOT NULL) x GROUP BY x.centre_id, x.sector_id"
    )
    return _nonzero(rows, "centre_id", "supply")


async def supply_kept() -> Places:
    """Every centre's kept nonzero supply per sector."""
    statement = Statement()
    rows = await statement.rows(
        "SELECT centre_id, sector_id, supply FROM centre_supply WHERE supply <> 0"
    )
    return _nonzero(rows, "centre_id", "supply")


async def gaps_computed() -> dict[int, int]:
    """Every centre's nonzero total gap G = Σ_s max(0, demand - supply), from the demand and
    the full computation of the supplies."""
    supplies = await supply_computed()
    statement = Statement()
    totals: dict[int, int] = {}
    for row in await statement.rows("SELECT centre_id, sector_id, demand FROM demand"):
        supply = supplies.get(int(row["centre_id"]), {}).get(int(row["sector_id"]), 0)
        if row["demand"] > supply:
            centre = int(row["centre_id"])
            totals[centre] = totals.get(centre, 0) + int(row["demand"]) - supply
    return totals


async def gaps_kept() -> dict[int, int]:
    """Every centre's kept nonzero total gap."""
    statement = Statement()
    rows = await statement.rows("SELECT centre_id, gap FROM centre_gap WHERE gap <> 0")
    return {int(r["centre_id"]): int(r["gap"]) for r in rows}


async def demand_kept() -> Places:
    """The demand figures as kept beside the supplies (nonzero ones)."""
    statement = Statement()
    rows = await statement.rows(
        "SELECT centre_id, sector_id, demand FROM centre_supply WHERE demand <> 0"
    )
    return _nonzero(rows, "centre_id", "demand")


async def demand_stored() -> Places:
    """The demand table's nonzero figures."""
    statement = Statement()
    rows = await statement.rows("SELECT centre_id, sector_id, demand FROM demand WHERE demand <> 0")
    return _nonzero(rows, "centre_id", "demand")


def _nonzero(rows: Sequence[Mapping[str, int]], owner: str, amount: str) -> Places:
    found: Places = {}
    for row in rows:
        if row[amount]:
            found.setdefault(int(row[owner]), {})[int(row["sector_id"])] = int(row[amount])
    return found


def _differences(right: Places, stored: Places) -> dict[tuple[int, int], int]:
    return {
        (o, s): right.get(o, {}).get(s, 0)
        for o in right.keys() | stored.keys()
        for s in right.get(o, {}).keys() | stored.get(o, {}).keys()
        if right.get(o, {}).get(s, 0) != stored.get(o, {}).get(s, 0)
    }


async def _set(
    table: str, owner: str, amount: str, rows: dict[tuple[int, int], int], *, other: str = ""
) -> None:
    """Set `amount` of these rows (`other`, a second amount column, is 0 in new rows)."""
    if not rows:
        return
    statement = Statement()
    zero = ", 0" if other else ""
    values = ", ".join(
        f"({statement.param(o)}, {statement.param(s)}, {statement.param(n)}{zero})"
        for (o, s), n in sorted(rows.items())
    )
    columns = f"{owner}, sector_id, {amount}{', ' + other if other else ''}"
    await statement.rows(
        f"INSERT INTO {table} ({columns}) VALUES {values} "
        f"ON CONFLICT ({owner}, sector_id) DO UPDATE SET {amount} = excluded.{amount}"
    )


async def repair() -> int:
    """Set every kept figure that differs from the full computation to the computed one;
    returns how many differed (0 when the writes kept them right). Safe while the hub serves:
    writers that would add to the rows wait until the repair commits."""
    async with write_transaction() as connection:
        if is_postgres(connection):
            await connection.execute_script(
                "LOCK TABLE community_free_place, centre_supply, centre_gap IN EXCLUSIVE MODE"
            )
        return await _repair()


async def _repair() -> int:
    free = _differences(await computed(), await kept())
    supply = _differences(await supply_computed(), await supply_kept())
    demand = _differences(await demand_stored(), await demand_kept())
    await _set("community_free_place", "community_id", "free", free)
    await _set("centre_supply", "centre_id", "supply", supply, other="demand")
    await _set("centre_supply", "centre_id", "demand", demand, other="supply")
    right, kept_gaps = await gaps_computed(), await gaps_kept()
    gaps = {c for c in right.keys() | kept_gaps.keys() if right.get(c) != kept_gaps.get(c)}
    if gaps:  # the rows above moved the gaps through the triggers; set what still differs
        statement = Statement()
        await statement.rows(
            "UPDATE centre_gap SET gap = (SELECT COALESCE(SUM(CASE WHEN s.demand > s.supply "
            "THEN s.demand - s.supply ELSE 0 END), 0) FROM centre_supply s "
            "WHERE s.centre_id = centre_gap.centre_id)"
        )
    return len(free) + len(supply) + len(demand) + len(gaps)
