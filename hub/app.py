"""The Starlette application: routes, middleware and lifespan. The only place that wires it all."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from tortoise import connections

import schema
from hub.access import ANONYMOUS, Viewer, authenticate
from hub.core import Settings, Unauthenticated, dataversion, metrics, open_database
from hub.integration import feeds
from hub.integration.fanout import running_fanout
from hub.integration.webhooks import webhook_outbox_state
from hub.notify import mail_outbox_state, outbox, unsubscribe_endpoint
from hub.reports import report_file, require_reader
from hub.web import (
    GRAPHQL_RESPONSE,
    BodyRefused,
    Decision,
    Document,
    DocumentAnalyser,
    GraphQLRequest,
    RateLimiter,
    RequestIdMiddleware,
    RequestLogMiddleware,
    ResponseCache,
    TrustedProxies,
    cache_key,
    calendar_routes,
    decode_json,
    documents,
    graphiql_html,
    has_unexpected_errors,
    map_routes,
    metrics_routes,
    operation_cost,
    read_graphql_request,
    report_routes,
    response_media_type,
    static_routes,
    token_caller,
)
from hub.web import (
    operation_name as logged_operation,
)
from schema.compiled import CompiledReads
from schema.context import Context
from schema.integration.sharing import WEBSOCKET_SEND, SharingTransportWSHandler

log = logging.getLogger(__name__)

_incoming: ContextVar[GraphQLRequest] = ContextVar("hub_graphql_request")
"""The request's query, variables and operation name, read and checked once by the edge."""

_answer_as: ContextVar[str] = ContextVar("hub_media_type", default="application/json")
"""The media type the request's answer takes (its `Accept`, hub/web/bodies.py)."""


def graphql_error_response(message: str, status: int, code: str, **headers: str) -> JSONResponse:
    """A GraphQL-shaped error body for failures before execution (400, 401, 405, 413, 415);
    without `data` under the GraphQL-over-HTTP media type, which has none for such failures."""
    media = _answer_as.get()
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    if media != GRAPHQL_RESPONSE:
        body = {"data": None, **body}
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


def is_request_error(result: ExecutionResult) -> bool:
    """The document did not parse or validate, its variables did not coerce, or it was refused
    before running (cost): no data, and errors that belong to no field."""
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


