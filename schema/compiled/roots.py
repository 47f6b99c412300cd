"""The root fields of Query that the compiled path answers: the same domain queries and the
same argument rules as their resolvers (schema/regions/queries.py,
schema/directory/queries.py). The common ones are statements written here, their text built
once per shape (`_text`), so a read spends no time in the ORM's query building; a name
search, the mentors' filters and an area code that is no region code go through the domain
queries and `.values()`."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet

from hub.core import decode_global_id
from hub.directory import kecamatan_query
from hub.directory import queries as directory
from hub.regions.codes import ancestor_codes
from models.enums import RegionLevel
from schema.common import decode_cursor, page_size
from schema.compiled.loads import COMMUNITY, MENTOR, REGION, SECTOR, Row, community_row


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


@functools.cache
def _text(template: str, postgres: bool) -> str:
    """The statement of `template`, whose `?` are its parameters, in the dialect's
    placeholders: built once per shape of a query, so a read builds no SQL (and asyncpg finds
    its prepared statement by this text)."""
    if not postgres:
        return template
    parts = template.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


async def rows_of(template: str, params: Sequence[Any]) -> list[Row]:
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    return list(await client.execute_query_dict(_text(template, postgres), list(params)))


async def paginate_sql(
    table: str,
    columns: Sequence[str],
    where: str,
    params: Sequence[Any],
    order: str,
    args: dict[str, Any],
    count: bool,
) -> Page:
    """`paginate` over a statement written here: the same page, the same total."""
    limit = page_size(args.get("first"))
    start = decode_cursor(args.get("after")) + 1
    rows: list[Row] = []
    if limit:
        rows = await rows_of(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {where} ORDER BY {order} "
            "LIMIT ? OFFSET ?",
            [*params, limit + 1, start],
        )
    has_next = len(rows) > limit
    rows = rows[:limit]
    if count:
        counted = await rows_of(f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", params)
        total = int(counted[0]["n"])
    else:
        total = start + len(rows) + int(has_next)
    return Page(rows=rows, start=start, total=total, has_next=has_next)


_REGION_CODE = re.compile(r"[0-9]+(\.[0-9]+)*")
"""What a region code looks like: no LIKE wildcard, no letter whose case SQLite's LIKE
would ignore. Another code matches no region and is read through the ORM as before."""

Answer = Page | Row | list[Row] | None
Root = Callable[[dict[str, Any], bool], Awaitable[Answer]]


Shape = tuple[str, str, list[Any], str]
"""A root connection written as SQL: its table, condition (with `?` parameters), parameters
and order."""


def sql_shape(name: str, args: dict[str, Any]) -> Shape | None:
    """The statement of a root connection's rows, when it is written here (no name search, an
    area code that looks like one); None: the domain query reads them."""
    f = args.get("filter") or {}
    search = f.get("search")
    if search and search.strip():
        return None
    if name == "kecamatans":
        where, params = "level = ?", [RegionLevel.KECAMATAN.value]
        if f.get("kotaCode"):
            where += " AND parent_id IN (SELECT id FROM region WHERE code = ?)"
            params.append(f["kotaCode"])
        return "region", where, params, "code"
    if name == "communities":
        area_code = f.get("areaCode")
        if area_code and not _REGION_CODE.fullmatch(area_code):
            return None
        return "community", *_community_where(f), "name, id"
    return None


async def kecamatans(args: dict[str, Any], count: bool) -> Answer:
    shape = sql_shape("kecamatans", args)
    if shape is not None:
        table, where, params, order = shape
        return await paginate_sql(table, REGION, where, params, order, args, count)
    f = args.get("filter") or {}
    query = kecamatan_query(kota_code=f.get("kotaCode"), search=f.get("search"))
    return await paginate(query, REGION, args, count)


async def _region(code: str, level: RegionLevel) -> Row | None:
    rows = await rows_of(f"SELECT {', '.join(REGION)} FROM region WHERE code = ?", [code])
    return rows[0] if rows and rows[0]["level"] == level else None


async def kecamatan(args: dict[str, Any], count: bool) -> Answer:
    return await _region(args["code"], RegionLevel.KECAMATAN)


async def kota(args: dict[str, Any], count: bool) -> Answer:
    return await _region(args["code"], RegionLevel.KOTA)


async def kotas(args: dict[str, Any], count: bool) -> Answer:
    return await rows_of(
        f"SELECT {', '.join(REGION)} FROM region WHERE level = ? ORDER BY code",
        [RegionLevel.KOTA.value],
    )


async def sectors(args: dict[str, Any], count: bool) -> Answer:
    return await rows_of(f"SELECT {', '.join(SECTOR)} FROM sector ORDER BY position, code", [])


async def communities(args: dict[str, Any], count: bool) -> Answer:
    f = args.get("filter") or {}
    shape = sql_shape("communities", args)
    if shape is not None:
        table, where, params, order = shape
        page = await paginate_sql(table, COMMUNITY, where, params, order, args, count)
        return Page(
            rows=[community_row(row) for row in page.rows],
            start=page.start,
            total=page.total,
            has_next=page.has_next,
        )
    query = directory.community_query(
        kind=f.get("kind"),
        sector_code=f.get("sectorCode"),
        area_code=f.get("areaCode"),
        include_anywhere=f.get("includeAnywhere", True),
        search=f.get("search"),
    )
    return await paginate(query, COMMUNITY, args, count)


def _community_where(f: dict[str, Any]) -> tuple[str, list[Any]]:
    """`directory.community_query`'s conditions without `search`, as SQL."""
    where, params = ["1 = 1"], []
    if f.get("kind") is not None:
        where.append("kind = ?")
        params.append(str(f["kind"]))
    if f.get("sectorCode"):
        where.append(
            "id IN (SELECT l.community_id FROM community_sector l "
            "JOIN sector s ON s.id = l.sector_id WHERE s.code = ?)"
        )
        params.append(f["sectorCode"])
    area_code = f.get("areaCode")
    if area_code:
        codes = ancestor_codes(area_code)
        served = (
            "id IN (SELECT a.community_id FROM community_area a JOIN region r ON r.id = "
            f"a.region_id WHERE r.code IN ({', '.join('?' * len(codes))}) OR r.code LIKE ?)"
        )
        params += [*codes, f"{area_code}.%"]
        if f.get("includeAnywhere", True):
            served = f"({served} OR id NOT IN (SELECT community_id FROM community_area))"
        where.append(served)
    return " AND ".join(where), params


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
