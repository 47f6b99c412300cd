"""`GET /reports/{YYYY-MM}.html` and `.csv` (`?kota=CODE`): the monthly programme report for
admins and centre staff who do not use the command line (DESIGN section 12). HTTP only: who
may read it and what it holds are the domain's, handed in by hub/app.py as one callable that
raises the coded errors of hub/core (Unauthenticated, Forbidden, Invalid, NotFound)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.core import ErrorCode, HubError, Unauthenticated

ReportFile = Callable[[str | None, str, str | None, str], Awaitable[str]]
"""(Authorization header, month, kota code or None, "html" or "csv") -> the file's text."""

MEDIA = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The page is self-contained: its inline styles and SVG, nothing fetched, no script."""
MAX_PARAM = 40
STATUS = {
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
}


def _error(message: str, status: int, code: str, **headers: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


def report_endpoint(
    render: ReportFile, file_format: str
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        authorization = request.headers.get("authorization")
        if not authorization:
            return _error(
                "a report needs an ADMIN or STAFF bearer token",
                401,
                "UNAUTHENTICATED",
                **{"WWW-Authenticate": "Bearer"},
            )
        month = str(request.path_params["month"])[:MAX_PARAM]
        kota = request.query_params.get("kota")
        try:
            body = await render(authorization, month, kota, file_format)
        except Unauthenticated as error:
            return _error(str(error), 401, "UNAUTHENTICATED", **{"WWW-Authenticate": "Bearer"})
        except HubError as error:
            return _error(error.message, STATUS.get(error.code, 400), error.code.value)
        headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
        if file_format == "html":
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        else:
            name = f"report-{month}{'-' + kota if kota else ''}.csv"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(body, media_type=MEDIA[file_format], headers=headers)

    return endpoint


def report_routes(render: ReportFile) -> list[Route]:
    """`/reports/{month}.html` and `/reports/{month}.csv`."""
    return [
        Route(f"/reports/{{month}}.{ext}", report_endpoint(render, ext), methods=["GET"])
        for ext in ("html", "csv")
    ]
