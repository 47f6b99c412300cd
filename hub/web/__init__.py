"""The HTTP edge: request ids, the response cache and document analysis, GraphiQL."""

from hub.web.caching import (
    Document,
    DocumentAnalyser,
    ResponseCache,
    cache_key,
    has_unexpected_errors,
)
from hub.web.graphiql import graphiql_html, static_routes
from hub.web.requests import RequestIdMiddleware, configure_logging, current_request_id

__all__ = [
    "Document",
    "DocumentAnalyser",
    "RequestIdMiddleware",
    "ResponseCache",
    "cache_key",
    "configure_logging",
    "current_request_id",
    "graphiql_html",
    "has_unexpected_errors",
    "static_routes",
]
