"""`GET /map`: the coverage map staff open in a browser (DESIGN section 12).

The page is three files in `hub/web/static/map/`: the HTML served here, a stylesheet and one
small ES module. It reads the hub's own GraphQL API (one `coverage` request for the rows, one
`kecamatan` request per opened circle), so it shows what the public graph shows and spends the
caller's rate budget like any other client. Everything comes from the hub itself; the Content
Security Policy says so to the browser too.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_PREFIX = "/static/map"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
"""Scripts, styles and requests from the hub only: the page never loads anything else."""


def _static_dir() -> Path:
    return Path(str(resources.files("hub.web").joinpath("static/map")))


@cache
def map_html() -> str:
    return (_static_dir() / "index.html").read_text("utf-8")


async def map_page(request: Request) -> Response:
    return HTMLResponse(
        map_html(),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


def map_routes() -> list[BaseRoute]:
    """The page and its files."""
    return [
        Route("/map", map_page, methods=["GET"]),
        Mount(STATIC_PREFIX, app=StaticFiles(directory=_static_dir()), name="map-static"),
    ]
