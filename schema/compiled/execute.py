"""Lean completion of planned reads: a validated query whose fields are compiled
(schema/compiled/specs.py) is answered from `.values()` rows with plain dicts, level by level,
without graphql-core's per-field execution, resolve infos, awaitables or model instances. The
fields it does not compile, where it may leave them to the executor, are executed by it, each
with its subtree (schema/compiled/fallback.py).

Field collection (fragments, `@include`/`@skip`, aliases, merging) and argument coercion are
graphql-core's own functions, run once per selection set and level rather than once per
object, so keys, their order and the arguments are what the reference executor sees. Anything
the reference path would answer with an error (a bad argument, a non-null field without a
value) makes the compiled path give the request back (`GiveBack`): reads change nothing, so
the reference executor then answers it, errors and all."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from asyncpg.exceptions import DivisionByZeroError
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import Executor
from graphql.execution.values import get_argument_values

from hub.core import HubError
from hub.core.ids import encode_cursor
from hub.web import ByteBoundedMemo
from schema.compiled.connection import fetch_row
from schema.compiled.fallback import SOURCES, Fallback, GiveBack
from schema.compiled.jsonsql import NODE_TABLES, JsonSql, NotSql
from schema.compiled.loads import Row
from schema.compiled.roots import ROOTS, Page, slice_page
from schema.compiled.specs import (
    CONNECTION_FIELDS,
    EDGE_FIELDS,
    PAGE_INFO_FIELDS,
    TYPES,
    Relation,
    Scalar,
)
from schema.hygiene import argument_problems


class Compiled(enum.Enum):
    """How much of an operation the compiled path answers."""

    NOT = "not"
    """Nothing, or something it cannot leave to the executor: the executor answers it all."""
    PARTLY = "partly"
    """Its compiled fields, and the executor the others (schema/compiled/fallback.py)."""
    FULLY = "fully"


def compiles(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    *,
    json_roots: bool = False,
) -> Compiled:
    """How much of the operation is compiled, looking at every field it can select, in every
    fragment and whatever its directives: a static check of a valid document, kept per
    document. A field that is not compiled falls back to the executor, subtree and all, when
    it is a root field or a field of a type the fallback can give the executor (`SOURCES`);
    anywhere else it leaves the whole operation to the executor, and so does an operation
    with no compiled root field (nothing to gain), a mutation or a subscription. With
    `json_roots` (PostgreSQL builds the JSON), `node(id:)` is a compiled root field too when
    its selection is compiled for every type the database builds it for (`NODE_TABLES`)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            return Compiled.NOT
        operation = operations[0]
    else:
        named = [o for o in operations if o.name and o.name.value == operation_name]
        if len(named) != 1:
            return Compiled.NOT
        operation = named[0]
    if operation.operation is not OperationType.QUERY:
        return Compiled.NOT
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    query = schema.query_type
    assert query is not None
    found, roots = Compiled.FULLY, False
    for field in _fields(operation.selection_set, fragments, set()):
        name = field.name.value
        if name == "__typename":
            continue
        if name == "node" and json_roots and _node_compiles(schema, field, fragments):
            roots = True
            continue
        if name not in ROOTS:
            if name.startswith("__"):  # introspection stays with the executor
                return Compiled.NOT
            found = Compiled.PARTLY
            continue
        roots = True
        field_def = query.fields[name]
        below = _compiles(schema, get_named_type(field_def.type), field.selection_set, fragments)
        if below is Compiled.NOT:
            return Compiled.NOT
        if below is Compiled.PARTLY:
            found = Compiled.PARTLY
    return found if roots else Compiled.NOT


def _node_compiles(
    schema: GraphQLSchema, field: FieldNode, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """Whether `node`'s selection is compiled whole for each type the database builds."""
    for type_name in NODE_TABLES:
        type_ = schema.get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        if _compiles(schema, type_, field.selection_set, fragments, on=type_) is not Compiled.FULLY:
            return False
    return True


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
    on: GraphQLObjectType | None = None,
) -> list[FieldNode]:
    """Every field of a selection set, through fragments, whatever the directives; with `on`,
    only the fragments that apply to that type."""
    found: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            if _applies(selection.type_condition, on):
                found += _fields(selection.selection_set, fragments, seen, on)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue
            if _applies(fragments[name].type_condition, on):
                found += _fields(fragments[name].selection_set, fragments, seen | {name}, on)
    return found


def _applies(condition: NamedTypeNode | None, on: GraphQLObjectType | None) -> bool:
    if on is None or condition is None:
        return True
    name = condition.name.value
    return name == on.name or any(i.name == name for i in on.interfaces)


