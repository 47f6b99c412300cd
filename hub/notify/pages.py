"""The unsubscribe endpoint: `GET /unsubscribe/{token}` asks, `POST` turns the kinds off.

GET never changes anything (mail scanners follow links); the page's button POSTs back to the
same address. Mail programs that honour `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
POST to it directly (RFC 8058). No account or cookie is involved: the signed token is the
permission."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse

from hub.core import Invalid, Settings
from hub.notify.render import KIND_NAMES, templates
from hub.notify.unsubscribe import Unsubscription, read_token, secret_key, unsubscribe


def _page(
    *, action: str, granted: Unsubscription | None, done: bool = False, status: int = 200
) -> HTMLResponse:
    kinds = granted.kinds if granted else ()
    html = (
        templates()
        .get_template("unsubscribe.html")
        .render(
            error=granted is None,
            done=done,
            action=action,
            email=granted.email if granted else "",
            kinds_id=", ".join(KIND_NAMES["id"][k] for k in kinds),
            kinds_en=", ".join(KIND_NAMES["en"][k] for k in kinds),
        )
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def unsubscribe_endpoint(settings: Settings) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """The Starlette endpoint for `/unsubscribe/{token}`, bound to the app's settings."""

    async def endpoint(request: Request) -> HTMLResponse:
        token = str(request.path_params["token"])
        action = request.url.path
        try:
            if request.method == "POST":
                granted = await unsubscribe(settings=settings, token=token)
                return _page(action=action, granted=granted, done=True)
            return _page(action=action, granted=read_token(key=secret_key(settings), token=token))
        except Invalid:
            return _page(action=action, granted=None, status=400)

    return endpoint
