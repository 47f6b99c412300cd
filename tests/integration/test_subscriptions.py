"""Subscriptions over graphql-transport-ws (DESIGN section 10): planEvents with the visibility
of `plans`, trainingUpdates of public trainings, replay after a cursor, slow consumers.

A real uvicorn server on loopback sharing the session's database and the process's event
fan-out, spoken to with the `websockets` client; changes are made over HTTP."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

import schema
from hub.core import Settings, decode_global_id, write_transaction
from hub.integration import EventKind, record_event
from hub.integration.fanout import current_fanout
from schema.integration.sharing import SharingExecutionContext
from tests.api.plan_fixtures import World, at, build_world
from tests.api.test_plans import CANCEL, active_plan, answer, proposal, propose
from tests.conftest import GraphQLClient
from tests.integration.test_websocket import _free_port

pytestmark = pytest.mark.usefixtures("reference_data")

PROTOCOL = "graphql-transport-ws"
_worlds = itertools.count()

PLAN_EVENTS = """
subscription ($filter: PlanEventFilter, $after: String) {
  planEvents(filter: $filter, after: $after) { kind event cursor version plan { id title } }
}
"""

TRAINING_UPDATES = """
subscription ($code: String, $after: String) {
  trainingUpdates(kecamatanCode: $code, after: $after) { kind cursor training { title status } }
}
"""

LATEST = "query { latestEventCursor }"

PLAN_EVENTS_WITH_ACTOR = """
subscription ($filter: PlanEventFilter) {
  planEvents(filter: $filter) { kind plan { id } actor { email } }
}
"""


@pytest.fixture(scope="module")
async def server(app: Starlette, settings: Settings) -> AsyncIterator[str]:
    from hub.app import create_app

    hub = create_app(settings)
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


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"s{next(_worlds)}")


class Subscription:
    """One subscription on its own socket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def next(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
        return message

    async def payloads(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            message = await self.next()
            assert message["type"] == "next", message
            out.append(message["payload"])
        return out

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return True
        return False


@asynccontextmanager
async def subscribed(
    url: str, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[Subscription]:
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        init: dict[str, Any] = {"type": "connection_init"}
        if token:
            init["payload"] = {"Authorization": f"Bearer {token}"}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "type": "subscribe",
                    "id": "1",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        await asyncio.sleep(0.3)  # the operation is registered with the fan-out
        yield Subscription(ws)


async def test_an_admin_receives_a_plans_events_live(
    server: str, gql: GraphQLClient, world: World
) -> None:
    async with subscribed(server, world.tokens["admin"], PLAN_EVENTS) as sub:
        plan = (await propose(gql, world))["plan"]
        (payload,) = await sub.payloads(1)

    event = payload["data"]["planEvents"]
    assert (event["kind"], event["event"], event["version"]) == ("PROPOSED", "PLAN_PROPOSED", 1)
    assert event["plan"] == {"id": plan["id"], "title": plan["title"]}
    latest = (await gql(LATEST))["data"]["latestEventCursor"]
    assert event["cursor"] == latest


async def test_a_reconnecting_subscriber_gets_the_missed_events_once(
    server: str, gql: GraphQLClient, world: World
) -> None:
    # Given a subscriber that saw a proposal, then went away
    async with subscribed(server, world.tokens["staff"], PLAN_EVENTS) as sub:
        plan = (await propose(gql, world))["plan"]
        (seen,) = await sub.payloads(1)
    cursor = seen["data"]["planEvents"]["cursor"]

    # When three changes happen meanwhile
    plan = (await answer(gql, world, plan, "staff"))["plan"]
    other = (await propose(gql, world, title="Rencana kedua", allocations=[], trainings=[]))["plan"]
    declined = await answer(gql, world, plan, "k2", decision="DECLINE")
    assert declined["errors"] == []
    plan = declined["plan"]

    # Then it reconnects with its cursor and gets those three, in order, once
    variables = {"after": cursor}
    async with subscribed(server, world.tokens["staff"], PLAN_EVENTS, variables) as again:
        missed = [p["data"]["planEvents"] for p in await again.payloads(3)]
        assert await again.nothing_within(1.0)
        # and then continues live
        await answer(gql, world, other, "staff")
        (live,) = await again.payloads(1)

    assert [(e["kind"], e["plan"]["id"]) for e in missed] == [
        ("ACCEPTED", plan["id"]),
        ("PROPOSED", other["id"]),
        ("DECLINED", plan["id"]),
    ]
    assert len({e["cursor"] for e in missed}) == 3
    assert (live["data"]["planEvents"]["kind"], live["data"]["planEvents"]["plan"]["id"]) == (
        "ACCEPTED",
        other["id"],
    )


@pytest.mark.parametrize("who", [None, "partner", "k3"])
async def test_a_viewer_gets_nothing_of_a_plan_it_may_not_see(
    server: str, gql: GraphQLClient, world: World, who: str | None
) -> None:
    # Given a subscriber who may not see K1 and K2's plan, but may see a plan with K3
    token = world.tokens[who] if who else None
    async with subscribed(server, token, PLAN_EVENTS) as sub:
        # When K1 and K2's plan goes through its life
        await active_plan(gql, world)
        # and then a plan the subscriber may see (K3's, for its coordinator) is proposed
        if who == "k3":
            mine = await propose(
                gql, world, "k3", communityIds=[world.community["K3"]], allocations=[], trainings=[]
            )
            assert mine["errors"] == []
            (first,) = await sub.payloads(1)
            # Then the first event it gets is of that plan
            assert first["data"]["planEvents"]["plan"]["id"] == mine["plan"]["id"]
        else:
            # Then anonymous clients and partner apps get nothing
            assert await sub.nothing_within(1.5)


async def test_subscribers_share_one_execution_per_viewer_and_see_only_their_own(
    server: str, gql: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the same document from two sockets of one admin, a staff member of the plan's
    # centre, and a coordinator who may not see the plan, with each execution counted
    executions: list[str] = []
    execute = SharingExecutionContext._execute_event

    async def counted(self: SharingExecutionContext, serially: bool | None) -> Any:
        executions.append(self.context_value.viewer.role.value)
        return await execute(self, serially)

    monkeypatch.setattr(SharingExecutionContext, "_execute_event", counted)
    query = PLAN_EVENTS_WITH_ACTOR
    async with (
        subscribed(server, world.tokens["admin"], query) as admin,
        subscribed(server, world.tokens["admin"], query) as same_admin,
        subscribed(server, world.tokens["staff"], query) as staff,
        subscribed(server, world.tokens["k3"], query) as k3,
    ):
        # When K1's coordinator proposes a plan to the staff's centre
        plan = (await propose(gql, world, allocations=[], trainings=[]))["plan"]
        (for_admin,) = await admin.payloads(1)
        (for_same_admin,) = await same_admin.payloads(1)
        (for_staff,) = await staff.payloads(1)

        # Then the coordinator of another community gets nothing of it
        assert await k3.nothing_within(1.0)

    # and the admins get the same result, the proposer's email included
    assert for_admin == for_same_admin
    assert for_admin["data"]["planEvents"] == {
        "kind": "PROPOSED",
        "plan": {"id": plan["id"]},
        "actor": {"email": f"k1.{world.tag}@test.example.org"},
    }
    # while the staff member, who may see the plan but not the coordinator's email, does not
    assert for_staff["data"]["planEvents"]["plan"] == {"id": plan["id"]}
    assert for_staff["data"]["planEvents"]["actor"] == {"email": None}
    assert [e["extensions"]["code"] for e in for_staff["errors"]] == ["FORBIDDEN"]
    # and the selection ran once for the two admin sockets, once for the staff member
    assert sorted(executions) == ["ADMIN", "STAFF"]


async def test_filters_narrow_the_events(server: str, gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]
    variables = {"filter": {"planId": plan["id"]}}
    async with subscribed(server, world.tokens["admin"], PLAN_EVENTS, variables) as sub:
        await propose(gql, world, title="Yang lain", allocations=[], trainings=[])
        await answer(gql, world, plan, "staff")
        (only,) = await sub.payloads(1)
    assert (only["data"]["planEvents"]["kind"], only["data"]["planEvents"]["plan"]["id"]) == (
        "ACCEPTED",
        plan["id"],
    )


async def test_training_updates_are_public(server: str, gql: GraphQLClient, world: World) -> None:
    async with subscribed(server, None, TRAINING_UPDATES, {"code": "31.71.01"}) as sub:
        await active_plan(gql, world)
        (update,) = await sub.payloads(1)
    assert update["data"]["trainingUpdates"]["kind"] == "TRAINING_SCHEDULED"
    assert update["data"]["trainingUpdates"]["training"] == {
        "title": "Foto produk kuliner",
        "status": "SCHEDULED",
    }


async def test_a_cancelled_plan_cancels_its_public_trainings_for_subscribers(
    server: str, gql: GraphQLClient, world: World
) -> None:
    # Given an anonymous subscriber to Gambir's trainings, and a plan with two trainings
    second = {
        "title": "Pengemasan produk",
        "sectorCode": "KULINER",
        "startsAt": at(12, 9),
        "endsAt": at(12, 12),
        "venue": "Aula Kecamatan Gambir",
        "capacity": 20,
        "mentorIds": [world.mentor["M1"]],
    }
    first = proposal(world)["trainings"][0]
    async with subscribed(server, None, TRAINING_UPDATES, {"code": "31.71.01"}) as sub:
        # that becomes active (both trainings are scheduled and public)
        plan = await active_plan(gql, world, trainings=[first, second])
        scheduled = [p["data"]["trainingUpdates"] for p in await sub.payloads(2)]
        # When the plan is cancelled
        body = await gql(
            CANCEL,
            {"input": {"planId": plan["id"], "version": plan["version"], "reason": "Banjir"}},
            headers=world.headers("staff"),
        )
        assert body["data"]["cancelPlan"]["errors"] == []
        # Then the subscriber is told each training is cancelled, once
        cancelled = [p["data"]["trainingUpdates"] for p in await sub.payloads(2)]
        assert await sub.nothing_within(1.0)

    assert [u["kind"] for u in scheduled] == ["TRAINING_SCHEDULED"] * 2
    assert sorted(
        (u["kind"], u["training"]["title"], u["training"]["status"]) for u in cancelled
    ) == [
        ("TRAINING_CANCELLED", "Foto produk kuliner", "CANCELLED"),
        ("TRAINING_CANCELLED", "Pengemasan produk", "CANCELLED"),
    ]
    # and a reconnecting subscriber replays the cancellations too, in order
    after = scheduled[-1]["cursor"]
    variables = {"code": "31.71.01", "after": after}
    async with subscribed(server, None, TRAINING_UPDATES, variables) as again:
        replayed = [p["data"]["trainingUpdates"] for p in await again.payloads(2)]
    assert [u["cursor"] for u in replayed] == [u["cursor"] for u in cancelled]


async def test_a_proposal_cancelled_before_activation_tells_nobody_of_its_trainings(
    server: str, gql: GraphQLClient, world: World
) -> None:
    # Given a proposed plan, whose training was never public
    plan = (await propose(gql, world))["plan"]
    async with subscribed(server, None, TRAINING_UPDATES) as sub:
        # When it is cancelled
        body = await gql(
            CANCEL,
            {"input": {"planId": plan["id"], "version": plan["version"]}},
            headers=world.headers("k1"),
        )
        assert body["data"]["cancelPlan"]["errors"] == []
        # Then trainingUpdates has nothing to say about it
        assert await sub.nothing_within(1.5)


async def test_a_malformed_or_unknown_cursor_is_invalid(server: str, world: World) -> None:
    for after in ["nonsense", "Y3Vyc29yOjIxNDc0ODM2NDc="]:  # cursor:2147483647, not reached
        async with subscribed(server, None, TRAINING_UPDATES, {"after": after}) as sub:
            message = await sub.next()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "INVALID"


async def test_a_slow_subscriber_is_told_and_closed(
    server: str, gql: GraphQLClient, world: World
) -> None:
    # Given a subscriber allowed to fall three events behind
    fanout = current_fanout()
    fanout.queue_size = 3
    try:
        async with subscribed(server, world.tokens["admin"], PLAN_EVENTS) as sub:
            plan = (await propose(gql, world))["plan"]
            await sub.payloads(1)

            # When ten events commit at once, faster than it can take them
            async with write_transaction():
                for _ in range(10):
                    await record_event(
                        kind=EventKind.PLAN_REVISED,
                        plan_id=decode_global_id(plan["id"], "Plan"),
                        data={"version": 1},
                    )

            # Then it gets at most the queued events, then SLOW_CONSUMER, and is closed
            messages = [await sub.next() for _ in range(5)]
    finally:
        fanout.queue_size = Settings().subscription_queue_size

    kinds = [m["type"] for m in messages]
    assert kinds[:3] == ["next", "next", "next"]
    assert messages[3]["payload"]["errors"][0]["extensions"]["code"] == "SLOW_CONSUMER"
    assert messages[4] == {"type": "complete", "id": "1"}
