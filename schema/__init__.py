"""The GraphQL schema: the root Query and Mutation composed from the domains, and its limits."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from hub.core import Settings
from schema.accounts.mutations import AccountMutations
from schema.accounts.queries import AccountQueries
from schema.admin.queries import AdminQueries
from schema.audit.queries import AuditQueries
from schema.directory import preload as directory_preload
from schema.directory.mutations import DirectoryMutations
from schema.directory.queries import DirectoryQueries
from schema.errors import PublicErrors
from schema.hygiene import guard_arguments
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

SDL_PATH = Path(__file__).with_name("schema.graphql")
PLANNED_LOADING = [directory_preload, regions_preload]
"""Modules that register preloaders (schema/prefetch.py) when imported."""


@strawberry.type(description="Read the OK OCE collaboration graph.")
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
):
    pass


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are answers, not incidents; unexpected ones are logged by PublicErrors.
        return None


_limits = Settings()
"""The limits in force; `configure` sets them from the settings of the app being built."""


def configure(settings: Settings) -> None:
    global _limits
    _limits = settings


DOCUMENTS_CACHED = 512
"""Distinct documents whose parse and validation are kept: partner apps send a few, often."""


@cache
def _limit_rules(
    max_depth: int, max_aliases: int, introspection: bool
) -> list[type[ASTValidationRule]]:
    """The limits as validation rules, made once per set of limits: the validation cache
    keys on the rule classes, so fresh classes per request would never hit it."""
    rules: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None, None),
        aliases_rule(max_aliases),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


# The schema is built once; its extensions (made anew for each operation) read the limits
# in force.
schema = HubSchema(
    query=Query,
    mutation=Mutation,
    types=NODE_TYPES,
    config=StrawberryConfig(default_resolver=resolve_attribute),
    extensions=[
        lambda: MaxTokensLimiter(max_token_count=_limits.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENTS_CACHED),
        lambda: AddValidationRules(
            _limit_rules(_limits.max_depth, _limits.max_aliases, _limits.introspection_enabled)
        ),
        lambda: ValidationCache(maxsize=DOCUMENTS_CACHED),
        PublicErrors,
    ],
)


guard_arguments(schema._schema)


def sdl() -> str:
    """The schema in SDL, as committed in `schema/schema.graphql`."""
    return schema.as_str() + "\n"


__all__ = ["SDL_PATH", "Mutation", "Query", "configure", "schema", "sdl"]
