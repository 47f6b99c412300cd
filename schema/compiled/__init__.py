"""Compiled execution of planned reads (schema/compiled/execute.py): a query over the planned
types is answered from rows without graphql-core's field-by-field completion, and the fields
it does not compile, where it can, by the executor, each with its subtree
(schema/compiled/fallback.py); any other operation, and any request the compiled path is not
sure to answer exactly as the reference executor would, is left to the executor (`answer`
returns None)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from graphql.execution.executor import Executor
from tortoise import connections

from hub.core import is_postgres
from hub.web import ByteBoundedMemo, documents
from hub.web.limits import digest
from schema.compiled.connection import one_connection
from schema.compiled.execute import Compiled, Json, Run, compiles
from schema.compiled.fallback import Fallback, GiveBack, build_executor

log = logging.getLogger(__name__)

PLANS_BUDGET_BYTES = 1 << 20
"""The memo of which documents compile: about 100 bytes an entry."""

STATEMENTS_BUDGET_BYTES = 8 << 20
"""The memo of the statements PostgreSQL builds answers with, per document, operation and
variables: a few kilobytes each."""


ContextOf = Callable[[], Awaitable[Any]]
"""Makes the request's context as the executor gets it (`HubGraphQL.get_context`)."""


class CompiledReads:
    """The compiled path of one app. What compiles is kept per document and operation name;
    it does not depend on the viewer, because only fields that every viewer sees alike are
    compiled (schema/compiled/specs.py), and the others are the executor's, run with the
    request's context (schema/compiled/fallback.py)."""

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.plans: ByteBoundedMemo[tuple[bytes, str | None], Compiled] = ByteBoundedMemo(
            PLANS_BUDGET_BYTES
        )
        self.statements: ByteBoundedMemo[Any, tuple[dict[str, str], list[Any]]] = ByteBoundedMemo(
            STATEMENTS_BUDGET_BYTES
        )
        self.answered = 0
        """Requests the compiled path answered (for tests and the benchmark)."""
        self.answered_partly = 0
        """Of those, the ones with fields the executor answered."""

    def compiles(self, query: str, operation_name: str | None) -> bool:
        """Whether the document parses, validates and its operation compiles, fully or
        partly."""
        return self.how(query, operation_name) is not Compiled.NOT

    def how(self, query: str, operation_name: str | None) -> Compiled:
        """How much of the operation compiles, once the document parses and validates."""
        key = (digest(query), operation_name)
        known = self.plans.get(key)
        if known is None:
            known = self._compiles(query, operation_name)
            self.plans.put(key, known, 100 + len(operation_name or ""))
        return known

    def _compiles(self, query: str, operation_name: str | None) -> Compiled:
        import schema

        try:
            document = documents.parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return Compiled.NOT
        if schema.validate(query, document):
            return Compiled.NOT
        postgres = is_postgres(connections.get("default"))
        return compiles(schema.schema._schema, document, operation_name, json_roots=postgres)

    async def answer(
        self,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        *,
        cost: int,
        max_cost: int,
        context: ContextOf | None = None,
    ) -> bytes | None:
        """The response body of a compiled read, or None: the executor answers. Without
        `context`, only fully compiled reads are answered."""
        import schema

        if query is None or cost > max_cost:
            return None
        how = self.how(query, operation_name)
        if how is Compiled.NOT or (how is Compiled.PARTLY and context is None):
            return None
        document = documents.parse(query, max_tokens=self.max_tokens)
        fallback = None
        if how is Compiled.PARTLY:
            assert context is not None
            executor = build_executor(document, variables, operation_name, await context())
        else:
            executor = Executor.build(
                schema.schema._schema,
                document,
                raw_variable_values=variables,
                operation_name=operation_name,
            )
        if isinstance(executor, list):  # variables that do not coerce: the executor says why
            return None
        if how is Compiled.PARTLY:
            fallback = Fallback(executor)
        try:
            async with one_connection():
                run = Run(
                    executor,
                    fallback,
                    json_sql=is_postgres(connections.get("default")),
                    statements=self.statements,
                    key=(digest(query), operation_name, json.dumps(variables, sort_keys=True)),
                )
                data = await run.root()
        except GiveBack:
            return None
        except Exception:  # the executor answers it as it answers every failure: masked
            log.exception("the compiled path failed; the executor answers")
            return None
        self.answered += 1
        self.answered_partly += fallback is not None
        return body(data, {"cost": {"requested": cost, "maxCost": max_cost}})


def body(data: dict[str, Any], extensions: dict[str, Any]) -> bytes:
    """The response body, as the executor's answer is encoded (`json.dumps` with compact
    separators), with the JSON texts the database built spliced in as they are."""
    fields = [
        f"{_encode(key)}:{value if isinstance(value, Json) else _encode(value)}"
        for key, value in data.items()
    ]
    return f'{{"data":{{{",".join(fields)}}},"extensions":{_encode(extensions)}}}'.encode()


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


__all__ = ["Compiled", "CompiledReads", "GiveBack"]
