"""Logs: one line per request, the access log with the request id, text or JSON lines.

Every HTTP request gets one line on the `hub.requests` logger with its request id, operation
name, the viewer's role, status, cost (`request.state.cost`, when the cost analysis set it) and
duration. Never variables, tokens or personal data: the operation name is the only part of the
request that is logged, paths lose their query string, and `/unsubscribe/<token>` its token,
in this line and in uvicorn's access log alike.

`HUB_LOG_FORMAT=json` writes JSON lines (python-json-logger: a `logging.Formatter`, so uvicorn's,
Tortoise's and the hub's own records all go through the one handler unchanged) with the keys
`request_id`, `operation`, `role`, `status`, `cost`, `duration_ms` on request lines.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.core.metrics import observe_request
from hub.web.requests import RequestIdFilter

log = logging.getLogger("hub.requests")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOG_FORMATS = ("text", "json")
QUIET_LOGGERS = {
    # SQL at debug level; warnings and errors still show.
    "tortoise": logging.WARNING,
    # aiosmtpd logs every SMTP conversation at INFO, and Controller's own start-up check (a
    # connection it opens and drops) ends in "Connection lost during _handle_client()".
    "mail.log": logging.WARNING,
}
"""A request body is read for its operation name up to this size; a longer one is logged
without it rather than kept in memory."""

_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})")
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_SECRET_PATHS = re.compile(r"^(/unsubscribe/)[^/?]+")
_RESERVED = [*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message"]


def log_format(env: dict[str, str] | None = None) -> str:
    """`HUB_LOG_FORMAT`: `text` (default) or `json`; anything else is an error."""
    raw = (os.environ if env is None else env).get("HUB_LOG_FORMAT", "").strip().lower()
    if raw and raw not in LOG_FORMATS:
        raise ValueError(f"HUB_LOG_FORMAT must be 'text' or 'json', not {raw!r}")
    return raw or "text"


def make_formatter() -> logging.Formatter:
    """The formatter `HUB_LOG_FORMAT` asks for (also used by uvicorn's worker processes)."""
    if log_format() == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*_RESERVED, "color_message"],
        )
    return logging.Formatter(TEXT_FORMAT)


def safe_path(path: str) -> str:
    """A path as it may be logged: no query string, no secret path segment."""
    return _SECRET_PATHS.sub(r"\1…", path.split("?", 1)[0])


class AccessLogFilter(logging.Filter):
    """uvicorn's access log without query strings (GET variables) or unsubscribe tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], safe_path(args[2]), args[3], args[4])
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """One handler on the root logger, on standard error, for the `hub` command itself."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("uvicorn.access").addFilter(AccessLogFilter())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's `log_config`: the same handler and format in every worker process, and its
    access log carrying the request id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "hub.web.requests.RequestIdFilter"},
            "access": {"()": "hub.web.logs.AccessLogFilter"},
        },
        "formatters": {"hub": {"()": "hub.web.logs.make_formatter"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "hub",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"level": "INFO"},
            "uvicorn.access": {"level": "INFO", "filters": ["access"]},
            **{name: {"level": logging.getLevelName(lvl)} for name, lvl in QUIET_LOGGERS.items()},
        },
    }


def operation_name(name: object, document: object) -> str | None:
    """What the request log calls an operation: the `operationName` given, else the first
    named operation of the document (found without parsing it), else None."""
    if isinstance(name, str) and _NAME.match(name):
        return name
    if isinstance(document, str):
        found = _OPERATION.search(document)
        if found:
            return found[1]
    return None


class RequestLogMiddleware:
    """Writes the one line per HTTP request. Place it inside `RequestIdMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.write(scope, status, started)

    @staticmethod
    def write(scope: Scope, status: int, started: float) -> None:
        """The line, from what the app noted on the request (`request.state`): the viewer, the
        operation, the cost and what the response cache did. The body is never read again
        here. The same figures go to the request metrics (hub/core/metrics.py)."""
        state = scope.get("state") or {}
        viewer = state.get("viewer")
        role = getattr(getattr(viewer, "role", None), "value", None)
        if viewer is not None and role is None:
            role = "ANONYMOUS"
        cost = state.get("cost")
        operation = state.get("operation")
        duration = time.perf_counter() - started
        fields = {
            "method": scope["method"],
            "path": safe_path(scope["path"]),
            "operation": operation if isinstance(operation, str) else None,
            "role": role,
            "status": status,
            "cost": cost if isinstance(cost, int) else None,
            "duration_ms": round(duration * 1000, 1),
        }
        cache = state.get("cache")
        observe_request(
            path=scope["path"],
            operation=fields["operation"],
            role=role,
            status=status,
            cost=fields["cost"],
            duration_seconds=duration,
            cache=cache if isinstance(cache, str) else None,
        )
        log.info(
            "%s %s operation=%s role=%s status=%s cost=%s duration_ms=%s",
            *(("-" if fields[k] is None else fields[k]) for k in _TEXT_ORDER),
            extra=fields,
        )


_TEXT_ORDER = ("method", "path", "operation", "role", "status", "cost", "duration_ms")
