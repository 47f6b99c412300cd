"""What the compiled path reads: for each planned field, one `.values()` query for all the
objects of a level, as the preloaders of schema/*/preload.py do, without model instances.

Rows are plain dicts. A relation's loader takes the rows of one level and returns, per row,
its related row (or None) or its list of rows, in the order the reference path lists them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hub import matching
from models import directory as m
from models.enums import OPEN_PLAN_STATUSES, RegionLevel
from models.plans import Allocation
from models.regions import Region

Row = dict[str, Any]
Loaded = list[Any]
"""Per parent row: a row, None, or a list of rows."""
Load = Callable[[Sequence[Row]], Awaitable[Loaded]]

REGION = ("id", "code", "name", "official_name", "lat", "lon", "parent_id", "level")
CENTRE = ("id", "name", "address", "contact_email", "contact_phone", "kecamatan_id")
COMMUNITY = ("id", "name", "kind", "description", "audiences", "member_count")
MENTOR = ("id", "name", "active", "centre_id", "community_id")
SECTOR = ("id", "code", "name", "name_en")


def _ids(rows: Sequence[Row], key: str) -> list[int]:
    return sorted({row[key] for row in rows if row[key] is not None})


async def _by_id(model: Any, columns: Sequence[str], ids: list[int]) -> dict[int, Row]:
    if not ids:
        return {}
    return {row["id"]: row for row in await model.filter(id__in=ids).values(*columns)}


def _one(rows: Sequence[Row], key: str, found: dict[int, Row]) -> Loaded:
    return [found.get(row[key]) if row[key] is not None else None for row in rows]


def _groups(rows: Sequence[Row], children: list[Row], key: str) -> Loaded:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for child in children:
        grouped[child[key]].append(child)
    return [grouped.get(row["id"], []) for row in rows]


async def kecamatan_kota(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "parent_id", await _by_id(Region, REGION, _ids(rows, "parent_id")))


async def kecamatan_centre(rows: Sequence[Row]) -> Loaded:
    ids = _ids(rows, "id")
    found = await m.Centre.filter(kecamatan_id__in=ids).values(*CENTRE) if ids else []
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
    ids = _ids(rows, "id")
    found = (
        await Region.filter(parent_id__in=ids, level=RegionLevel.KECAMATAN)
        .order_by("code")
        .values(*REGION)
        if ids
        else []
    )
    return _groups(rows, found, "parent_id")


async def centre_kecamatan(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "kecamatan_id", await _by_id(Region, REGION, _ids(rows, "kecamatan_id")))


async def _mentors_of(rows: Sequence[Row], key: str) -> Loaded:
    ids = _ids(rows, "id")
    query = m.Mentor.filter(**{f"{key}__in": ids}).order_by("name", "id")
    return _groups(rows, await query.values(*MENTOR) if ids else [], key)


async def centre_mentors(rows: Sequence[Row]) -> Loaded:
    return await _mentors_of(rows, "centre_id")


async def community_mentors(rows: Sequence[Row]) -> Loaded:
    return await _mentors_of(rows, "community_id")


async def community_sectors(rows: Sequence[Row]) -> Loaded:
    ids = _ids(rows, "id")
    links = (
        await m.CommunitySector.filter(community_id__in=ids)
        .order_by("sector_id")
        .values("community_id", "sector_id")
        if ids
        else []
    )
    sectors = await _by_id(m.Sector, SECTOR, sorted({link["sector_id"] for link in links}))
    grouped: dict[int, list[Row]] = defaultdict(list)
    for link in links:
        grouped[link["community_id"]].append(sectors[link["sector_id"]])
    return [grouped.get(row["id"], []) for row in rows]


async def community_areas(rows: Sequence[Row]) -> Loaded:
    ids = _ids(rows, "id")
    links = (
        await m.CommunityArea.filter(community_id__in=ids)
        .order_by("region__code")
        .values("community_id", code="region__code", name="region__name", level="region__level")
        if ids
        else []
    )
    return _groups(rows, links, "community_id")


async def mentor_skills(rows: Sequence[Row]) -> Loaded:
    ids = _ids(rows, "id")
    if not ids:
        return [[] for _ in rows]
    skills = (
        await m.MentorSkill.filter(mentor_id__in=ids)
        .order_by("sector_id")
        .values("mentor_id", "sector_id", "capacity")
    )
    allocated: dict[tuple[int, int], int] = defaultdict(int)
    for allocation in await Allocation.filter(
        mentor_id__in=ids, plan__status__in=OPEN_PLAN_STATUSES
    ).values("mentor_id", "sector_id", "mentees"):
        allocated[allocation["mentor_id"], allocation["sector_id"]] += allocation["mentees"]
    for skill in skills:
        used = allocated.get((skill["mentor_id"], skill["sector_id"]), 0)
        skill["free"] = max(0, skill["capacity"] - used)
    return _groups(rows, skills, "mentor_id")


async def skill_sector(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "sector_id", await _by_id(m.Sector, SECTOR, _ids(rows, "sector_id")))


async def mentor_centre(rows: Sequence[Row]) -> Loaded:
    return _one(rows, "centre_id", await _by_id(m.Centre, CENTRE, _ids(rows, "centre_id")))


async def mentor_community(rows: Sequence[Row]) -> Loaded:
    return _one(
        rows, "community_id", await _by_id(m.Community, COMMUNITY, _ids(rows, "community_id"))
    )
