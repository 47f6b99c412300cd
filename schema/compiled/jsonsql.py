"""Root fields answered by PostgreSQL as JSON: the selection of a compiled root field becomes
one expression that builds its whole value with `json_build_object`/`json_agg`, and the
operation's root fields so compiled go to the database as one statement, whose text the
response splices in as it is (no rows decoded, no value re-encoded in Python).

The expressions follow the lean completion (schema/compiled/execute.py) field for field: the
same orders, the same page arithmetic (schema/compiled/roots.py `slice_page`, `paginate`), the
same figures (needs read the kept supply of `hub.matching.places`, which the triggers keep
equal to the full computation). Field collection and argument coercion are graphql-core's,
through the run's `collect` and `arguments`, so keys and their order are the executor's.

What a root field reaches that PostgreSQL cannot print exactly as Python does (the floats
`lat` and `lon`: 106.0 prints as 106), or that the hub reads through the ORM (a name search,
the mentors' filters), raises `NotSql`: that root field is completed from rows instead. A
non-null relation without a row makes the statement fail, so the executor answers with its
error (`GiveBack`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetails

from hub.core import HubError
from hub.core.ids import encode_cursor, parse_global_id
from hub.matching import needs_of_kecamatan_sql
from models.enums import RegionLevel
from schema.common import decode_cursor, page_size
from schema.compiled import roots
from schema.compiled.fallback import GiveBack
from schema.compiled.loads import HELD

if TYPE_CHECKING:
    from schema.compiled.execute import Run

MAX_KEYS = 50
"""PostgreSQL functions take at most 100 arguments: 50 keys and their values."""


class NotSql(Exception):
    """This root field is completed from rows, not built by the database."""


@dataclass(frozen=True)
class ConnectionRows:
    """The rows of a connection: `FROM {table} a WHERE {where(a)} ORDER BY {order(a)}` for
    the alias `a` the statement gives the table."""

    table: str
    where: Callable[[str], str]
    order: Callable[[str], str]


Build = Callable[["JsonSql", str, GraphQLObjectType, str, list[FieldDetails]], str]
"""A field's expression: (statement, parent alias, parent type, field name, details)."""


