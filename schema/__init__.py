"""The GraphQL schema: the root Query and Mutation composed from the domains, and its limits."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, specified_rules
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext

from hub.core import Settings
from hub.web import DocumentValidator, documents, limit_rule, operation_cost
from schema.accounts.mutations import AccountMutations
from schema.accounts.queries import AccountQueries
from schema.admin.queries import AdminQueries
from schema.audit.queries import AuditQueries
from schema.context import Context
from schema.directory import preload as directory_preload
from schema.directory.mutations import DirectoryMutations
from schema.directory.queries import DirectoryQueries
from schema.errors import PublicErrors
from schema.hygiene import guard_arguments
from schema.integration.feeds import CalendarFeedMutations
from schema.integration.queries import IntegrationQueries
from schema.integration.sharing import SharingExecutionContext
from schema.integration.subscriptions import IntegrationSubscriptions
from schema.integration.webhooks import WebhookMutations, WebhookQueries
from schema.matching.queries import MatchingQueries
from schema.nodes import NODE_TYPES, NodeQueries
from schema.notifications.mutations import NotificationMutations
from schema.notifications.queries import NotificationQueries
from schema.participation.mutations import ParticipationMutations
from schema.participation.queries import ParticipationQueries
from schema.plans.mutations import PlanMutations
from schema.plans.queries import PlanQueries
from schema.prefetch import resolve_attribute
from schema.regions import preload as regions_preload
from schema.regions.queries import RegionQueries
from schema.reports.queries import ReportQueries

SDL_PATH = Path(__file__).with_name("schema.graphql")
PLANNED_LOADING = [directory_preload, regions_preload]
"""Modules that register preloaders (schema/prefetch.py) when imported."""


@strawberry.type(
    description=(
        "Read the OK OCE collaboration graph.\n\n"
        "Every operation has a cost, counted before it runs and returned in "
        "`extensions.cost { requested maxCost }`: a connection costs its page size (`first`, "
        "20 when omitted) times the page sizes of every connection above it; `nodes` one per "
        "id; `complements` 10 + `first`, `coalition` 25, `coverage` 1,000 (100 with "
        "`kotaCode`), `report` 1,000, each times the connections above them; bounded lists, "
        "objects and scalars nothing; a mutation 10 plus what its payload selects. An "
        "operation over the limit (50,000 by default, 500,000 for admins) is refused with "
        "`COST_LIMIT`."
    )
)
class Query(
    RegionQueries,
    DirectoryQueries,
    PlanQueries,
    AccountQueries,
    AdminQueries,
    NotificationQueries,
    MatchingQueries,
    AuditQueries,
    NodeQueries,
    ParticipationQueries,
    IntegrationQueries,
    ReportQueries,
    WebhookQueries,
):
    pass


@strawberry.type(
    description="Change the graph. Every mutation returns `errors` for the expected failures."
)
class Mutation(
    PlanMutations,
    AccountMutations,
    NotificationMutations,
    DirectoryMutations,
    ParticipationMutations,
    CalendarFeedMutations,
    WebhookMutations,
):
    pass


@strawberry.type(
    description=(
        "Receive events as they are committed, over the graphql-transport-ws protocol on "
        "/graphql (authenticated by `connection_init`'s `Authorization`)."
    )
)
class Subscription(IntegrationSubscriptions):
    pass


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are answers, not incidents; unexpected ones are logged by PublicErrors.
        return None


STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)
"""Rules Strawberry adds to graphql-core's when it validates itself."""

_limits = Settings()
"""The limits in force; `configure` sets them from the settings of the app being built."""


def configure(settings: Settings) -> None:
    global _limits
    _limits = settings


@cache
def _limit_rules(
    max_depth: int, max_aliases: int, max_tokens: int, introspection: bool
) -> list[type[ASTValidationRule]]:
    """The limits as validation rules, made once per set of limits: the validation cache
    keys on the rule classes, so fresh classes per request would never hit it."""
    rules: list[type[ASTValidationRule]] = [limit_rule(max_depth, max_aliases, max_tokens)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


_validated = DocumentValidator()


def validate(query: str, document: DocumentNode) -> list[GraphQLError]:
    """The document's validation errors under the rules and limits an operation runs with
    (graphql-core's, the limits, Strawberry's), from the same memo."""
    rules = (
        *specified_rules,
        *_limit_rules(
            _limits.max_depth,
            _limits.max_aliases,
            _limits.max_tokens,
            _limits.introspection_enabled,
        ),
        *STRAWBERRY_RULES,
    )
    return _validated.validate(schema._schema, query, document, rules)


class DocumentMemo(SchemaExtension):
    """Parses with the token limit applied while reading, and validates, each distinct document
    once: the parsed documents are shared with the response cache (hub/web/limits.py), and both
    memos are bounded in bytes."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = documents.parse(context.query, max_tokens=_limits.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is not None:
            context.pre_execution_errors = _validated.validate(
                context.schema._schema,
                context.query,
                context.graphql_document,
                (*context.validation_rules, *STRAWBERRY_RULES),
            )
        yield


class CostLimit(SchemaExtension):
    """Refuses an operation that costs more than the viewer's limit before it runs
    (`COST_LIMIT`, no data), and puts `extensions.cost { requested maxCost }` in every result.
    HTTP requests arrive costed by the edge (hub/app.py); WebSocket operations are costed here."""

    requested = 0
    max_cost = 0

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        self.requested, self.max_cost = self._cost()
        if not context.pre_execution_errors and self.requested > self.max_cost:
            context.pre_execution_errors = [
                GraphQLError(
                    f"This operation costs {self.requested}, more than the {self.max_cost}"
                    " allowed per request: ask for smaller pages (`first`), fewer ids or fewer"
                    " computed fields (see the README, 'What a query costs').",
                    extensions={
                        "code": "COST_LIMIT",
                        "cost": self.requested,
                        "maxCost": self.max_cost,
                    },
                )
            ]
        yield

    def _cost(self) -> tuple[int, int]:
        context = self.execution_context
        hub: Context = context.context
        request = hub.request
        if (
            request is not None
            and request.scope["type"] == "http"
            and "cost" in request.scope.get("state", {})
        ):
            return int(request.state.cost), int(request.state.max_cost)
        role = hub.viewer.role.value if hub.viewer.role is not None else "ANONYMOUS"
        if context.graphql_document is None:
            return 0, _limits.max_cost_of(role)
        return (
            operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            ),
            _limits.max_cost_of(role),
        )

    def get_results(self) -> dict[str, Any]:
        if not self.max_cost:
            self.requested, self.max_cost = self._cost()
        return {"cost": {"requested": self.requested, "maxCost": self.max_cost}}


# The schema is built once; its extensions (made anew for each operation) read the limits
# in force.
schema = HubSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=NODE_TYPES,
    config=StrawberryConfig(default_resolver=resolve_attribute),
    execution_context_class=SharingExecutionContext,
    extensions=[
        lambda: AddValidationRules(
            _limit_rules(
                _limits.max_depth,
                _limits.max_aliases,
                _limits.max_tokens,
                _limits.introspection_enabled,
            )
        ),
        DocumentMemo,
        CostLimit,
        PublicErrors,
    ],
)


guard_arguments(schema._schema)


def sdl() -> str:
    """The schema in SDL, as committed in `schema/schema.graphql`."""
    return schema.as_str() + "\n"


__all__ = ["SDL_PATH", "Mutation", "Query", "Subscription", "configure", "schema", "sdl"]
