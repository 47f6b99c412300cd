"""The HTTP edge: request ids and logs, the response cache and document analysis, GraphiQL."""

from hub.web.caching import (
    Document,
    DocumentAnalyser,
    ResponseCache,
    cache_key,
    has_unexpected_errors,
)
from hub.web.graphiql import graphiql_html, static_routes
from hub.web.logs import RequestLogMiddleware, configure_logging, log_format, uvicorn_log_config
from hub.web.requests import RequestIdMiddleware, current_request_id

__all__ = [
    "Document",
    "DocumentAnalyser",
    "RequestIdMiddleware",
    "RequestLogMiddleware",
    "ResponseCache",
    "cache_key",
    "configure_logging",
    "current_request_id",
    "graphiql_html",
    "has_unexpected_errors",
    "log_format",
    "static_routes",
    "uvicorn_log_config",
]