class JsonSql:
    """The statement being built for the root fields of one operation: its parameters and the
    aliases used so far."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.params: list[Any] = []
        self.aliases = 0

    def param(self, value: Any, cast: str = "") -> str:
        self.params.append(value)
        return f"${len(self.params)}{cast}"

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # Objects and their fields

    def object(self, type_: GraphQLObjectType, details: Sequence[FieldDetails], a: str) -> str:
        """The JSON object the selection asks for, of the row `a`."""
        fields = FIELDS.get(type_.name)
        if fields is None:
            raise NotSql(type_.name)
        grouped = self.run.collect(type_, details)
        if len(grouped) > MAX_KEYS:
            raise NotSql(f"{type_.name}: more than {MAX_KEYS} keys")
        parts = []
        for key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if name == "__typename":
                value = _text(type_.name)
            else:
                build = fields.get(name)
                if build is None:
                    raise NotSql(f"{type_.name}.{name}")
                value = build(self, a, type_, name, field_details)
            parts += [_text(key), value]
        return f"json_build_object({', '.join(parts)})"

    def one(
        self,
        type_: GraphQLObjectType,
        name: str,
        details: list[FieldDetails],
        table: str,
        condition: Callable[[str], str],
    ) -> str:
        """A related object (or null): the row of `table` meeting `condition(alias)`."""
        field_def = type_.fields[name]
        target = get_named_type(field_def.type)
        assert isinstance(target, GraphQLObjectType)
        t = self.alias()
        found = f"(SELECT {self.object(target, details, t)} FROM {table} {t} WHERE {condition(t)})"
        if not isinstance(field_def.type, GraphQLNonNull):
            return found
        # A non-null object without a row: a division by zero (by a volatile zero, so that it
        # is not folded in advance) fails the statement, and the executor answers with its error.
        missing = "json_build_object('missing', 1 / (random() * 0)::int)"
        return f"COALESCE({found}, {missing})"

    def many(
        self,
        type_: GraphQLObjectType,
        name: str,
        details: list[FieldDetails],
        from_: Callable[[str], str],
        order: Callable[[str], str],
        item: GraphQLObjectType | None = None,
    ) -> str:
        """A list of related objects: `from_(alias)` gives the FROM and WHERE of its rows."""
        target = item or get_named_type(type_.fields[name].type)
        assert isinstance(target, GraphQLObjectType)
        t = self.alias()
        built = self.object(target, details, t)
        return (
            f"COALESCE((SELECT json_agg({built} ORDER BY {order(t)}) FROM {from_(t)}), '[]'::json)"
        )

    def connection(
        self,
        owner: GraphQLObjectType,
        name: str,
        details: list[FieldDetails],
        source: ConnectionRows,
        *,
        root: bool = False,
    ) -> str:
        """A page of a connection with its edges, cursors, page info and total, as
        `slice_page` (or, at the root, `paginate`) makes it."""
        field_def = owner.fields[name]
        args = self.run.arguments(owner, field_def, details[0])
        try:
            limit = page_size(args.get("first"))
            start = decode_cursor(args.get("after")) + 1
        except HubError as error:
            raise GiveBack(str(error)) from error
        connection = get_named_type(field_def.type)
        assert isinstance(connection, GraphQLObjectType)
        grouped = self.run.collect(connection, details)
        names = {d[0].node.name.value for d in grouped.values()}
        t, c = self.alias(), self.alias()
        rows = f"{source.table} {t} WHERE {source.where(t)}"
        if "totalCount" in names:
            counted = f"SELECT count(*) AS n FROM {rows}"
        else:  # whether there is a next page is all that is needed
            bound = self.param(start + limit + 1, "::int")
            counted = f"SELECT count(*) AS n FROM (SELECT 1 FROM {rows} LIMIT {bound}) {t}_n"
        n = f"{c}.n"
        on_page = f"LEAST(GREATEST({n} - {start}, 0), {limit})"
        parts = []
        for key, field_details in grouped.items():
            field = field_details[0].node.name.value
            if field == "__typename":
                value = _text(connection.name)
            elif field == "totalCount":
                value = n
            elif field == "pageInfo":
                # At the root an empty page (`first: 0`) reads no row: no next page, as
                # `paginate` says.
                has_next = "false" if root and not limit else f"({start + limit} < {n})"
                value = self.page_info(connection, field_details, has_next, start, on_page)
            else:
                value = self.edges(connection, field_details, source, start, limit)
            parts += [_text(key), value]
        return f"(SELECT json_build_object({', '.join(parts)}) FROM ({counted}) {c})"

    def page_info(
        self,
        connection: GraphQLObjectType,
        details: list[FieldDetails],
        has_next: str,
        start: int,
        on_page: str,
    ) -> str:
        type_ = get_named_type(connection.fields["pageInfo"].type)
        assert isinstance(type_, GraphQLObjectType)
        values = {
            "__typename": _text(type_.name),
            "hasNextPage": has_next,
            "hasPreviousPage": "true" if start > 0 else "false",
            "startCursor": f"CASE WHEN {on_page} > 0 THEN {_text(encode_cursor(start))} END",
            "endCursor": f"CASE WHEN {on_page} > 0 THEN {_cursor(f'{start} - 1 + {on_page}')} END",
        }
        parts = []
        for key, field_details in self.run.collect(type_, details).items():
            parts += [_text(key), values[field_details[0].node.name.value]]
        return f"json_build_object({', '.join(parts)})"

    def edges(
        self,
        connection: GraphQLObjectType,
        details: list[FieldDetails],
        source: ConnectionRows,
        start: int,
        limit: int,
    ) -> str:
        edge = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        node = get_named_type(edge.fields["node"].type)
        assert isinstance(node, GraphQLObjectType)
        t = self.alias()
        order = source.order(t)
        parts = []
        for key, field_details in self.run.collect(edge, details).items():
            field = field_details[0].node.name.value
            if field == "__typename":
                value = _text(edge.name)
            elif field == "cursor":
                value = _cursor(f"{start} - 1 + {t}.rn")
            else:
                value = self.object(node, field_details, t)
            parts += [_text(key), value]
        # The page first, then its rows numbered: no window over rows outside the page.
        page = (
            f"SELECT {t}.*, row_number() OVER (ORDER BY {order}) AS rn FROM (SELECT * FROM "
            f"{source.table} {t} WHERE {source.where(t)} ORDER BY {order} "
            f"LIMIT {self.param(limit, '::int')} OFFSET {self.param(start, '::int')}) {t}"
        )
        return (
            f"COALESCE((SELECT json_agg(json_build_object({', '.join(parts)}) ORDER BY {t}.rn) "
            f"FROM ({page}) {t}), '[]'::json)"
        )

    # Roots

    def root(self, query: GraphQLObjectType, details: list[FieldDetails]) -> str:
        """The expression of one root field's value."""
        name = details[0].node.name.value
        field_def = query.fields[name]
        args = self.run.arguments(query, field_def, details[0])
        if name in {"kecamatan", "kota"}:
            level = RegionLevel.KECAMATAN if name == "kecamatan" else RegionLevel.KOTA
            target = get_named_type(field_def.type)
            assert isinstance(target, GraphQLObjectType)
            t = self.alias()
            return (
                f"(SELECT {self.object(target, details, t)} FROM region {t} "
                f"WHERE {t}.code = {self.param(args['code'])} AND {t}.level = '{level.value}')"
            )
        if name == "kotas":
            return self.many(
                query,
                name,
                details,
                lambda t: f"region {t} WHERE {t}.level = '{RegionLevel.KOTA.value}'",
                lambda t: f"{t}.code",
            )
        if name == "sectors":
            return self.many(
                query, name, details, lambda t: f"sector {t}", lambda t: f"{t}.position, {t}.code"
            )
        if name == "node":
            return self.node(details, args["id"])
        shape = roots.sql_shape(name, args)
        if shape is None:
            raise NotSql(name)
        table, where, params, order = shape
        condition = self.placeholders(where, params)  # unqualified: the root's table is outermost
        source = ConnectionRows(
            table,
            lambda t: condition,
            lambda t: ", ".join(f"{t}.{c.strip()}" for c in order.split(",")),
        )
        return self.connection(query, name, details, source, root=True)

    def node(self, details: list[FieldDetails], id_: str) -> str:
        """`node(id:)` of a compiled type: its row by primary key (null when there is none, or
        when a region is not of the id's level), as `schema.nodes.resolve_nodes` reads it."""
        parsed = parse_global_id(id_)
        if parsed is None or parsed[0] not in NODE_TABLES:
            raise NotSql("node: not the id of a compiled type")  # the executor says what it is
        type_name, pk = parsed
        table, condition = NODE_TABLES[type_name]
        type_ = self.run.schema.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        t = self.alias()
        where = f"{t}.id = {self.param(pk, '::int')}" + (
            f" AND {t}.{condition}" if condition else ""
        )
        return f"(SELECT {self.object(type_, details, t)} FROM {table} {t} WHERE {where})"

    def placeholders(self, where: str, params: Sequence[Any]) -> str:
        """`where` with its `?` as this statement's parameters."""
        parts = where.split("?")
        assert len(parts) == len(params) + 1
        text = parts[0]
        for value, part in zip(params, parts[1:], strict=True):
            text += self.param(value) + part
        return text


