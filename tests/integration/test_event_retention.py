"""Retention of the event stream (DESIGN section 10): the delivery worker and `hub events purge`
remove stream-only events older than `HUB_EVENT_RETENTION_DAYS`; a plan's history keeps every
line; a cursor older than the retention is INVALID for both subscriptions."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from hub.core import Settings, decode_global_id
from models.accounts import Account
from models.enums import Role, WebhookDeliveryStatus
from models.integration import Event
from models.webhooks import Webhook, WebhookDelivery
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import active_plan, propose
from tests.conftest import GraphQLClient
from tests.integration.test_mail_workers import HUB, worker_env
from tests.integration.test_subscriptions import (
    PLAN_EVENTS,
    TRAINING_UPDATES,
    server,  # noqa: F401 - the module's WebSocket server
    subscribed,
)

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

HISTORY = """
query ($id: ID!) {
  node(id: $id) { ... on Plan { events { kind event cursor at version } } }
}
"""


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"r{next(_worlds)}")


async def history(gql: GraphQLClient, world: World, plan_id: str) -> list[dict[str, Any]]:
    body = await gql(HISTORY, {"id": plan_id}, headers=world.headers("admin"))
    events: list[dict[str, Any]] = body["data"]["node"]["events"]
    return events


async def aged_plan(gql: GraphQLClient, world: World) -> tuple[dict[str, Any], int]:
    """An active plan (history lines and a stream-only TRAINING_SCHEDULED event) whose events
    are all 40 days old, then a newer change; the plan and its number."""
    plan = await active_plan(gql, world)
    number = decode_global_id(plan["id"], "Plan")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    await Event.filter(plan_id=number).update(at=old)
    assert (await propose(gql, world, title="Baru", allocations=[], trainings=[]))["errors"] == []
    return plan, number


async def stream_only(number: int) -> list[str]:
    kinds = await Event.filter(plan_id=number, kind="TRAINING_SCHEDULED").values_list(
        "kind", flat=True
    )
    return [str(k) for k in kinds]


async def test_the_worker_purges_old_events_but_no_history_and_old_cursors_are_invalid(
    server: str,  # noqa: F811
    gql: GraphQLClient,
    world: World,
    settings: Settings,
    tmp_path: Path,
) -> None:
    # Given an active plan whose events are 40 days old, with its history as the API shows it
    plan, number = await aged_plan(gql, world)
    lines = await history(gql, world, plan["id"])
    assert [line["kind"] for line in lines] == ["PROPOSED", "ACCEPTED", "ACCEPTED", "ACTIVATED"]
    assert await stream_only(number) == ["TRAINING_SCHEDULED"]

    # When the delivery worker runs with a retention of 30 days
    env = worker_env(settings, tmp_path, HUB_EVENT_RETENTION_DAYS="30")
    process = await asyncio.create_subprocess_exec(*HUB, "worker", env=env)
    try:
        deadline = time.monotonic() + 30
        while await stream_only(number):
            assert time.monotonic() < deadline, "timed out waiting for the purge"
            await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0

    # Then the stream-only event is gone, and the plan's history keeps every line unchanged
    assert await stream_only(number) == []
    assert await history(gql, world, plan["id"]) == lines

    # And a cursor older than the retention is INVALID for both subscriptions
    old_cursor = lines[0]["cursor"]
    for query in (PLAN_EVENTS, TRAINING_UPDATES):
        async with subscribed(
            server, world.tokens["admin"], query, {"after": old_cursor}
        ) as subscription:
            message = await subscription.next()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "INVALID"
        assert "latestEventCursor" in errors[0]["message"]


async def test_hub_events_purge_removes_old_stream_only_events(
    gql: GraphQLClient, world: World, settings: Settings, tmp_path: Path
) -> None:
    # Given an active plan whose events are 40 days old
    plan, number = await aged_plan(gql, world)
    lines = await history(gql, world, plan["id"])

    # When `hub events purge` runs with a retention of 60 days, then of 30
    env = worker_env(settings, tmp_path, HUB_EVENT_RETENTION_DAYS="60")
    kept = await hub(env, "events", "purge")
    assert kept.endswith("events older than 60 days were removed (plans' history lines are kept)")
    assert await stream_only(number) == ["TRAINING_SCHEDULED"]
    env["HUB_EVENT_RETENTION_DAYS"] = "30"
    done = await hub(env, "events", "purge")

    # Then the stream-only event older than 30 days is gone, the history is whole
    assert re.fullmatch(r"[1-9][0-9]* events older than 30 days were removed .*", done)
    assert await stream_only(number) == []
    assert await history(gql, world, plan["id"]) == lines


async def test_an_event_a_webhook_still_has_to_deliver_is_kept(
    gql: GraphQLClient, world: World, settings: Settings, tmp_path: Path
) -> None:
    # Given an old stream-only event that an endpoint has not received yet (retrying)
    _, number = await aged_plan(gql, world)
    scheduled = await Event.get(plan_id=number, kind="TRAINING_SCHEDULED")
    hook = await Webhook.create(
        account=await Account.filter(role=Role.ADMIN).first(),
        url="https://hooks.example.org/in",
        events=",TRAINING_SCHEDULED,",
        secret="whsec_x",
    )
    await WebhookDelivery.filter(webhook=hook).delete()
    delivery = await WebhookDelivery.create(
        webhook=hook,
        event_id=scheduled.position,
        kind="TRAINING_SCHEDULED",
        status=WebhookDeliveryStatus.RETRYING,
        next_attempt_at=dt.datetime.now(dt.UTC),
        created_at=scheduled.at,
    )
    env = worker_env(settings, tmp_path, HUB_EVENT_RETENTION_DAYS="30")

    # When the purge runs, then again once the delivery has failed for good
    await hub(env, "events", "purge")
    kept = await stream_only(number)
    await WebhookDelivery.filter(id=delivery.id).update(status=WebhookDeliveryStatus.FAILED)
    await hub(env, "events", "purge")

    # Then the event stays while the endpoint may still get it, and goes after
    assert kept == ["TRAINING_SCHEDULED"]
    assert await stream_only(number) == []
    await hook.delete()


async def hub(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *HUB, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode().strip()
