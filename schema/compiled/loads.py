"""What the compiled path reads: for each planned field, one statement for all the objects of
a level, as the preloaders of schema/*/preload.py do, without model instances and without
building the SQL anew each time (the ids go in as one array parameter on PostgreSQL).

Rows are plain dicts. A relation's loader takes the rows of one level and returns, per row,
its related row (or None) or its list of rows, in the order the reference path lists them."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise import connections

from hub import matching
from models.enums import OPEN_PLAN_STATUSES

Row = dict[str, Any]
Loaded = list[Any]
"""Per parent row: a row, None, or a list of rows."""
Load = Callable[[Sequence[Row]], Awaitable[Loaded]]

REGION = ("id", "code", "name", "official_name", "lat", "lon", "parent_id", "level")
CENTRE = ("id", "name", "address", "contact_email", "contact_phone", "kecamatan_id")
COMMUNITY = ("id", "name", "kind", "description", "audiences", "member_count")
MENTOR = ("id", "name", "active", "centre_id", "community_id")
SECTOR = ("id", "code", "name", "name_en")
_OPEN = ", ".join(f"'{status.value}'" for status in OPEN_PLAN_STATUSES)
HELD = (
    "COALESCE((SELECT SUM(a.mentees) FROM allocation a JOIN plan p ON p.id = a.plan_id "
    f"WHERE a.mentor_id = k.mentor_id AND a.sector_id = k.sector_id AND p.status IN ({_OPEN})"
    "), 0)"
)
"""The mentees the open plans hold of the skill `k` (a `mentor_skill` row): its capacity less
this is its free places."""


async def select(sql: str, ids: Sequence[int]) -> list[Row]:
    """The rows of `sql`, whose `{ids}` stands for the condition "is one of `ids`"."""
    if not ids:
        return []
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        return list(await client.execute_query_dict(sql.format(ids="= ANY($1::int[])"), [ids]))
    marks = ",".join("?" * len(ids))
    return list(await client.execute_query_dict(sql.format(ids=f"IN ({marks})"), list(ids)))


def mentor_row(row: Row) -> Row:
    row["active"] = bool(row["active"])  # SQLite has no booleans
    return row


def community_row(row: Row) -> Row:
    audiences = row["audiences"]
    row["audiences"] = json.loads(audiences) if isinstance(audiences, str | bytes) else audiences
    return row


def _cols(columns: Sequence[str], alias: str = "") -> str:
    return ", ".join(f"{alias}{c}" for c in columns)


def _ids(rows: Sequence[Row], key: str) -> list[int]:
    return sorted({row[key] for row in rows if row[key] is not None})


async def _by_id(table: str, columns: Sequence[str], ids: list[int]) -> dict[int, Row]:
    found = await select(f"SELECT {_cols(columns)} FROM {table} WHERE id {{ids}}", ids)
    return {row["id"]: row for row in found}


def _one(rows: Sequence[Row], key: str, found: dict[int, Row]) -> Loaded:
    return [found.get(row[key]) if row[key] is not None else None for row in rows]


def _groups(rows: Sequence[Row], children: list[Row], key: str) -> Loaded:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for child in children:
        grouped[child[key]].append(child)
    return [grouped.get(row["id"], []) for row in rows]


async def kecamatan_kota(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "parent_id", await _by_id("region", REGION, _ids(rows, "parent_id")))


async def kecamatan_centre(rows: Sequence[Row]) -> Loaded:
    found = await select(
        f"SELECT {_cols(CENTRE)} FROM centre WHERE kecamatan_id {{ids}}", _ids(rows, "id")
    )
    by_kecamatan = {row["kecamatan_id"]: row for row in found}
    return [by_kecamatan.get(row["id"]) for row in rows]


async def kecamatan_needs(rows: Sequence[Row]) -> Loaded:
    ids = _ids(rows, "id")
    if not ids:
        return [[] for _ in rows]
    found = await matching.load_needs(matching.Scope(kecamatan_ids=ids), await matching.sectors())
    by_id = {
        n.kecamatan.id: [
            {
                "sector": {
                    "code": s.sector.code,
                    "name": s.sector.name,
                    "name_en": s.sector.name_en,
                },
                "demand": s.demand,
                "supply": s.supply,
                "gap": s.gap,
                "waiting": s.waiting,
            }
            for s in n.sectors
        ]
        for n in found
    }
    return [by_id.get(row["id"], []) for row in rows]


async def need_sector(rows: Sequence[Row]) -> Loaded:
    return [row["sector"] for row in rows]


async def kota_kecamatans(rows: Sequence[Row]) -> Loaded:
    found = await select(
        f"SELECT {_cols(REGION)} FROM region WHERE level = 'KECAMATAN' AND parent_id {{ids}} "
        "ORDER BY code",
        _ids(rows, "id"),
    )
    return _groups(rows, found, "parent_id")


async def centre_kecamatan(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "kecamatan_id", await _by_id("region", REGION, _ids(rows, "kecamatan_id")))


async def _mentors_of(rows: Sequence[Row], key: str) -> Loaded:
    found = await select(
        f"SELECT {_cols(MENTOR)} FROM mentor WHERE {key} {{ids}} ORDER BY name, id",
        _ids(rows, "id"),
    )
    return _groups(rows, [mentor_row(row) for row in found], key)


async def centre_mentors(rows: Sequence[Row]) -> Loaded:
    return await _mentors_of(rows, "centre_id")


async def community_mentors(rows: Sequence[Row]) -> Loaded:
    return await _mentors_of(rows, "community_id")


async def community_sectors(rows: Sequence[Row]) -> Loaded:
    links = await select(
        "SELECT l.community_id, s.id, s.code, s.name, s.name_en FROM community_sector l "
        "JOIN sector s ON s.id = l.sector_id WHERE l.community_id {ids} ORDER BY l.sector_id",
        _ids(rows, "id"),
    )
    return _groups(rows, links, "community_id")


async def community_areas(rows: Sequence[Row]) -> Loaded:
    links = await select(
        "SELECT a.community_id, r.code, r.name, r.level FROM community_area a "
        "JOIN region r ON r.id = a.region_id WHERE a.community_id {ids} ORDER BY r.code",
        _ids(rows, "id"),
    )
    return _groups(rows, links, "community_id")


async def mentor_skills(rows: Sequence[Row]) -> Loaded:
    """Each mentor's skills by sector, with the places its open plans hold and the sector
    itself, in one statement."""
    skills = await select(
        f"SELECT k.mentor_id, k.capacity, s.id, s.code, s.name, s.name_en, {HELD} AS used "
        "FROM mentor_skill k JOIN sector s ON s.id = k.sector_id "
        "WHERE k.mentor_id {ids} ORDER BY k.sector_id",
        _ids(rows, "id"),
    )
    built = [
        {
            "mentor_id": skill["mentor_id"],
            "capacity": skill["capacity"],
            "free": max(0, skill["capacity"] - int(skill["used"])),
            "sector": {k: skill[k] for k in SECTOR},
        }
        for skill in skills
    ]
    return _groups(rows, built, "mentor_id")


async def skill_sector(rows: Sequence[Row]) -> Loaded:
    return [row["sector"] for row in rows]


async def mentor_centre(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "centre_id", await _by_id("centre", CENTRE, _ids(rows, "centre_id")))


async def mentor_community(rows: Sequence[Row]) -> Loaded:
    found = await _by_id("community", COMMUNITY, _ids(rows, "community_id"))
    return _one(rows, "community_id", {k: community_row(v) for k, v in found.items()})
