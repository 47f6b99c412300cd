"""The aggregated rows the matching works on, in a constant number of SQL statements.

Whatever the number of kecamatan asked for (one, a page of a hundred, a kota, the country),
`load_needs` runs three statements and `load_offers` two. The sums are made by the database
(GROUP BY); Python only receives one row per (centre, sector) and per (community, sector). The
communities' free places are read as kept by the writes (`hub.matching.places`), not summed
per request. Plain SQL, because the union of demand and the two kinds of supply is out of the
ORM's reach; it runs unchanged on SQLite and PostgreSQL (only the placeholders differ).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence

from hub.core import Invalid
from hub.matching import places
from hub.matching.scoring import CentreNeeds, KecamatanRef, Offer, SectorNeed, SectorRef
from hub.matching.sql import Statement
from hub.regions import ancestor_codes
from models.enums import (
    PlanStatus,
    RegionLevel,
    RegistrationStatus,
    TrainingStatus,
)

_DEMAND, _OWN_MENTORS, _ACTIVE_PLANS = 1, 2, 3  # the kinds of amounts in load_needs
_WAITING, _WAITING_AT_CENTRE = 4, 5  # distinct residents per sector, and per centre
INTEREST_DAYS = 90
"""Interest expressed within this many days counts as waiting."""


class Scope:
    """Which kecamatan to load: some by id, those of one kota (by region id), or all."""

    def __init__(
        self,
        *,
        kecamatan_ids: Sequence[int] | None = None,
        kota_id: int | None = None,
        province_codes: Collection[str] | None = None,
    ) -> None:
        self.kecamatan_ids = kecamatan_ids
        self.kota_id = kota_id
        self.province_codes = sorted(set(province_codes)) if province_codes is not None else None

    def condition(self, statement: Statement, kecamatan_id: str) -> str:
        if self.kecamatan_ids is not None:
            return statement.one_of(kecamatan_id, self.kecamatan_ids)
        if self.kota_id is not None:
            return (
                f"{kecamatan_id} IN (SELECT id FROM region WHERE parent_id = "
                f"{statement.param(self.kota_id)})"
            )
        if self.province_codes is not None:
            if not self.province_codes:
                return "1 = 0"
            level = statement.param(RegionLevel.KECAMATAN.value)  # placeholders in order
            inside = " OR ".join(statement.in_region("code", p) for p in self.province_codes)
            return f"{kecamatan_id} IN (SELECT id FROM region WHERE level = {level} AND ({inside}))"
        return "1 = 1"


async def sectors() -> dict[int, SectorRef]:
    """Every sector by id, in display order."""
    statement = Statement()
    rows = await statement.rows(
        "SELECT id, code, name, name_en, position FROM sector ORDER BY position, code"
    )
    return {
        r["id"]: SectorRef(r["id"], r["code"], r["name"], r["name_en"], r["position"]) for r in rows
    }


def sector_ids(codes: Sequence[str], catalogue: dict[int, SectorRef]) -> frozenset[int]:
    """The ids of sector `codes`; INVALID naming the codes that are no sector."""
    by_code = {s.code: s.id for s in catalogue.values()}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise Invalid(
            f"no sector has the code {', '.join(unknown)}; the codes are {', '.join(by_code)}",
            field=["sectors"],
        )
    return frozenset(by_code[c] for c in codes)


async def kota_id(code: str) -> int | None:
    statement = Statement()
    rows = await statement.rows(
        f"SELECT id FROM region WHERE code = {statement.param(code)} "
        f"AND level = {statement.param(RegionLevel.KOTA.value)}"
    )
    return int(rows[0]["id"]) if rows else None


async def load_needs(
    scope: Scope, catalogue: dict[int, SectorRef], *, waiting: bool = True
) -> list[CentreNeeds]:
    """Each kecamatan of `scope`, by code, with its centre's demand, supply and gap per sector.

    supply = capacity of the centre's own active mentors + mentees that active community
    mentors are allocated by the centre's ACTIVE plans. waiting = distinct residents
    waitlisted for the centre's upcoming scheduled trainings in the sector or interested
    there in the last 90 days (per centre: distinct over all its sectors); without `waiting`
    (which enters no formula) it is left at 0 and not read."""
    statement = Statement()
    kecamatans = await statement.rows(
        "SELECT r.id, r.code, r.name, r.parent_id, r.lat, r.lon, c.id AS centre_id "
        "FROM region r LEFT JOIN centre c ON c.kecamatan_id = r.id "
        f"WHERE r.level = {statement.param(RegionLevel.KECAMATAN.value)} "
        f"AND {scope.condition(statement, 'r.id')} ORDER BY r.code"
    )
    statement = Statement()
    now = dt.datetime.now(dt.UTC)
    waiting_rows = (
        "WITH waiting AS ("
        "SELECT c.kecamatan_id, t.sector_id, g.participant_id FROM registration g "
        "JOIN training t ON t.id = g.training_id JOIN centre c ON c.id = t.centre_id "
        f"WHERE g.status = {statement.param(RegistrationStatus.WAITLISTED.value)} "
        f"AND t.status = {statement.param(TrainingStatus.SCHEDULED.value)} "
        f"AND t.starts_at > {statement.param(now)} "
        f"AND {scope.condition(statement, 'c.kecamatan_id')} "
        "UNION "
        "SELECT c.kecamatan_id, i.sector_id, i.participant_id FROM interest i "
        "JOIN centre c ON c.id = i.centre_id "
        f"WHERE i.created_at >= {statement.param(now - dt.timedelta(days=INTEREST_DAYS))} "
        f"AND {scope.condition(statement, 'c.kecamatan_id')}) "
        if waiting
        else ""
    )
    counted = (
        "UNION ALL "
        f"SELECT w.kecamatan_id, w.sector_id, {_WAITING} AS kind, "
        "COUNT(DISTINCT w.participant_id) AS amount FROM waiting w "
        "GROUP BY w.kecamatan_id, w.sector_id "
        "UNION ALL "
        f"SELECT w.kecamatan_id, NULL AS sector_id, {_WAITING_AT_CENTRE} AS kind, "
        "COUNT(DISTINCT w.participant_id) AS amount FROM waiting w GROUP BY w.kecamatan_id"
        if waiting
        else ""
    )
    amounts = await statement.rows(
        f"{waiting_rows}SELECT x.kecamatan_id, x.sector_id, "
        f"SUM(CASE WHEN x.kind = {_DEMAND} THEN x.amount ELSE 0 END) AS demand, "
        f"SUM(CASE WHEN x.kind IN ({_OWN_MENTORS}, {_ACTIVE_PLANS}) THEN x.amount ELSE 0 END) "
        "AS supply, "
        f"SUM(CASE WHEN x.kind IN ({_WAITING}, {_WAITING_AT_CENTRE}) THEN x.amount ELSE 0 END) "
        "AS waiting FROM ("
        f"SELECT c.kecamatan_id, d.sector_id, {_DEMAND} AS kind, d.demand AS amount "
        "FROM demand d JOIN centre c ON c.id = d.centre_id "
        f"WHERE {scope.condition(statement, 'c.kecamatan_id')} "
        "UNION ALL "
        f"SELECT c.kecamatan_id, k.sector_id, {_OWN_MENTORS} AS kind, k.capacity AS amount "
        "FROM mentor m JOIN centre c ON c.id = m.centre_id "
        "JOIN mentor_skill k ON k.mentor_id = m.id "
        f"WHERE m.active AND {scope.condition(statement, 'c.kecamatan_id')} "
        "UNION ALL "
        f"SELECT c.kecamatan_id, a.sector_id, {_ACTIVE_PLANS} AS kind, a.mentees AS amount "
        "FROM plan p JOIN centre c ON c.id = p.centre_id "
        "JOIN allocation a ON a.plan_id = p.id JOIN mentor m ON m.id = a.mentor_id "
        f"WHERE p.status = {statement.param(PlanStatus.ACTIVE.value)} "
        "AND m.active AND m.community_id IS NOT NULL "
        f"AND {scope.condition(statement, 'c.kecamatan_id')} "
        f"{counted}) x GROUP BY x.kecamatan_id, x.sector_id HAVING SUM(x.amount) > 0"
    )
    found: dict[int, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    waiting_at: dict[int, int] = {}
    for row in amounts:
        if row["sector_id"] is None:
            waiting_at[row["kecamatan_id"]] = int(row["waiting"])
            continue
        found[row["kecamatan_id"]][row["sector_id"]] = (
            int(row["demand"]),
            int(row["supply"]),
            int(row["waiting"]),
        )
    order = list(catalogue.values())
    needs = []
    for k in kecamatans:
        kecamatan = KecamatanRef(
            id=k["id"],
            code=k["code"],
            name=k["name"],
            kota_id=k["parent_id"],
            lat=k["lat"],
            lon=k["lon"],
        )
        amounts_of = found.get(k["id"], {}) if k["centre_id"] is not None else {}
        sectors = tuple(SectorNeed(s, *amounts_of[s.id]) for s in order if s.id in amounts_of)
        waiting_here = waiting_at.get(k["id"], 0) if k["centre_id"] is not None else 0
        needs.append(CentreNeeds(kecamatan, k["centre_id"], sectors, waiting_here))
    return needs


def needs_of_kecamatan_sql(kecamatan_id: str) -> str:
    """`load_needs` for one kecamatan as a correlated PostgreSQL subquery, for a statement that
    builds its answer in the database (schema/compiled/jsonsql.py): one row per sector with
    demand, supply or residents waiting (`sector_id`, `position`, `code`, `demand`, `supply`,
    `gap`, `waiting`), the figures of the kecamatan whose id is the SQL expression
    `kecamatan_id`. Demand and supply as `places` keeps them (`centre_supply`), waiting as
    `load_needs` counts it, read at the database's clock (so the statement text holds no time
    and can be kept)."""
    waiting = (
        "(SELECT count(DISTINCT w.participant_id) FROM ("
        "SELECT g.participant_id FROM registration g JOIN training tr ON tr.id = g.training_id "
        "WHERE tr.centre_id = c.id AND tr.sector_id = sc.id "
        f"AND g.status = '{RegistrationStatus.WAITLISTED.value}' "
        f"AND tr.status = '{TrainingStatus.SCHEDULED.value}' AND tr.starts_at > now() "
        "UNION SELECT i.participant_id FROM interest i WHERE i.centre_id = c.id "
        f"AND i.sector_id = sc.id AND i.created_at >= now() - interval '{INTEREST_DAYS} days') w)"
    )
    figures = (
        "SELECT sc.id AS sector_id, sc.position, sc.code, COALESCE(cs.demand, 0) AS demand, "
        "COALESCE(cs.supply, 0) AS supply, "
        "GREATEST(COALESCE(cs.demand, 0) - COALESCE(cs.supply, 0), 0) AS gap, "
        f"{waiting} AS waiting FROM centre c CROSS JOIN sector sc LEFT JOIN centre_supply cs "
        f"ON cs.centre_id = c.id AND cs.sector_id = sc.id WHERE c.kecamatan_id = {kecamatan_id}"
    )
    return f"SELECT * FROM ({figures}) n WHERE n.demand + n.supply + n.waiting > 0"


async def load_offers(
    province_codes: Collection[str], *, whole_country: bool = False, summed: bool = False
) -> dict[str, list[Offer]]:
    """The candidates of each of `province_codes`: communities with an area in it and those
    serving anywhere, with their free places per sector (as kept: `hub.matching.places`).
    `whole_country` reads every community without filtering (for reports on all provinces at
    once); `summed` sums the free places from the mentors instead (the full computation, for
    comparisons)."""
    provinces = sorted(set(province_codes))
    statement = Statement()
    if whole_country:
        where = "1 = 1"
    elif provinces:
        where = " OR ".join(statement.in_region("r.code", p) for p in provinces)
    else:
        where = "1 = 0"
    areas = await statement.rows(
        "SELECT c.id, c.name, r.code FROM region r "
        "JOIN community_area ca ON ca.region_id = r.id JOIN community c ON c.id = ca.community_id "
        f"WHERE {where} "
        "UNION ALL "
        "SELECT c.id, c.name, NULL AS code FROM community c WHERE NOT EXISTS "
        "(SELECT 1 FROM community_area ca WHERE ca.community_id = c.id)"
    )
    names: dict[int, str] = {}
    served: dict[int, set[str]] = defaultdict(set)
    for row in areas:
        names[row["id"]] = row["name"]
        if row["code"] is not None:
            served[row["id"]].add(row["code"])

    free = await (places.computed if summed else places.kept)(None if whole_country else names)
    by_province: dict[str, list[Offer]] = {p: [] for p in provinces}
    for community_id, name in names.items():
        areas_served = tuple(sorted(served.get(community_id, ())))
        offer = Offer(community_id, name, areas_served, free.get(community_id, {}))
        reached = {a.split(".")[0] for a in areas_served} if areas_served else by_province
        for province in reached:
            if province in by_province:
                by_province[province].append(offer)
    return by_province


async def load_communities(community_ids: Collection[int]) -> list[Offer]:
    """These communities as candidates (areas served, free places per sector), by id; ids of
    no community are left out. Two statements whatever their number."""
    statement = Statement()
    areas = await statement.rows(
        "SELECT c.id, c.name, r.code FROM community c "
        "LEFT JOIN community_area ca ON ca.community_id = c.id "
        "LEFT JOIN region r ON r.id = ca.region_id "
        f"WHERE {statement.one_of('c.id', community_ids)}"
    )
    names: dict[int, str] = {}
    served: dict[int, set[str]] = defaultdict(set)
    for row in areas:
        names[row["id"]] = row["name"]
        if row["code"] is not None:
            served[row["id"]].add(row["code"])
    free = await places.kept(names)
    return [
        Offer(c, names[c], tuple(sorted(served.get(c, ()))), free.get(c, {})) for c in sorted(names)
    ]


def _code_literal(code: str | None) -> str:
    """A region code as an SQL literal (NULL for none); anything but digits and dots is
    refused."""
    if code is None:
        return "CAST(NULL AS TEXT)"
    if not code or any(c not in "0123456789." for c in code):
        raise ValueError(f"not a region code: {code!r}")
    return f"CAST('{code}' AS TEXT)"


def _reach_rules(offer: Offer) -> list[tuple[str | None, int]]:
    """The reach of `offer` as (code prefix, quarters) rules, the highest matching rule
    winning: 4 on a kecamatan served, 3 on every kecamatan of a kota served or holding an
    area served, 2 on every kecamatan of a province holding one (`scoring.reach`); one rule
    (None, 2) matching every kecamatan for a community serving anywhere."""
    if not offer.area_codes:
        return [(None, 2)]
    rules = set()
    for area in offer.area_codes:
        codes = ancestor_codes(area)
        rules.add((codes[0], 2))
        if len(codes) >= 2:
            rules.add((codes[1], 3))
        rules.add((area, 4))
    return sorted(rules, key=lambda r: (r[0] or "", r[1]))


async def rank_reach(
    offers: Sequence[Offer], *, first: int, sector_ids: frozenset[int] | None = None
) -> dict[int, list[int]]:
    """For each of `offers`, the ids of the `first` kecamatan in its reach where it would fill
    most (by score, then places filled, highest first, then code: `scoring.opportunities`),
    best first. One statement whatever the number of communities and kecamatan: the database
    computes every kecamatan's gaps from the demand and the kept supplies, the fill from the
    kept free places, and ranks. Scores are compared as the same IEEE quotients Python
    computes (reach quarters * filled / (4 * gap)), so the order is Python's."""
    if not offers or first == 0:
        return {o.community_id: [] for o in offers}
    # Literals, not parameters: every value is an integer or a region code, checked as it is
    # written. The planner sees the actual values, and no generic plan (which PostgreSQL may
    # switch a prepared statement to after five runs) ever answers.
    statement = Statement()
    rules = ", ".join(
        f"({int(o.community_id)}, {_code_literal(prefix)}, {int(q)})"
        for o in offers
        for prefix, q in _reach_rules(o)
    )
    free = ", ".join(
        f"({int(o.community_id)}, {int(s)}, {int(n)})"
        for o in offers
        for s, n in sorted(o.free.items())
        if n > 0 and (sector_ids is None or s in sector_ids)
    )
    free = free or "(0, 0, 0)"  # no free places: nothing is filled
    level = f"'{RegionLevel.KECAMATAN.value}'"
    only = (
        ""
        if sector_ids is None
        else f"AND d.sector_id IN ({', '.join(str(int(s)) for s in sorted(sector_ids))}) "
    )
    order = ' COLLATE "C"' if statement.postgres else ""
    # G per kecamatan: kept whole (centre_gap), or summed over the sectors asked for
    total = (
        "SELECT c.kecamatan_id, g.gap AS g FROM centre_gap g JOIN centre c ON c.id = g.centre_id"
        if sector_ids is None
        else "SELECT c.kecamatan_id, SUM(d.demand - d.supply) AS g FROM centre_supply d "
        f"JOIN centre c ON c.id = d.centre_id WHERE d.demand > d.supply {only}"
        "GROUP BY c.kecamatan_id"
    )
    score = (
        "CASE WHEN t.g > 0 THEN CAST(rc.q * COALESCE(fl.filled, 0) AS DOUBLE PRECISION) "
        "/ CAST(4 * t.g AS DOUBLE PRECISION) ELSE 0 END"
    )
    rows = await statement.rows(
        f"WITH rule (community_id, prefix, q) AS (VALUES {rules}), "
        f"free (community_id, sector_id, free) AS (VALUES {free}), "
        "reach AS (SELECT rl.community_id, r.id AS kecamatan_id, r.code, MAX(rl.q) AS q "
        "FROM region r JOIN rule rl ON rl.prefix IS NULL "
        "OR (rl.q = 4 AND r.code = rl.prefix) OR (rl.q < 4 AND r.code LIKE rl.prefix || '.%') "
        f"WHERE r.level = {level} GROUP BY rl.community_id, r.id, r.code), "
        f"total AS ({total}), "
        "filled AS (SELECT f.community_id, c.kecamatan_id, SUM(CASE WHEN "
        "d.demand - d.supply < f.free THEN d.demand - d.supply ELSE f.free END) AS filled "
        "FROM centre_supply d JOIN free f ON f.sector_id = d.sector_id "
        "JOIN centre c ON c.id = d.centre_id WHERE d.demand > d.supply "
        "GROUP BY f.community_id, c.kecamatan_id), "
        "ranked AS (SELECT rc.community_id, rc.kecamatan_id, ROW_NUMBER() OVER ("
        f"PARTITION BY rc.community_id ORDER BY {score} DESC, COALESCE(fl.filled, 0) DESC, "
        f"rc.code{order}) AS n FROM reach rc "
        "LEFT JOIN total t ON t.kecamatan_id = rc.kecamatan_id "
        "LEFT JOIN filled fl ON fl.community_id = rc.community_id "
        "AND fl.kecamatan_id = rc.kecamatan_id) "
        f"SELECT community_id, kecamatan_id FROM ranked WHERE n <= {int(first)} "
        "ORDER BY community_id, n"
    )
    ranked: dict[int, list[int]] = {o.community_id: [] for o in offers}
    for row in rows:
        ranked[int(row["community_id"])].append(int(row["kecamatan_id"]))
    return ranked
