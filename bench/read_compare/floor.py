"""The floor: one hand-written SQL query per operation, served by a bare Starlette route.

PostgreSQL builds the whole response body (json_agg / json_build_object, in the hub's shape)
and the route passes the text through: the least work a Python server can do for the same
JSON. It runs in its own process (`read_compare.py --serve-floor`) under uvicorn, one worker,
with an asyncpg pool of the same size as the other servers'."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from read_compare.common import FIRST
from read_compare.operations import (
    FLOOR_KECAMATAN_SQL,
    FLOOR_NESTED_SQL,
    FLOOR_NODE_SQL,
    ancestor_codes,
    decode_community_id,
)


def serve_floor(database_url: str, port: int, pool_size: int) -> int:
    import asyncpg
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    pools: list[Any] = []  # asyncpg.Pool, made in the lifespan

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=pool_size)
        pools.append(pool)
        try:
            yield
        finally:
            await pool.close()

    def answer(text: str | None) -> Response:
        return Response(text or "{}", media_type="application/json")

    def refuse(message: str) -> Response:
        return JSONResponse({"data": None, "errors": [{"message": message}]}, status_code=400)

    async def nested(request: Request) -> Response:
        return answer(await pools[0].fetchval(FLOOR_NESTED_SQL, FIRST))

    async def kecamatan(request: Request) -> Response:
        body = await request.json()
        code, kota = body.get("code"), body.get("kota")
        if not isinstance(code, str) or not isinstance(kota, str):
            return refuse("give the kecamatan's `code` and its `kota` as strings")
        return answer(
            await pools[0].fetchval(
                FLOOR_KECAMATAN_SQL, code, ancestor_codes(kota), f"{kota}.", FIRST
            )
        )

    async def node(request: Request) -> Response:
        given = (await request.json()).get("id")
        pk = decode_community_id(given) if isinstance(given, str) else None
        if pk is None:
            return refuse("give the global `id` of a Community")
        return answer(await pools[0].fetchval(FLOOR_NODE_SQL, pk))

    async def healthz(request: Request) -> Response:
        await pools[0].fetchval("SELECT 1")
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/nested", nested, methods=["POST"]),
            Route("/kecamatan", kecamatan, methods=["POST"]),
            Route("/node", node, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0
