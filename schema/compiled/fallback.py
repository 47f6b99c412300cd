"""The executor's share of a compiled read: the fields the compiled path does not answer.

A query compiles when its root fields and what they select are compiled where they can be
(schema/compiled/specs.py), and every other field is either a root field the compiled path has
no statement for (`node`, `viewer`, `plans`, ...) or a field of a type it knows how to hand to
the executor (`SOURCES`: `Kecamatan.complements`, `Mentor.email`, `Community.opportunities`,
...). Each such field, with its whole subtree, is executed by graphql-core's own
`execute_field`, on the executor Strawberry would have built for the request: the schema's
executor class, the request's context (viewer, fresh DataLoaders: `HubGraphQL.get_context`),
root value (None), variables, fragments, and the middleware of the schema's extensions that
wrap resolvers (none today: the others act before and after execution, which the compiled path
does itself). Its parent is the object the executor would hand the resolver, built by the
type's own `from_model` from the level's models: made from the level's rows as the ORM makes
them from its own (`Model._init_from_db`) when the rows hold every column of the model
(regions, centres), else loaded in one batch through the request's DataLoaders (mentors, whose
contact data the compiled rows leave out, and communities).
All the fallback fields of one level run side by side, so their DataLoaders batch across the
level and the read stays free of N+1 statements, and before the level's compiled relations
load, so one that fails gives the request back having read as little as it can.

Errors: anything the executor would answer with an error (a field error in the execution's
collected errors, a non-null field left without a value, an exception) makes the whole request
go back to the executor (`GiveBack`). Reads change nothing, so answering it again from the
start is safe, and the executor's own answer keeps the errors, their order and the null
propagation exactly as they are. Visibility rules hold for the same reason: a fallback field
runs the same resolver with the same viewer, and one it refuses gives the request back.

What compiles is decided without the viewer (`CompiledReads.plans` is shared by every caller);
the viewer enters only through the context the fallback fields run with."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from graphql import DocumentNode, GraphQLError, GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.executor import Executor
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from tortoise.models import Model

from models import directory as m
from models.regions import Region
from schema.compiled.loads import Row
from schema.context import Context, Loaders
from schema.directory.types import Centre, Community, Mentor
from schema.regions.types import Kecamatan, Kota


class GiveBack(Exception):
    """The compiled path does not answer this request; the reference executor does."""


@dataclass(frozen=True)
class Source:
    """How the executor's parent object of a compiled type is made from the level's rows:
    its model, the request's DataLoader of that model by id (for rows that do not hold all
    of it), and the type's own `from_model`."""

    model: type[Model]
    loader: Callable[[Loaders], Any]
    build: Callable[[Any], Any]

    @functools.cached_property
    def columns(self) -> frozenset[str]:
        return frozenset(self.model._meta.fields_db_projection.values())


SOURCES: dict[str, Source] = {
    "Kecamatan": Source(Region, lambda loaders: loaders.region_by_id, Kecamatan.from_model),
    "Kota": Source(Region, lambda loaders: loaders.region_by_id, Kota.from_model),
    "Centre": Source(m.Centre, lambda loaders: loaders.centre_by_id, Centre.from_model),
    "Mentor": Source(m.Mentor, lambda loaders: loaders.mentor_by_id, Mentor.from_model),
    "Community": Source(m.Community, lambda loaders: loaders.community_by_id, Community.from_model),
}
"""The compiled types whose other fields the executor may answer, and how their parents are
made (as their `resolve_nodes` make them). A field outside the compiled ones on any other type
(`SectorNeed`, `MentorSkill`, ...) leaves the whole operation to the executor."""


def build_executor(
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Context,
) -> Executor[Any] | list[GraphQLError]:
    """The executor Strawberry builds for this request (`Schema.execute`), for the fields the
    compiled path leaves to it; a list of errors when the variables do not coerce. Its root
    value is the app's, None (`HubGraphQL` is a `GraphQL[Context, None]`)."""
    import schema

    hub_schema = schema.schema
    execution_context = ExecutionContext(
        query=None,
        schema=hub_schema,
        allowed_operations=(OperationType.QUERY,),
        context=context,
        variables=variables,
        provided_operation_name=operation_name,
        graphql_document=document,
    )
    extensions = hub_schema.get_extensions()
    for extension in extensions:
        extension.execution_context = execution_context
    executor = hub_schema.execution_context_class.build(
        hub_schema._schema,
        document,
        context_value=context,
        raw_variable_values=variables,
        operation_name=operation_name,
        middleware=hub_schema._get_middleware_manager(extensions),
        is_awaitable=cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable),
        operation_extensions=None,
    )
    return executor


class Fallback:
    """The fields of one compiled read that its executor answers."""

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor

    async def root(self, query: GraphQLObjectType, details: list[FieldDetails]) -> Any:
        """The value of a root field the compiled path has no statement for."""
        node = details[0].node
        path = Path(None, node.alias.value if node.alias else node.name.value, query.name)
        return (await self._settle([(self.executor.root_value, details, path, query)]))[0]

    async def columns(
        self,
        type_: GraphQLObjectType,
        rows: Sequence[Row],
        fields: Sequence[tuple[str, list[FieldDetails]]],
    ) -> list[list[Any]]:
        """For each of `fields` (response key and its details) of the objects of one level,
        its value per row, all executed side by side."""
        parents = await self.parents(type_, rows)
        runs = [
            (parent, details, Path(Path(None, index, None), key, type_.name), type_)
            for key, details in fields
            for index, parent in enumerate(parents)
        ]
        values = iter(await self._settle(runs))
        return [[next(values) for _ in parents] for _ in fields]

    async def parents(self, type_: GraphQLObjectType, rows: Sequence[Row]) -> list[Any]:
        """The objects the executor would resolve these rows' fields on."""
        source = SOURCES[type_.name]
        if source.columns <= rows[0].keys():  # a level's rows come from one statement
            return [source.build(source.model._init_from_db(**row)) for row in rows]
        context: Context = self.executor.context_value
        models = await source.loader(context.loaders).load_many([row["id"] for row in rows])
        if any(model is None for model in models):
            raise GiveBack(f"a {type_.name} left while it was read")
        return [source.build(model) for model in models]

    async def _settle(
        self, runs: Sequence[tuple[Any, list[FieldDetails], Path, GraphQLObjectType]]
    ) -> list[Any]:
        """Each field executed on its parent, side by side; `GiveBack` at any error."""
        executor = self.executor
        values: list[Any] = []
        pending: list[tuple[int, Any]] = []
        try:
            for parent, details, path, owner in runs:
                value = executor.execute_field(owner, parent, details, path, None)
                if executor.is_awaitable(value):
                    pending.append((len(values), value))
                values.append(value)
        except GraphQLError as error:  # a non-null field without a value
            await _drain(value for _, value in pending)
            raise GiveBack(error.message) from error
        if pending:
            done = await asyncio.gather(*(value for _, value in pending), return_exceptions=True)
            for (position, _), value in zip(pending, done, strict=True):
                if isinstance(value, Exception):  # a non-null field without a value
                    raise GiveBack(str(value)) from value
                if isinstance(value, BaseException):  # cancelled: not the executor's to answer
                    raise value
                values[position] = value
        if executor.collected_errors.errors:
            raise GiveBack(executor.collected_errors.errors[0].message)
        return values


async def _drain(awaitables: Any) -> None:
    """Wait for work already started, whatever it gives, before giving the request back."""
    await asyncio.gather(*awaitables, return_exceptions=True)
