"""The HTTP edge: request bodies, document limits and memos, query cost, rate budgets, request
ids, the response cache and document analysis, GraphiQL."""

from hub.web.bodies import (
    GRAPHQL_RESPONSE,
    BodyRefused,
    GraphQLRequest,
    decode_json,
    media_type,
    read_graphql_request,
    response_media_type,
)
from hub.web.caching import (
    Document,
    DocumentAnalyser,
    ResponseCache,
    cache_key,
    has_unexpected_errors,
)
from hub.web.cost import operation_cost
from hub.web.graphiql import graphiql_html, static_routes
from hub.web.limits import (
    ByteBoundedMemo,
    DocumentParser,
    DocumentValidator,
    documents,
    limit_rule,
)
from hub.web.ratelimit import Decision, RateLimiter, TrustedProxies, token_caller
from hub.web.requests import RequestIdMiddleware, configure_logging, current_request_id

__all__ = [
    "GRAPHQL_RESPONSE",
    "BodyRefused",
    "ByteBoundedMemo",
    "Decision",
    "Document",
    "DocumentAnalyser",
    "DocumentParser",
    "DocumentValidator",
    "GraphQLRequest",
    "RateLimiter",
    "RequestIdMiddleware",
    "ResponseCache",
    "TrustedProxies",
    "cache_key",
    "configure_logging",
    "current_request_id",
    "decode_json",
    "documents",
    "graphiql_html",
    "has_unexpected_errors",
    "limit_rule",
    "media_type",
    "operation_cost",
    "read_graphql_request",
    "response_media_type",
    "static_routes",
    "token_caller",
]
