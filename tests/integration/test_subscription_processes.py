"""Subscriptions across processes: two `hub serve` processes on one database. A change
committed through one reaches a subscriber of the other (PostgreSQL: LISTEN/NOTIFY; SQLite:
the short poll), and commits racing in both arrive in commit order with no gap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from hub.core import Settings
from models.integration import Event
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import PROPOSE, proposal
from tests.integration.servers import serving

pytestmark = pytest.mark.usefixtures("reference_data")

PLAN_EVENTS = "subscription { planEvents { kind cursor plan { title } } }"


@pytest.fixture
async def two_servers(settings: Settings, tmp_path: Path) -> AsyncIterator[list[int]]:
    envs = [{"HUB_WORKER": "off", "HUB_RATE_LIMIT": "0"}] * 2
    async with serving(settings, tmp_path, envs) as ports:
        yield ports


async def _propose(port: int, world: World, title: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": PROPOSE,
                "variables": {"input": proposal(world, title=title, allocations=[], trainings=[])},
            },
            headers=world.headers("k1"),
        )
    payload: dict[str, Any] = response.json()["data"]["proposePlan"]
    assert payload["errors"] == [], payload
    return payload


async def test_changes_reach_subscribers_of_another_process_in_commit_order(
    two_servers: list[int],
) -> None:
    first, second = two_servers
    world = await build_world("procs")
    async with connect(
        f"ws://127.0.0.1:{first}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {world.tokens['admin']}"},
                }
            )
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps({"type": "subscribe", "id": "1", "payload": {"query": PLAN_EVENTS}})
        )
        await asyncio.sleep(0.5)

        # When a change commits through the other process
        await _propose(second, world, "Lewat proses kedua")
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["payload"]["data"]["planEvents"]["plan"]["title"] == "Lewat proses kedua"

        # And when six changes race, three through each process
        titles = [f"Balapan {i}" for i in range(6)]
        await asyncio.gather(
            *(_propose(two_servers[i % 2], world, t) for i, t in enumerate(titles))
        )
        received = [
            json.loads(await asyncio.wait_for(ws.recv(), 10))["payload"]["data"]["planEvents"]
            for _ in titles
        ]

    # Then the subscriber got all six, in the order of their positions, with no gap
    assert sorted(r["plan"]["title"] for r in received) == sorted(titles)
    positions = [
        (await Event.filter(kind="PLAN_PROPOSED", plan__title=r["plan"]["title"]).first()).position  # type: ignore[union-attr]
        for r in received
    ]
    assert positions == sorted(positions)
    committed = await Event.filter(position__gte=positions[0], position__lte=positions[-1]).count()
    assert committed == len(positions)
