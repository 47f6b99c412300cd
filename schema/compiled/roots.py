"""The root fields of Query that the compiled path answers: the same domain queries and the
same argument rules as their resolvers (schema/regions/queries.py,
schema/directory/queries.py), read with `.values()`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet

from hub.core import decode_global_id
from hub.directory import kecamatan_query
from hub.directory import queries as directory
from models import directory as m
from models.enums import RegionLevel
from models.regions import Region
from schema.common import decode_cursor, page_size
from schema.compiled.loads import COMMUNITY, MENTOR, REGION, SECTOR, Row


@dataclass(frozen=True)
class Page:
    """One page of a connection: its rows and where it lies in the whole list."""

    rows: Sequence[Row]
    start: int
    total: int
    has_next: bool


def slice_page(rows: Sequence[Row], *, first: int | None, after: str | None) -> Page:
    """`schema.common.slice_connection` over rows."""
    limit = page_size(first)
    start = decode_cursor(after) + 1
    return Page(
        rows=rows[start : start + limit],
        start=start,
        total=len(rows),
        has_next=start + limit < len(rows),
    )


async def paginate(
    query: QuerySet[Any], columns: Sequence[str], args: dict[str, Any], count: bool
) -> Page:
    """`schema.common.paginate` over rows."""
    limit = page_size(args.get("first"))
    start = decode_cursor(args.get("after")) + 1
    rows = list(await query.offset(start).limit(limit + 1).values(*columns)) if limit else []
    has_next = len(rows) > limit
    rows = rows[:limit]
    total = await query.count() if count else start + len(rows) + int(has_next)
    return Page(rows=rows, start=start, total=total, has_next=has_next)


Answer = Page | Row | list[Row] | None
Root = Callable[[dict[str, Any], bool], Awaitable[Answer]]


async def kecamatans(args: dict[str, Any], count: bool) -> Answer:
    f = args.get("filter") or {}
    query = kecamatan_query(kota_code=f.get("kotaCode"), search=f.get("search"))
    return await paginate(query, REGION, args, count)


async def _region(code: str, level: RegionLevel) -> Row | None:
    rows = await Region.filter(code__in=[code]).values(*REGION)
    return rows[0] if rows and rows[0]["level"] == level else None


async def kecamatan(args: dict[str, Any], count: bool) -> Answer:
    return await _region(args["code"], RegionLevel.KECAMATAN)


async def kota(args: dict[str, Any], count: bool) -> Answer:
    return await _region(args["code"], RegionLevel.KOTA)


async def kotas(args: dict[str, Any], count: bool) -> Answer:
    rows: list[Row] = await Region.filter(level=RegionLevel.KOTA).order_by("code").values(*REGION)
    return rows


async def sectors(args: dict[str, Any], count: bool) -> Answer:
    rows: list[Row] = await m.Sector.all().order_by("position", "code").values(*SECTOR)
    return rows


async def communities(args: dict[str, Any], count: bool) -> Answer:
    f = args.get("filter") or {}
    query = directory.community_query(
        kind=f.get("kind"),
        sector_code=f.get("sectorCode"),
        area_code=f.get("areaCode"),
        include_anywhere=f.get("includeAnywhere", True),
        search=f.get("search"),
    )
    return await paginate(query, COMMUNITY, args, count)


async def mentors(args: dict[str, Any], count: bool) -> Answer:
    f = args.get("filter") or {}
    community_id = (
        decode_global_id(f["communityId"], "Community", field="filter.communityId")
        if f.get("communityId")
        else None
    )
    query = directory.mentor_query(
        centre_kecamatan_code=f.get("centreKecamatanCode"),
        community_id=community_id,
        sector_code=f.get("sectorCode"),
        active=f.get("active"),
        search=f.get("search"),
    )
    return await paginate(query, MENTOR, args, count)


ROOTS: dict[str, tuple[Root, str]] = {
    "kecamatans": (kecamatans, "connection"),
    "kecamatan": (kecamatan, "one"),
    "kota": (kota, "one"),
    "kotas": (kotas, "list"),
    "sectors": (sectors, "list"),
    "communities": (communities, "connection"),
    "mentors": (mentors, "connection"),
}
"""Each compiled root field: how it reads, and whether it answers an object, a list or a page."""
