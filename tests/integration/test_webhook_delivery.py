"""Webhook delivery against a real HTTP receiver on loopback: signatures checked with the
`standardwebhooks` library's own verifier, a receiver down and back, Retry-After, final 4xx,
a slow receiver, redirects, rotation, disabling, and `hub worker` processes killed or racing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import standardwebhooks
from starlette.applications import Starlette

from hub.app import create_app
from hub.core import Settings, write_transaction
from hub.integration import EventKind, record_event
from hub.integration.webhook_worker import WebhookWorker
from models.enums import WebhookDeliveryStatus
from models.notifications import Notification
from models.webhooks import Webhook, WebhookDelivery
from tests.conftest import GraphQLClient, Tokens, make_tokens
from tests.integration.webhook_receiver import Answer, Receiver, free_port, receiving

pytestmark = pytest.mark.usefixtures("reference_data")

HUB = [sys.executable, "-m", "hub.cli"]

CREATE = """
mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url enabled } secret errors { code field message } }
}
"""
ROTATE = """
mutation ($input: WebhookInput!) {
  rotateWebhookSecret(input: $input) { secret errors { code field } }
}
"""
DELIVERIES = """
query ($id: ID!) {
  node(id: $id) {
    ... on Webhook {
      enabled disabledAt
      deliveries(first: 50) { totalCount edges { node {
        eventCursor kind status attempts responseStatus durationMs lastError deliveredAt } } }
    }
  }
}
"""


@pytest.fixture(scope="module")
def private_app(app: Starlette, settings: Settings) -> Starlette:
    """The hub with `HUB_WEBHOOK_ALLOW_PRIVATE=on`, on the session's database."""
    return create_app(replace(settings, webhook_allow_private=True))


