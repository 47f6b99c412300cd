"""The HTTP edge: request bodies, document limits and memos, query cost, rate budgets, request
ids and logs, the response cache and document analysis, GraphiQL, the coverage map page, the
calendar feed routes, the report files, the metrics page."""

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
from hub.web.calendar import calendar_routes
from hub.web.cost import operation_cost
from hub.web.graphiql import graphiql_html, static_routes
from hub.web.limits import (
    ByteBoundedMemo,
    DocumentParser,
    DocumentValidator,
    documents,
    limit_rule,
)
from hub.web.logs import (
    RequestLogMiddleware,
    configure_logging,
    log_format,
    operation_name,
    uvicorn_log_config,
)
from hub.web.map import map_routes
from hub.web.metrics import may_scrape, metrics_routes
from hub.web.ratelimit import Decision, RateLimiter, TrustedProxies, token_caller
from hub.web.reports import report_routes
from hub.web.requests import RequestIdMiddleware, current_request_id

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
    "RequestLogMiddleware",
    "ResponseCache",
    "TrustedProxies",
    "cache_key",
    "calendar_routes",
    "configure_logging",
    "current_request_id",
    "decode_json",
    "documents",
    "graphiql_html",
    "has_unexpected_errors",
    "limit_rule",
    "log_format",
    "map_routes",
    "may_scrape",
    "media_type",
    "metrics_routes",
    "operation_cost",
    "operation_name",
    "read_graphql_request",
    "report_routes",
    "response_media_type",
    "static_routes",
    "token_caller",
    "uvicorn_log_config",
]