class KeepWebSocketSend:
    """Keeps a WebSocket's own ASGI `send` (the server's) in its scope, for the subscriptions'
    shared results (schema/integration/sharing.py). Outermost of the app's middlewares: those
    inside it wrap `send` only to add headers to HTTP responses."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[WEBSOCKET_SEND] = send
        await self.app(scope, receive, send)


class HubGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with the hub's context, GraphiQL page and HTTP error bodies."""

    graphql_transport_ws_handler_class = SharingTransportWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema.schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allowed_origins=settings.cors_origins,
            multipart_uploads_enabled=False,
            # The legacy graphql-ws protocol is off: it has no authenticated handshake.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.cache = ResponseCache() if settings.cache_enabled else None
        self.documents = DocumentAnalyser(max_tokens=settings.max_tokens)
        self.limiter = RateLimiter(budgets=settings.rate_limit, redis_url=settings.redis_url)
        self.proxies = TrustedProxies(settings.trusted_proxies)
        self.compiled = (
            CompiledReads(max_tokens=settings.max_tokens) if settings.compiled_reads else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            try:
                await super().__call__(scope, receive, send)
            finally:
                watch = scope.get("state", {}).get("hub_token_watch")
                if watch is not None:
                    watch.cancel()
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        _answer_as.set(response_media_type(request.headers.get("accept")))
        if request.method in {"GET", "POST"}:
            try:
                incoming = await read_graphql_request(
                    request, max_body_bytes=self.settings.max_body_bytes
                )
            except BodyRefused as refused:
                await graphql_error_response(refused.message, refused.status, refused.code)(
                    scope, receive, send
                )
                return
            _incoming.set(incoming)
            request.state.operation = logged_operation(incoming.operation_name, incoming.query)
        try:
            viewer = await authenticate(request.headers.get("authorization"))
        except Unauthenticated as error:
            # A refused token spends from its address's anonymous budget: guessing costs.
            spent = await self.limiter.spend(role="ANONYMOUS", caller=self.address(request), cost=0)
            if spent is not None and not spent.allowed:
                response: Response = self.rate_limited(spent)
            else:
                response = graphql_error_response(
                    str(error), 401, "UNAUTHENTICATED", **{"WWW-Authenticate": "Bearer"}
                )
                if spent is not None:
                    response.headers.update(spent.headers())
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        request.state.cost, request.state.max_cost = self.cost(viewer)
        decision = await self.limiter.spend(
            role=viewer.role.value if viewer.role is not None else "ANONYMOUS",
            caller=self.caller(request),
            cost=request.state.cost,
        )
        if decision is not None and not decision.allowed:
            response = self.rate_limited(decision)
        else:
            response = await self.respond(request, viewer)
            if decision is not None:
                response.headers.update(decision.headers())
        await response(scope, receive, send)

    def caller(self, request: Request) -> str:
        """Whose budget a request spends: its token's, or its client address's."""
        authorization = request.headers.get("authorization")
        return token_caller(authorization) if authorization else self.address(request)

    def address(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        forwarded = request.headers.get("x-forwarded-for")
        return "address:" + self.proxies.client_address(peer, forwarded)

    @staticmethod
    def rate_limited(decision: Decision) -> Response:
        return graphql_error_response(
            f"The hourly budget of {decision.limit} points is spent; it refills in "
            f"{decision.reset_seconds} s. A request spends one point per 100 of its cost.",
            429,
            "RATE_LIMITED",
            **decision.headers(),
        )

    def cost(self, viewer: Viewer) -> tuple[int, int]:
        """The request's cost and the viewer's limit (hub/web/cost.py), before anything runs;
        a document that does not parse costs nothing (the GraphQL layer says why)."""
        role = viewer.role.value if viewer.role is not None else "ANONYMOUS"
        limit = self.settings.max_cost_of(role)
        incoming = _incoming.get(None)
        if incoming is None or incoming.query is None:
            return 0, limit
        try:
            document = documents.parse(incoming.query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return 0, limit
        cost = operation_cost(
            schema.schema._schema, document, incoming.operation_name, incoming.variables
        )
        return cost, limit

    async def execute(self, request: Request) -> Response:
        compiled = await self.compiled_read(request)
        if compiled is not None:
            return compiled
        try:
            return await self.run(request)
        except HTTPException as error:
            return self.http_error(request, error)

    async def compiled_read(self, request: Request) -> Response | None:
        """A planned read answered by the compiled path (schema/compiled/), as the executor
        would answer it; None when the executor must."""
        incoming = _incoming.get(None)
        if self.compiled is None or incoming is None or request.method not in {"GET", "POST"}:
            return None
        sub_response = await self.get_sub_response(request)
        body = await self.compiled.answer(
            incoming.query,
            incoming.operation_name,
            incoming.variables,
            cost=request.state.cost,
            max_cost=request.state.max_cost,
            # for the fields the executor answers: the context it would run them with
            context=lambda: self.get_context(request, sub_response),
        )
        if body is None:
            return None
        media = _answer_as.get()
        response = Response(
            body, media_type=media if media == GRAPHQL_RESPONSE else "application/json"
        )
        response.headers.raw.extend(sub_response.headers.raw)  # as `create_response` does
        return response

    async def respond(self, request: Request, viewer: Viewer) -> Response:
        """Execute, or answer a read from the response cache or with 304 (hub/web/caching.py)."""
        incoming = _incoming.get(None)
        if incoming is not None and incoming.query is not None:
            request.state.cache = "bypass"  # until it turns out a hit or a miss
        if self.cache is None and request.method != "GET":
            return await self.execute(request)
        read = await self.cacheable_read(request)
        if read is None:
            return await self.execute(request)
        document, operation_name, variables = read
        version = await dataversion.current()
        key = cache_key(
            version=version,
            viewer=f"account:{viewer.account_id}" if viewer.account_id else "anonymous",
            document=document,
            operation_name=operation_name,
            variables=variables,
            media_type=_answer_as.get(),
        )
        headers = {
            # A shared cache may keep only what anonymous clients see; always revalidate.
            "Cache-Control": "private, no-cache" if viewer.account_id else "public, no-cache",
            "Vary": "Authorization, Accept",
        }
        if request.method == "GET":
            headers["ETag"] = f'"{key}"'
            if headers["ETag"] in request.headers.get("if-none-match", ""):
                request.state.cache = "hit"
                return Response(status_code=304, headers=headers)
        if self.cache is not None:
            self.cache.observe_version(version)
            body = self.cache.get(key)
            if body is not None:
                request.state.cache = "hit"
                return Response(
                    body, media_type=_answer_as.get(), headers={**headers, "X-Hub-Cache": "hit"}
                )
            request.state.cache = "miss"
        response = await self.execute(request)
        if response.status_code == 200 and not has_unexpected_errors(bytes(response.body)):
            if self.cache is not None:
                self.cache.put(key, bytes(response.body))
            response.headers.update({**headers, "X-Hub-Cache": "miss"})
        return response

    async def cacheable_read(
        self, request: Request
    ) -> tuple[Document, str | None, dict[str, Any] | None] | None:
        """The document, operation name and variables of a query that may be cached."""
        incoming = _incoming.get()
        if incoming.query is None:
            return None
        document = self.documents.analyse(incoming.query, incoming.operation_name)
        if document is None or not document.cacheable:
            return None
        return document, incoming.operation_name, incoming.variables

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        """The request as the edge read and checked it (hub/web/bodies.py), not read again."""
        incoming = _incoming.get()
        transport = self._get_stream_transport_from_headers(request.headers)
        return GraphQLRequestData(
            query=incoming.query,
            variables=incoming.variables,
            operation_name=incoming.operation_name,
            extensions=incoming.extensions,
            protocol=transport.protocol if transport else "http",
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Under `application/graphql-response+json`, a request error has no `data` entry
        (and gets 400, `create_response`); `application/json` keeps `data: null` and 200."""
        body = process_result(result)
        if _answer_as.get() == GRAPHQL_RESPONSE and is_request_error(result):
            body.pop("data", None)
        return body

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media = _answer_as.get()
        if media == GRAPHQL_RESPONSE:
            response.headers["content-type"] = media
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response

    @staticmethod
    def http_error(request: Request, error: HTTPException) -> Response:
        """Strawberry's refusals before execution, as GraphQL error bodies with exact statuses:
        a mutation over GET is 405 (only POST may change data)."""
        status, code, message = error.status_code, "BAD_REQUEST", error.reason
        if request.method == "GET" and "not allowed when using GET" in message:
            return graphql_error_response(
                "mutations are only accepted over POST", 405, "METHOD_NOT_ALLOWED", Allow="POST"
            )
        if status == 405:
            code = "METHOD_NOT_ALLOWED"
        return graphql_error_response(message, status, code)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        viewer: Viewer = request.scope.get("state", {}).get("viewer", ANONYMOUS)
        return Context(
            settings=self.settings,
            viewer=viewer,
            cache=self.cache,
            request=request,
            response=response if isinstance(response, Response) else None,
        )

    def decode_json(self, data: str | bytes) -> object:
        """WebSocket messages (HTTP bodies are read by `read_graphql_request`) are held to the
        body rules: size, UTF-8, nesting, integers. Strawberry closes the socket with 4400 on
        the JSONDecodeError."""
        if len(data) > self.settings.max_body_bytes:
            raise json.JSONDecodeError(
                f"a message is larger than {self.settings.max_body_bytes} bytes", "", 0
            )
        try:
            return decode_json(data, what="the message")
        except BodyRefused as refused:
            raise json.JSONDecodeError(refused.message, "", 0) from None

    async def on_ws_connect(self, context: Context) -> None:
        """A WebSocket authenticates with `connection_init`'s `{"Authorization": "Bearer …"}`
        (4403 when the token is unknown, revoked or expired), and its token is checked again
        every `ws_token_check_seconds` while it stays open."""
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        if authorization is not None and not isinstance(authorization, str):
            raise ConnectionRejectionError()
        try:
            context.viewer = await authenticate(authorization)
        except Unauthenticated:
            raise ConnectionRejectionError() from None
        if authorization and isinstance(context.request, WebSocket):
            socket = context.request
            socket.scope.setdefault("state", {})["hub_token_watch"] = asyncio.create_task(
                self.watch_token(socket, authorization)
            )

    async def watch_token(self, socket: WebSocket, authorization: str) -> None:
        while True:
            await asyncio.sleep(self.settings.ws_token_check_seconds)
            try:
                await authenticate(authorization)
            except Unauthenticated as error:
                log.info("closing a WebSocket: %s", error)
                await socket.close(code=4403, reason="Forbidden")
                return

    async def render_graphql_ide(self, request: Request) -> Response:
        return Response(graphiql_html(), media_type="text/html")


async def report_for_token(
    authorization: str | None, month: str, kota_code: str | None, file_format: str
) -> str:
    """The report file for the bearer of `authorization`, if ADMIN or STAFF."""
    viewer = await authenticate(authorization)
    require_reader(viewer)
    return await report_file(month=month, kota_code=kota_code, file_format=file_format)


async def healthz(request: Request) -> Response:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        log.exception("health check failed")
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


def create_app(settings: Settings | None = None) -> Starlette:
    """The hub's ASGI application for `settings` (default: from the environment)."""
    settings = settings or Settings.from_env()
    schema.configure(settings)
    outbox.configure(settings)
    graphql = HubGraphQL(settings)
    # Every channel with an outbox reports its depth and age at each scrape of /metrics.
    metrics.register_outbox("mail", mail_outbox_state)
    metrics.register_outbox("webhook", webhook_outbox_state)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with (
                open_database(settings),
                running_fanout(
                    database_url=settings.database_url,
                    queue_size=settings.subscription_queue_size,
                ),
            ):
                # What start-up built (schema, models, prepared plans) lives as long as the app:
                # left out of the collector's full passes, which otherwise walk those 100,000-odd
                # objects every few dozen requests (about a quarter of a nested read's CPU).
                gc.collect()
                gc.freeze()
                try:
                    yield
                finally:
                    gc.unfreeze()
        finally:
            metrics.process_ended()

    return Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/unsubscribe/{token}", unsubscribe_endpoint(settings), methods=["GET", "POST"]),
            *calendar_routes(
                kecamatan=lambda code: feeds.kecamatan_feed(code=code, settings=settings),
                kota=lambda code: feeds.kota_feed(code=code, settings=settings),
                community=lambda key: feeds.community_feed(global_id=key, settings=settings),
                account=lambda token: feeds.private_feed(token=token, settings=settings),
            ),
            *static_routes(),
            *map_routes(),
            *report_routes(report_for_token),
            *metrics_routes(
                proxies=TrustedProxies(settings.trusted_proxies), token=settings.metrics_token
            ),
        ],
        middleware=[
            Middleware(KeepWebSocketSend),
            Middleware(RequestIdMiddleware),
            Middleware(RequestLogMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=[
                    "X-Request-ID",
                    "ETag",
                    "RateLimit-Limit",
                    "RateLimit-Remaining",
                    "RateLimit-Reset",
                    "Retry-After",
                ],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