@pytest.fixture
async def gql(private_app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=private_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield GraphQLClient(http)


@pytest.fixture(scope="module")
async def tokens(reference_data: None) -> Tokens:
    from models.directory import Community
    from models.enums import CommunityKind

    community = await Community.create(name="Webhook delivery", kind=CommunityKind.SECTOR)
    return await make_tokens(community=community)


@pytest.fixture(autouse=True)
async def no_webhooks(reference_data: None) -> AsyncIterator[None]:
    await Webhook.all().delete()
    yield
    await Webhook.all().delete()


def fast(settings: Settings, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_allow_private": True,
        "webhook_retry_base_seconds": 0.05,
        "webhook_timeout_seconds": 2.0,
        **more,
    }
    return replace(settings, **values)


async def register(
    gql: GraphQLClient, tokens: Tokens, url: str, events: list[str] | None = None
) -> tuple[str, str]:
    body = await gql(
        CREATE,
        {"input": {"url": url, "events": events or ["PLAN_REVISED"]}},
        headers=tokens.headers("admin"),
    )
    payload = body["data"]["createWebhook"]
    assert payload["errors"] == [], payload
    return payload["webhook"]["id"], payload["secret"]


async def events(count: int, kind: EventKind = EventKind.PLAN_REVISED) -> list[int]:
    """`count` changes, each with its event, each in its own transaction."""
    positions = []
    for index in range(count):
        async with write_transaction():
            event = await record_event(kind=kind, plan_id=None, data={"version": index + 1})
        positions.append(int(event.position))
    return positions


async def deliveries(gql: GraphQLClient, tokens: Tokens, webhook: str) -> dict[str, Any]:
    body = await gql(DELIVERIES, {"id": webhook}, headers=tokens.headers("admin"))
    node: dict[str, Any] = body["data"]["node"]
    return node


def nodes(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in found["deliveries"]["edges"]]


async def until(
    condition: Any, *, worker: WebhookWorker | None = None, seconds: float = 15
) -> None:
    """Run the worker's passes until `condition()` holds."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        if worker is not None:
            await worker.run_once()
        await asyncio.sleep(0.05)


def status_count(status: WebhookDeliveryStatus) -> Any:
    async def check() -> bool:
        pending = await WebhookDelivery.exclude(status=status).count()
        return pending == 0

    return check


async def test_a_delivery_is_signed_and_verified_by_the_library(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving() as receiver:
        # Given a webhook of an admin
        webhook, secret = await register(gql, tokens, receiver.url)
        assert secret.startswith("whsec_")

        # When a change is made and the worker runs
        (position,) = await events(1)
        worker = WebhookWorker(settings=fast(settings))
        try:
            await worker.drain()
        finally:
            await worker.close()

        # Then the receiver got it, and the library's verifier accepts it
        (got,) = receiver.received
        payload = standardwebhooks.Webhook(secret).verify(got.body, got.headers)
        assert payload["type"] == "PLAN_REVISED"
        assert payload["data"]["version"] == 1
        datetime.fromisoformat(payload["timestamp"])
        assert got.webhook_id == f"evt_{position}"
        assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 30

    # And the delivery shows its outcome
    (delivery,) = nodes(await deliveries(gql, tokens, webhook))
    assert delivery["status"] == "DELIVERED"
    assert delivery["attempts"] == 1
    assert delivery["responseStatus"] == 200
    assert delivery["durationMs"] >= 0
    assert delivery["deliveredAt"] is not None
    assert delivery["lastError"] is None


async def test_a_receiver_down_then_back_gets_each_event_once(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    # Given a webhook whose receiver is not listening
    port = free_port()
    webhook, _ = await register(gql, tokens, f"http://127.0.0.1:{port}/hook")
    positions = await events(3)
    worker = WebhookWorker(settings=fast(settings))
    try:
        # When the worker tries
        await worker.run_once()

        # Then every delivery waits for another attempt, saying why
        first = nodes(await deliveries(gql, tokens, webhook))
        assert {d["status"] for d in first} == {"RETRYING"}
        assert all(d["lastError"] and d["responseStatus"] is None for d in first)

        # When the receiver comes back
        with receiving(port) as receiver:
            await until(status_count(WebhookDeliveryStatus.DELIVERED), worker=worker)
            await asyncio.sleep(0.3)
            await worker.drain()

            # Then each event arrived exactly once
            assert sorted(receiver.ids()) == sorted(f"evt_{p}" for p in positions)
    finally:
        await worker.close()


async def test_503_with_retry_after_waits_as_asked(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving(None, Answer(503, {"Retry-After": "1"}), Answer(200)) as receiver:
        webhook, _ = await register(gql, tokens, receiver.url)
        await events(1)
        worker = WebhookWorker(settings=fast(settings))
        try:
            # When the receiver answers 503 with Retry-After: 1
            await worker.run_once()
            (row,) = await WebhookDelivery.all()
            assert row.status is WebhookDeliveryStatus.RETRYING
            assert row.response_status == 503
            wait = (row.next_attempt_at - datetime.now(UTC)).total_seconds()
            # Then the next attempt is a second away, not the 0.05 s backoff
            assert 0.5 < wait <= 1.0

            # And a pass before then sends nothing
            await worker.run_once()
            assert len(receiver.received) == 1

            # When the second is over, the delivery goes through on the second attempt
            await asyncio.sleep(wait + 0.05)
            await worker.drain()
        finally:
            await worker.close()
    (delivery,) = nodes(await deliveries(gql, tokens, webhook))
    assert (delivery["status"], delivery["attempts"], delivery["responseStatus"]) == (
        "DELIVERED",
        2,
        200,
    )


@pytest.mark.parametrize(("status", "error"), [(410, "HTTP 410"), (302, "redirects are not")])
async def test_410_and_redirects_are_final(
    gql: GraphQLClient, tokens: Tokens, settings: Settings, status: int, error: str
) -> None:
    answer = Answer(status, {"Location": "http://127.0.0.1:1/elsewhere"} if status == 302 else {})
    with receiving(None, answer) as receiver:
        webhook, _ = await register(gql, tokens, receiver.url)
        await events(1)
        worker = WebhookWorker(settings=fast(settings))
        try:
            await worker.run_once()
            await asyncio.sleep(0.2)
            await worker.drain()
        finally:
            await worker.close()
        assert len(receiver.received) == 1
    (delivery,) = nodes(await deliveries(gql, tokens, webhook))
    assert (delivery["status"], delivery["attempts"], delivery["responseStatus"]) == (
        "FAILED",
        1,
        status,
    )
    assert error in delivery["lastError"]


async def test_a_slow_receiver_times_out_and_is_retried(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving(None, Answer(200, delay=3.0), Answer(200)) as receiver:
        webhook, _ = await register(gql, tokens, receiver.url)
        await events(1)
        worker = WebhookWorker(settings=fast(settings, webhook_timeout_seconds=0.5))
        try:
            started = time.monotonic()
            await worker.run_once()
            assert time.monotonic() - started < 2.5
            (first,) = nodes(await deliveries(gql, tokens, webhook))
            assert first["status"] == "RETRYING"
            assert first["responseStatus"] is None
            assert 400 <= first["durationMs"] < 2000
            assert "0.5 s" in first["lastError"] or "timeout" in first["lastError"].lower()
            await until(status_count(WebhookDeliveryStatus.DELIVERED), worker=worker)
        finally:
            await worker.close()
        assert len(receiver.received) == 2
        assert receiver.received[0].webhook_id == receiver.received[1].webhook_id


async def test_rotation_signs_with_both_secrets_for_a_day(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving() as receiver:
        webhook, old = await register(gql, tokens, receiver.url)
        body = await gql(ROTATE, {"input": {"webhookId": webhook}}, headers=tokens.headers("admin"))
        new = body["data"]["rotateWebhookSecret"]["secret"]
        assert new.startswith("whsec_")
        assert new != old
        await events(1)
        worker = WebhookWorker(settings=fast(settings))
        try:
            await worker.drain()
        finally:
            await worker.close()
        (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        standardwebhooks.Webhook(secret).verify(got.body, got.headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)


async def test_a_refused_address_at_delivery_is_a_failed_attempt(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving() as receiver:
        # Given a webhook registered while private targets were allowed
        webhook, _ = await register(gql, tokens, receiver.url)
        await events(1)
        # When the worker runs without the switch
        worker = WebhookWorker(settings=fast(settings, webhook_allow_private=False))
        try:
            await worker.run_once()
        finally:
            await worker.close()
        # Then nothing was sent, and the attempt says why
        assert receiver.received == []
    (delivery,) = nodes(await deliveries(gql, tokens, webhook))
    assert delivery["status"] == "RETRYING"
    assert delivery["lastError"].startswith("refused: a webhook URL must start with https://")


async def test_an_endpoint_failing_too_long_is_disabled_and_its_owner_emailed(
    gql: GraphQLClient, tokens: Tokens, settings: Settings
) -> None:
    with receiving(None, Answer(500)) as receiver:
        webhook, _ = await register(gql, tokens, receiver.url)
        await events(2)
        worker = WebhookWorker(settings=fast(settings, webhook_disable_after_seconds=0.3))

        async def disabled() -> bool:
            return not (await Webhook.get()).enabled

        try:
            await until(disabled, worker=worker)
        finally:
            await worker.close()
        attempts = len(receiver.received)
    found = await deliveries(gql, tokens, webhook)
    assert found["enabled"] is False
    assert found["disabledAt"] is not None
    assert {d["status"] for d in nodes(found)} == {"FAILED"}
    assert attempts >= 2
    (mail,) = await Notification.filter(kind="WEBHOOK_DISABLED")
    owner = await (await Webhook.get()).account
    assert mail.recipient_email == owner.email
    assert mail.context["webhook"]["url"] == receiver.url
    await mail.delete()


# -- `hub worker` processes -----------------------------------------------------------------


def worker_env(settings: Settings, tmp_path: Path, **more: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {
        **clean,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(tmp_path / "var"),
        "HUB_AUTO_MIGRATE": "off",
        "HUB_WEBHOOK_ALLOW_PRIVATE": "on",
        "HUB_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        **more,
    }


async def start_worker(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *HUB,
        "worker",
        *args,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def wait_for(receiver: Receiver, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(set(receiver.ids())) < count:
        assert time.monotonic() < deadline, f"{len(set(receiver.ids()))} of {count} arrived"
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_batch_loses_nothing(
    gql: GraphQLClient, tokens: Tokens, settings: Settings, tmp_path: Path
) -> None:
    # Given deliveries that a slow receiver takes a second each to answer
    with receiving(None, Answer(200, delay=1.0)) as receiver:
        await register(gql, tokens, receiver.url)
        positions = await events(10)
        env = worker_env(settings, tmp_path)

        # When a `hub worker` is killed (SIGKILL) while its batch is in flight
        first = await start_worker(env, "--lease-seconds", "2")
        try:
            await wait_for(receiver, 1, seconds=30)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert await WebhookDelivery.filter(status=WebhookDeliveryStatus.DELIVERED).count() == 0

        # Then another worker takes the claimed rows over once the lease runs out
        receiver.answer(Answer(200))
        second = await start_worker(env, "--lease-seconds", "2")
        try:
            await until(status_count(WebhookDeliveryStatus.DELIVERED), seconds=60)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 30) == 0
    # And every event arrived (those in flight when killed possibly twice, with one id)
    assert set(receiver.ids()) == {f"evt_{p}" for p in positions}


@pytest.mark.postgres
async def test_two_workers_on_postgresql_deliver_each_event_once(
    gql: GraphQLClient, tokens: Tokens, settings: Settings, tmp_path: Path
) -> None:
    if settings.is_sqlite:
        pytest.skip("several claiming workers need PostgreSQL (SQLite has one writer)")
    with receiving(None, Answer(200, delay=0.01)) as receiver:
        await register(gql, tokens, receiver.url)
        positions = await events(200)
        env = worker_env(settings, tmp_path)
        workers = [await start_worker(env) for _ in range(2)]
        try:
            await wait_for(receiver, len(positions))
            await until(status_count(WebhookDeliveryStatus.DELIVERED), seconds=30)
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                await asyncio.wait_for(process.wait(), 30)
        ids = receiver.ids()
    assert sorted(ids) == sorted(f"evt_{p}" for p in positions)
    assert len(ids) == len(set(ids))
    bodies = {json.loads(r.body)["data"]["version"] for r in receiver.received}
    assert len(bodies) == 200


REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) { registration { id status } errors { code message } }
}
"""


async def test_a_partner_hears_the_counts_and_its_own_registrations_only(
    gql: GraphQLClient, settings: Settings
) -> None:
    from tests.api.participation_world import build_participation_world
    from tests.api.test_participation import CONSENT, resident

    world = await build_participation_world("webhook-registrations")
    with receiving() as first, receiving() as second:
        # Given two partner apps, each with a webhook for registration changes
        secrets = {}
        for who, receiver in (("partner", first), ("partner2", second)):
            body = await gql(
                CREATE,
                {"input": {"url": receiver.url, "events": ["REGISTRATION_CHANGED"]}},
                headers=world.headers(who),
            )
            assert body["data"]["createWebhook"]["errors"] == []
            secrets[who] = body["data"]["createWebhook"]["secret"]

        # When each registers a resident for the same training
        mine = {}
        for n, who in enumerate(("partner", "partner2")):
            body = await gql(
                REGISTER,
                {
                    "input": {
                        "trainingId": world.training("open"),
                        "participant": resident(n),
                        "consent": CONSENT,
                    }
                },
                headers=world.headers(who),
            )
            mine[who] = body["data"]["registerForTraining"]["registration"]["id"]
        worker = WebhookWorker(settings=fast(settings))
        try:
            await worker.drain()
        finally:
            await worker.close()

        # Then each webhook heard of both changes, with the counts, and its own ids only
        for who, receiver in (("partner", first), ("partner2", second)):
            assert len(receiver.received) == 2
            payloads = [
                standardwebhooks.Webhook(secrets[who]).verify(r.body, r.headers)
                for r in receiver.received
            ]
            assert {p["type"] for p in payloads} == {"REGISTRATION_CHANGED"}
            assert [p["data"]["trainingId"] for p in payloads] == [world.training("open")] * 2
            own = [r["id"] for p in payloads for r in p["data"]["registrations"]]
            assert own == [mine[who]]
            assert all("confirmed" in p["data"] for p in payloads)
            for raw in receiver.received:
                assert b"Warga" not in raw.body
                assert b"0812" not in raw.body
                assert b"+62" not in raw.body


async def test_hub_serve_runs_the_webhook_worker(
    tokens: Tokens, settings: Settings, tmp_path: Path
) -> None:
    from tests.integration.servers import serving

    env = {"HUB_WEBHOOK_ALLOW_PRIVATE": "on", "HUB_WEBHOOK_RETRY_BASE_SECONDS": "0.05"}
    with receiving() as receiver:
        async with serving(settings, tmp_path, [env]) as (port,):
            # Given a webhook registered with the running server
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                response = await http.post(
                    "/graphql",
                    json={
                        "query": CREATE,
                        "variables": {"input": {"url": receiver.url, "events": ["PLAN_REVISED"]}},
                    },
                    headers=tokens.headers("admin"),
                )
            payload = response.json()["data"]["createWebhook"]
            assert payload["errors"] == []

            # When a change is committed, the server's own worker delivers it
            (position,) = await events(1)
            await wait_for(receiver, 1, seconds=30)
        (got,) = receiver.received
    standardwebhooks.Webhook(payload["secret"]).verify(got.body, got.headers)
    assert got.webhook_id == f"evt_{position}"