def _text(value: str) -> str:
    """A string literal (names of the schema and cursors: no quote inside, but doubled anyway)."""
    return "'" + value.replace("'", "''") + "'"


def _global_id(type_name: str) -> Build:
    prefix = _text(f"{type_name}:")
    return lambda s, a, t, n, d: f"encode(convert_to({prefix} || {a}.id, 'UTF8'), 'base64')"


def _cursor(offset: str) -> str:
    return f"encode(convert_to('cursor:' || ({offset}), 'UTF8'), 'base64')"


def _column(column: str) -> Build:
    return lambda s, a, t, n, d: f"{a}.{column}"


def _by_id(table: str, key: str) -> Build:
    return lambda s, a, t, n, d: s.one(t, n, d, table, lambda r: f"{r}.id = {a}.{key}")


def _mentors(key: str) -> Build:
    return lambda s, a, t, n, d: s.connection(
        t,
        n,
        d,
        ConnectionRows("mentor", lambda r: f"{r}.{key} = {a}.id", lambda r: f"{r}.name, {r}.id"),
    )


def _sector(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    return s.one(t, n, d, "sector", lambda r: f"{r}.id = {a}.sector_id")


def _centre(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    return s.one(t, n, d, "centre", lambda r: f"{r}.kecamatan_id = {a}.id")


def _kecamatans(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    kecamatan = RegionLevel.KECAMATAN.value
    return s.connection(
        t,
        n,
        d,
        ConnectionRows(
            "region",
            lambda r: f"{r}.level = '{kecamatan}' AND {r}.parent_id = {a}.id",
            lambda r: f"{r}.code",
        ),
    )


def _needs(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    """`hub.matching.load_needs` for one kecamatan, in the catalogue's order."""
    rows = needs_of_kecamatan_sql(f"{a}.id")
    return s.many(t, n, d, lambda r: f"({rows}) {r}", lambda r: f"{r}.position, {r}.code")


def _skills(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    rows = (
        f"SELECT k.sector_id, k.capacity, GREATEST(0, k.capacity - {HELD}) AS free "
        f"FROM mentor_skill k WHERE k.mentor_id = {a}.id"
    )
    return s.many(t, n, d, lambda r: f"({rows}) {r}", lambda r: f"{r}.sector_id")


def _community_sectors(
    s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]
) -> str:
    return s.many(
        t,
        n,
        d,
        lambda r: (
            f"community_sector l JOIN sector {r} ON {r}.id = l.sector_id "
            f"WHERE l.community_id = {a}.id"
        ),
        lambda r: "l.sector_id",
    )


def _areas(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    return s.many(
        t,
        n,
        d,
        lambda r: (
            f"community_area ca JOIN region {r} ON {r}.id = ca.region_id "
            f"WHERE ca.community_id = {a}.id"
        ),
        lambda r: f"{r}.code",
    )


def _float(s: JsonSql, a: str, t: GraphQLObjectType, n: str, d: list[FieldDetails]) -> str:
    raise NotSql(f"{t.name}.{n}: PostgreSQL prints floats otherwise than Python")


NODE_TABLES: dict[str, tuple[str, str]] = {
    "Kota": ("region", f"level = '{RegionLevel.KOTA.value}'"),
    "Kecamatan": ("region", f"level = '{RegionLevel.KECAMATAN.value}'"),
    "Centre": ("centre", ""),
    "Community": ("community", ""),
    "Mentor": ("mentor", ""),
}
"""The node types the database builds: each one's table and what its row must be."""

FIELDS: dict[str, dict[str, Build]] = {
    "Kecamatan": {
        "id": _global_id("Kecamatan"),
        "code": _column("code"),
        "name": _column("name"),
        "lat": _float,
        "lon": _float,
        "kota": _by_id("region", "parent_id"),
        "centre": _centre,
        "needs": _needs,
    },
    "SectorNeed": {
        "sector": _sector,
        "demand": _column("demand"),
        "supply": _column("supply"),
        "gap": _column("gap"),
        "waiting": _column("waiting"),
    },
    "Kota": {
        "id": _global_id("Kota"),
        "code": _column("code"),
        "name": _column("name"),
        "officialName": _column("official_name"),
        "kecamatans": _kecamatans,
    },
    "Centre": {
        "id": _global_id("Centre"),
        "name": _column("name"),
        "address": _column("address"),
        "contactEmail": _column("contact_email"),
        "contactPhone": _column("contact_phone"),
        "kecamatan": _by_id("region", "kecamatan_id"),
        "mentors": _mentors("centre_id"),
    },
    "Mentor": {
        "id": _global_id("Mentor"),
        "name": _column("name"),
        "active": _column("active"),
        "centre": _by_id("centre", "centre_id"),
        "community": _by_id("community", "community_id"),
        "skills": _skills,
    },
    "MentorSkill": {
        "capacity": _column("capacity"),
        "free": _column("free"),
        "sector": _sector,
    },
    "Sector": {
        "code": _column("code"),
        "name": _column("name"),
        "nameEn": _column("name_en"),
    },
    "Community": {
        "id": _global_id("Community"),
        "name": _column("name"),
        "kind": _column("kind"),
        "description": _column("description"),
        "audiences": lambda s, a, t, n, d: (
            f"CASE WHEN jsonb_typeof({a}.audiences) = 'array' THEN {a}.audiences::json "
            "ELSE '[]'::json END"
        ),
        "memberCount": _column("member_count"),
        "sectors": _community_sectors,
        "areas": _areas,
        "servesAnywhere": lambda s, a, t, n, d: (
            f"NOT EXISTS (SELECT 1 FROM community_area ca WHERE ca.community_id = {a}.id)"
        ),
        "mentors": _mentors("community_id"),
    },
    "Area": {
        "code": _column("code"),
        "name": _column("name"),
        "level": _column("level"),
    },
}
"""Per compiled type, each field's expression (the fields of schema/compiled/specs.py)."""