def _compiles(
    schema: GraphQLSchema,
    type_: Any,
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    on: GraphQLObjectType | None = None,
) -> Compiled:
    """How much of `selection_set` over `type_` is compiled (`on`: the type whose fragments
    apply, when the selection is over an interface)."""
    if not isinstance(type_, GraphQLObjectType):
        return Compiled.NOT
    name = type_.name
    if name == "PageInfo":
        allowed: set[str] | dict[str, Any] = PAGE_INFO_FIELDS
    elif name.endswith("Connection"):
        allowed = CONNECTION_FIELDS
    elif name.endswith("Edge"):
        allowed = EDGE_FIELDS
    elif name in TYPES:
        allowed = TYPES[name]
    else:
        return Compiled.NOT
    found = Compiled.FULLY
    for field in _fields(selection_set, fragments, set(), on):
        field_name = field.name.value
        if field_name == "__typename":
            continue
        if field_name not in type_.fields:
            return Compiled.NOT
        if field_name not in allowed:
            if name not in SOURCES:
                return Compiled.NOT
            found = Compiled.PARTLY  # the executor's, whatever it selects
            continue
        if field.selection_set is None:
            continue
        named = get_named_type(type_.fields[field_name].type)
        below = _compiles(schema, named, field.selection_set, fragments)
        if below is Compiled.NOT:
            return Compiled.NOT
        if below is Compiled.PARTLY:
            found = Compiled.PARTLY
    return found


_COMPILED_ROOT = {*ROOTS, "__typename"}
_JSON_ROOTS = {*_COMPILED_ROOT, "node"}
"""The root fields compiled when PostgreSQL builds the JSON: `node(id:)` too."""


class Json(str):
    """A value's JSON text, as the database built it."""


class Built:
    """The root fields the database builds (`columns`: key → expression), and their JSON texts
    by key once `read`."""

    def __init__(self, columns: dict[str, str], params: list[Any]) -> None:
        self.columns, self.params = columns, params
        self.texts: dict[str, Json] = {}

    async def read(self) -> None:
        if not self.columns:
            return
        names = [f"c{i}" for i in range(len(self.columns))]
        sql = "SELECT " + ", ".join(
            f"{expression} AS {name}"
            for expression, name in zip(self.columns.values(), names, strict=True)
        )
        try:
            row = await fetch_row(sql, self.params)
        except DivisionByZeroError as error:  # a non-null object without a row (jsonsql.py)
            raise GiveBack("a non-null value is missing") from error
        for key, name in zip(self.columns, names, strict=True):
            text = row[name]
            self.texts[key] = Json("null" if text is None else text)


