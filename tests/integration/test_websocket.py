"""The WebSocket on /graphql: graphql-transport-ws only, authenticated by `connection_init`,
closed when its token is revoked, held to the document limits (issue 11, finding 13).

A real uvicorn server on loopback, spoken to with the `websockets` client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import schema
from hub.access import create_token, revoke_token
from hub.app import create_app
from hub.core import Settings
from models.enums import Role
from tests.conftest import Tokens, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

PROTOCOL = "graphql-transport-ws"
VIEWER = "query Viewer { viewer { email role } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
async def server(app: Starlette, settings: Settings) -> AsyncIterator[str]:
    """The hub on a loopback port (sharing the session's database), checking open sockets'
    tokens every 0.2 s."""
    hub = create_app(replace(settings, ws_token_check_seconds=0.2))
    port = _free_port()
    config = uvicorn.Config(hub, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    while not running.started:  # noqa: ASYNC110 - uvicorn's Server offers no event to await
        await asyncio.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        running.should_exit = True
        await task
        schema.configure(settings)


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    return await make_tokens()


async def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def _init(ws: ClientConnection, payload: dict[str, Any] | None) -> None:
    await _send(ws, {"type": "connection_init", **({"payload": payload} if payload else {})})


async def _close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), timeout=5)
    return ws.close_code


async def test_connection_init_authenticates_the_socket(server: str, tokens: Tokens) -> None:
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _init(ws, {"Authorization": f"Bearer {tokens.secrets['staff']}"})
        assert (await _receive(ws))["type"] == "connection_ack"

        await _send(ws, {"type": "subscribe", "id": "1", "payload": {"query": VIEWER}})
        result = await _receive(ws)

        assert (
            result
            == {
                "type": "next",
                "id": "1",
                "payload": {
                    "data": {"viewer": {"email": "staff.1@test.example.org", "role": "STAFF"}}
                },
            }
            or result["payload"]["data"]["viewer"]["role"] == "STAFF"
        )
        assert (await _receive(ws)) == {"type": "complete", "id": "1"}


async def test_without_a_token_the_socket_is_anonymous(server: str) -> None:
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _init(ws, None)
        assert (await _receive(ws))["type"] == "connection_ack"
        await _send(ws, {"type": "subscribe", "id": "1", "payload": {"query": VIEWER}})
        payload = (await _receive(ws))["payload"]
        assert payload["data"] == {"viewer": None}
        assert payload["extensions"]["cost"] == {"requested": 0, "maxCost": 50_000}


async def test_the_upgrade_headers_authorization_is_not_used(server: str, tokens: Tokens) -> None:
    headers = {"Authorization": f"Bearer {tokens.secrets['admin']}"}
    async with connect(server, subprotocols=[PROTOCOL], additional_headers=headers) as ws:  # type: ignore[list-item]
        await _init(ws, None)
        assert (await _receive(ws))["type"] == "connection_ack"
        await _send(ws, {"type": "subscribe", "id": "1", "payload": {"query": VIEWER}})
        payload = (await _receive(ws))["payload"]
        assert payload["data"] == {"viewer": None}
        assert payload["extensions"]["cost"] == {"requested": 0, "maxCost": 50_000}


@pytest.mark.parametrize("authorization", ["Bearer okh_nonsense", "Basic abc", 42])
async def test_a_bad_token_closes_the_socket_with_4403(server: str, authorization: object) -> None:
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _init(ws, {"Authorization": authorization})
        assert await _close_code(ws) == 4403


async def test_a_revoked_tokens_socket_is_closed(server: str, tokens: Tokens) -> None:
    # Given an open, authenticated socket
    issued = await create_token(email="revoked@test.example.org", role=Role.PARTNER)
    secret = issued.secret
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _init(ws, {"Authorization": f"Bearer {secret}"})
        assert (await _receive(ws))["type"] == "connection_ack"

        # When its token is revoked
        await revoke_token(token_id=issued.token.id)

        # Then the socket is closed at the next check
        assert await _close_code(ws) == 4403


async def test_the_legacy_graphql_ws_protocol_is_refused(server: str) -> None:
    async with connect(server, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        assert await _close_code(ws) == 4406


async def test_document_limits_apply_to_each_operation(server: str) -> None:
    fragments = ["fragment F0 on Kota { name }"]
    fragments += [f"fragment F{i} on Kota {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 21)]
    query = "{ kotas { ...F20 } }\n" + "\n".join(fragments)
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await _init(ws, None)
        assert (await _receive(ws))["type"] == "connection_ack"
        await _send(ws, {"type": "subscribe", "id": "1", "payload": {"query": query}})
        error = await _receive(ws)

    assert error["type"] == "error"
    assert (
        "selects 1048577 fields once its fragments are expanded" in error["payload"][0]["message"]
    )


@pytest.mark.parametrize(
    "message",
    [
        json.dumps(
            {
                "type": "subscribe",
                "id": "1",
                "payload": {"query": "{ kotas { code } }", "variables": {"x": " " * (1024 * 1024)}},
            }
        ),
        '{"type": "subscribe", "id": "1", "payload": {"variables": ' + "[" * 100 + "]" * 100 + "}}",
        '{"type": "subscribe", "id": "1", "payload": {"n": ' + "9" * 5000 + "}}",
    ],
    ids=["over 1 MiB", "nested 100 deep", "5000 digits"],
)
async def test_messages_are_held_to_the_body_rules(server: str, message: str) -> None:
    async with connect(server, subprotocols=[PROTOCOL], max_size=None) as ws:  # type: ignore[list-item]
        await _init(ws, None)
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send(message)
        assert await _close_code(ws) == 4400
