"""The calendar feed routes (DESIGN section 10): HTTP only. What a feed holds is the domain's
(hub/integration/feeds.py), handed in by hub/app.py; here are the paths, the media type, the
entity tags with `If-None-Match` → 304, cache headers and the short 404 for any key that names
no feed (unknown, malformed or rotated away), never a 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

CALENDAR = "text/calendar; charset=utf-8"
MAX_KEY_LENGTH = 100
"""A path key longer than this names no feed: refused before any lookup."""


class CalendarFeed(Protocol):
    @property
    def body(self) -> bytes: ...

    @property
    def etag(self) -> str: ...

    @property
    def private(self) -> bool: ...


FeedLookup = Callable[[str], Awaitable[CalendarFeed | None]]
"""The feed a path key names, or None."""


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` (a list of entity tags, weak ones too, or `*`) matches `etag`."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def feed_endpoint(lookup: FeedLookup, param: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        key = str(request.path_params[param])
        feed = await lookup(key) if 0 < len(key) <= MAX_KEY_LENGTH else None
        if feed is None:
            return PlainTextResponse("No such calendar feed.\n", status_code=404)
        headers = {
            "ETag": feed.etag,
            # Calendar programs poll; a revalidation costs a 304 without a body.
            "Cache-Control": "private, no-cache" if feed.private else "public, max-age=300",
        }
        if feed.private:
            # The URL is the credential: keep it out of referrers and search indexes.
            headers.update({"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"})
        if not_modified(request.headers.get("if-none-match"), feed.etag):
            return Response(status_code=304, headers=headers)
        return Response(feed.body, media_type=CALENDAR, headers=headers)

    return endpoint


def calendar_routes(
    *, kecamatan: FeedLookup, kota: FeedLookup, community: FeedLookup, account: FeedLookup
) -> list[Route]:
    """`GET /calendar/kecamatan/{code}.ics`, `/calendar/kota/{code}.ics`,
    `/calendar/community/{globalId}.ics` and the private `/calendar/account/{token}.ics`."""
    return [
        Route(f"/calendar/{kind}/{{key}}.ics", feed_endpoint(lookup, "key"), methods=["GET"])
        for kind, lookup in (
            ("kecamatan", kecamatan),
            ("kota", kota),
            ("community", community),
            ("account", account),
        )
    ]
