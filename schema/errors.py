"""How errors leave the API: coded where expected, masked and logged where not."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from hub.core import HubError
from hub.web import current_request_id

log = logging.getLogger("hub.graphql")

UNEXPECTED_MESSAGE = "Unexpected error. It has been logged; quote the X-Request-ID when asking."


def public_error(error: GraphQLError) -> GraphQLError:
    """The error as a client sees it: a HubError's message with `extensions.code` (and
    `extensions.field`, the argument path, when one is at fault); a parse,
    validation or limit error as it is; anything else masked."""
    original = error.original_error
    if original is None:
        return error
    if isinstance(original, HubError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=(
                {"code": original.code.value, "field": original.field}
                if original.field
                else {"code": original.code.value}
            ),
        )
    if isinstance(original, GraphQLError):
        return original
    return GraphQLError(
        UNEXPECTED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL"},
    )


class PublicErrors(SchemaExtension):
    """Rewrites the result's errors with `public_error`, after logging the unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = publish(errors)  # type: ignore[union-attr]


def publish(errors: list[GraphQLError]) -> list[GraphQLError]:
    """The errors as clients see them (`public_error`), after logging the unexpected ones. A
    subscription's events are rewritten one by one (schema/integration/sharing.py): its
    operation ends only when the subscription does."""
    for error in errors:
        original = error.original_error
        if original is not None and not isinstance(original, HubError | GraphQLError):
            rid = current_request_id()
            log.error(
                "unexpected error at %s (request %s)",
                error.path,
                rid,
                exc_info=(type(original), original, original.__traceback__),
                extra={"request_id": rid},
            )
    return [public_error(e) for e in errors]