class Run:
    """One compiled execution: the coerced variables and the rows read so far, and the
    executor's share of the fields when the operation compiles partly."""

    def __init__(
        self,
        context: Executor[Any],
        fallback: Fallback | None = None,
        *,
        json_sql: bool = False,
        statements: ByteBoundedMemo[Any, tuple[dict[str, str], list[Any]]] | None = None,
        key: Any = None,
    ) -> None:
        """`statements` keeps, under `key` (the document, operation and variables: all the
        statement depends on), what `built_by_database` builds."""
        self.context = context
        self.schema = context.schema
        self.fallback = fallback
        self.json_sql = json_sql
        self.statements, self.key = statements, key
        self.loaded: dict[tuple[int, str], tuple[list[Row], asyncio.Future[list[Any]]]] = {}

    def collect(
        self, type_: GraphQLObjectType, details: Sequence[FieldDetails]
    ) -> dict[str, list[FieldDetails]]:
        context = self.context
        return collect_subfields(
            self.schema,
            context.fragments,
            context.variable_values,
            context.operation,
            type_,
            list(details),
        ).grouped_field_set

    def arguments(
        self, owner: GraphQLObjectType, field_def: GraphQLField, details: FieldDetails
    ) -> dict[str, Any]:
        if not field_def.args:
            return {}
        args = get_argument_values(
            field_def,
            details.node,
            self.context.variable_values,
            details.fragment_variable_values,
        )
        name = f"{owner.name}.{details.node.name.value}"
        if argument_problems(field_def, args, owner=name):
            raise GiveBack(f"{name}: an argument the reference path refuses")
        return args

    async def root(self) -> dict[str, Any]:
        """The data of the operation: each root field's value, or on PostgreSQL its JSON text
        (`Json`) where the database builds it (schema/compiled/jsonsql.py)."""
        context = self.context
        query = self.schema.query_type
        assert query is not None
        grouped = collect_fields(
            self.schema,
            context.fragments,
            context.variable_values,
            query,
            context.operation,
        ).grouped_field_set
        # The executor's fields first (schema/compiled/fallback.py): one that fails gives the
        # request back before the compiled ones are read.
        compiled_roots = _JSON_ROOTS if self.json_sql else _COMPILED_ROOT
        executed = [k for k, d in grouped.items() if d[0].node.name.value not in compiled_roots]
        values: dict[str, Any] = {}
        if executed:
            found = await _together(self.root_field(query, grouped[k]) for k in executed)
            values.update(zip(executed, found, strict=True))
        compiled = {k: d for k, d in grouped.items() if k not in executed}
        built = self.built_by_database(query, compiled) if self.json_sql else Built({}, [])
        lean = [k for k in compiled if k not in built.columns]
        found = await _together([built.read(), *(self.root_field(query, grouped[k]) for k in lean)])
        values.update(zip(lean, found[1:], strict=True))
        values.update(built.texts)
        return {key: values[key] for key in grouped}

    def built_by_database(
        self, query: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> Built:
        """One statement for the root fields PostgreSQL can build as JSON."""
        kept = self.statements.get(self.key) if self.statements is not None else None
        if kept is not None:
            return Built(*kept)
        built = self._built_by_database(query, grouped)
        if self.statements is not None:
            size = 200 + len(str(self.key)) + sum(map(len, built.columns.values()))
            size += 50 * len(built.params)
            self.statements.put(self.key, (built.columns, built.params), size)
        return built

    def _built_by_database(
        self, query: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> Built:
        statement = JsonSql(self)
        columns: dict[str, str] = {}
        for key, details in grouped.items():
            if details[0].node.name.value not in _JSON_ROOTS - {"__typename"}:
                continue
            kept = (len(statement.params), statement.aliases)
            try:
                columns[key] = statement.root(query, details)
            except NotSql:
                del statement.params[kept[0] :]
                statement.aliases = kept[1]
        return Built(columns, statement.params)

    async def root_field(self, query: GraphQLObjectType, details: list[FieldDetails]) -> Any:
        name = details[0].node.name.value
        if name == "__typename":
            return query.name
        if name not in ROOTS:
            if self.fallback is None:
                raise GiveBack(f"Query.{name} is not compiled")
            return await self.fallback.root(query, details)
        field_def = query.fields[name]
        read, _kind = ROOTS[name]
        args = self.arguments(query, field_def, details[0])
        try:
            answer = await read(args, self.asks_total(field_def, details))
        except HubError as error:
            raise GiveBack(str(error)) from error
        return (await self.complete(field_def, details, [answer]))[0]

    def asks_total(self, field_def: GraphQLField, details: Sequence[FieldDetails]) -> bool:
        type_ = get_named_type(field_def.type)
        if not isinstance(type_, GraphQLObjectType) or not type_.name.endswith("Connection"):
            return False
        return any(
            d[0].node.name.value == "totalCount" for d in self.collect(type_, details).values()
        )

    async def complete(
        self, field_def: GraphQLField, details: Sequence[FieldDetails], values: list[Any]
    ) -> list[Any]:
        """The JSON of a relation's value for each parent: an object (or None), a list of
        objects, or a page of a connection."""
        type_: Any = field_def.type
        non_null = isinstance(type_, GraphQLNonNull)
        if non_null:
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item = type_.of_type
            item = item.of_type if isinstance(item, GraphQLNonNull) else item
            assert isinstance(item, GraphQLObjectType)
            flat = [row for rows in values for row in rows]
            done = iter(await self.objects(item, details, flat))
            return [[next(done) for _ in rows] for rows in values]
        assert isinstance(type_, GraphQLObjectType)
        if type_.name.endswith("Connection"):
            return await self.pages(type_, details, values)
        if non_null and any(v is None for v in values):
            raise GiveBack(f"{field_def.type}: a non-null value is missing")
        present = [v for v in values if v is not None]
        done = iter(await self.objects(type_, details, present))
        return [None if v is None else next(done) for v in values]

    async def objects(
        self, type_: GraphQLObjectType, details: Sequence[FieldDetails], rows: list[Row]
    ) -> list[dict[str, Any]]:
        """Each row as the JSON object its selection asks for."""
        if not rows:
            return []
        spec = TYPES[type_.name]
        grouped = self.collect(type_, details)
        columns: list[Any] = []
        later: list[tuple[int, str, Relation, list[FieldDetails]]] = []
        executed: list[tuple[int, str, list[FieldDetails]]] = []
        for key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if name == "__typename":
                columns.append([type_.name] * len(rows))
                continue
            field = spec.get(name)
            if field is None:  # not compiled: the executor's (schema/compiled/fallback.py)
                executed.append((len(columns), key, field_details))
                columns.append(None)
                continue
            if isinstance(field, Scalar):
                get = field.get
                columns.append([get(row) for row in rows])
                continue
            later.append((len(columns), name, field, field_details))
            columns.append(None)
        if executed:
            # The fields the executor answers, all of the level at once, before the compiled
            # relations: one that fails gives the request back before they are read.
            assert self.fallback is not None, "a fully compiled operation executes nothing"
            found = await self.fallback.columns(type_, rows, [(k, d) for _, k, d in executed])
            for (position, _, _), column in zip(executed, found, strict=True):
                columns[position] = column
        # Sibling relations load side by side (on PostgreSQL they take turns on the one
        # connection of the request, schema/compiled/connection.py).
        done = await _together(
            self.relation(type_, name, field, field_details, rows)
            for _, name, field, field_details in later
        )
        for (position, _, _, _), column in zip(later, done, strict=True):
            columns[position] = column
        return _objects(list(grouped), columns, len(rows))

    async def relation(
        self,
        type_: GraphQLObjectType,
        name: str,
        field: Relation,
        details: list[FieldDetails],
        rows: list[Row],
    ) -> list[Any]:
        field_def = type_.fields[name]
        args = self.arguments(type_, field_def, details[0])
        loaded = await self.load(field, name, rows)
        if field.kind == "empty":
            return [not value for value in loaded]
        if field.kind == "connection":
            try:
                loaded = [
                    slice_page(value, first=args.get("first"), after=args.get("after"))
                    for value in loaded
                ]
            except HubError as error:
                raise GiveBack(str(error)) from error
        return await self.complete(field_def, details, loaded)

    async def load(self, field: Relation, name: str, rows: list[Row]) -> list[Any]:
        """The relation's rows for the level, loaded once however many fields read them."""
        key = (id(rows), field.key or name)
        entry = self.loaded.get(key)
        if entry is None or entry[0] is not rows:  # kept with its rows: ids are not reused
            entry = self.loaded[key] = (rows, asyncio.ensure_future(field.load(rows)))
        return await entry[1]

    async def pages(
        self, type_: GraphQLObjectType, details: Sequence[FieldDetails], pages: list[Page]
    ) -> list[dict[str, Any]]:
        """Each page as the JSON of the connection its selection asks for."""
        keys: list[str] = []
        columns: list[list[Any]] = []
        for key, field_details in self.collect(type_, details).items():
            name = field_details[0].node.name.value
            keys.append(key)
            if name == "__typename":
                columns.append([type_.name] * len(pages))
            elif name == "totalCount":
                columns.append([page.total for page in pages])
            elif name == "pageInfo":
                columns.append(self.page_infos(type_.fields[name], field_details, pages))
            else:
                edge = get_named_type(type_.fields[name].type)
                assert isinstance(edge, GraphQLObjectType)
                columns.append(await self.edges(edge, field_details, pages))
        return _objects(keys, columns, len(pages))

    def page_infos(
        self, field_def: GraphQLField, details: Sequence[FieldDetails], pages: list[Page]
    ) -> list[dict[str, Any]]:
        type_ = get_named_type(field_def.type)
        assert isinstance(type_, GraphQLObjectType)
        grouped = self.collect(type_, details)
        infos = []
        for page in pages:
            last = page.start + len(page.rows) - 1
            values = {
                "__typename": type_.name,
                "hasNextPage": page.has_next,
                "hasPreviousPage": page.start > 0,
                "startCursor": encode_cursor(page.start) if page.rows else None,
                "endCursor": encode_cursor(last) if page.rows else None,
            }
            infos.append({key: values[d[0].node.name.value] for key, d in grouped.items()})
        return infos

    async def edges(
        self, type_: GraphQLObjectType, details: Sequence[FieldDetails], pages: list[Page]
    ) -> list[list[dict[str, Any]]]:
        grouped = self.collect(type_, details)
        flat = [(page.start + i, row) for page in pages for i, row in enumerate(page.rows)]
        columns: list[list[Any]] = []
        for field_details in grouped.values():
            name = field_details[0].node.name.value
            if name == "__typename":
                columns.append([type_.name] * len(flat))
            elif name == "cursor":
                columns.append([encode_cursor(offset) for offset, _ in flat])
            else:
                node = get_named_type(type_.fields[name].type)
                assert isinstance(node, GraphQLObjectType)
                columns.append(await self.objects(node, field_details, [row for _, row in flat]))
        edges = iter(_objects(list(grouped), columns, len(flat)))
        return [[next(edges) for _ in page.rows] for page in pages]


def _objects(keys: list[str], columns: list[list[Any]], count: int) -> list[dict[str, Any]]:
    """`count` objects from one column of values per key (no keys: every field skipped)."""
    if not keys:
        return [{} for _ in range(count)]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


async def _together(awaitables: Iterable[Awaitable[Any]]) -> list[Any]:
    """The results of `awaitables` run side by side; the first failure once all are done."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
