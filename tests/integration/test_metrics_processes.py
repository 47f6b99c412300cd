"""`/metrics` under `hub serve --workers 2`: what every web worker and the delivery worker
counted, added up in one scrape."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from tortoise.transactions import in_transaction
from websockets.asyncio.client import connect

from hub.core import Settings
from hub.notify import NotificationKind, notify_plan_event
from models.notifications import Notification
from tests.api.test_metrics import Samples, parse, value
from tests.integration.servers import serving
from tests.notification_world import build_notification_world

pytestmark = pytest.mark.usefixtures("reference_data")

SECTORS = "query MetricsSectors { sectors { code } }"
TRAININGS = "subscription { trainingUpdates { cursor } }"
REQUESTS = 40


def processes_that_counted(folder: Path, operation: str) -> int:
    """How many processes' files hold requests of `operation`."""
    found = 0
    for path in folder.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):  # type: ignore[no-untyped-call]
            if any(s.labels.get("operation") == operation for s in family.samples):
                found += 1
                break
    return found


async def scrape(port: int) -> Samples:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def metric_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("hub-metrics-*"))


async def wait_for_gauge(port: int, name: str, wanted: float) -> float:
    deadline = time.monotonic() + 10
    while True:
        found = value(await scrape(port), name)
        if found == wanted or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def one_request(port: int) -> None:
    # A connection of its own, so the kernel may hand it to either worker.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        response = await http.post("/graphql", json={"query": SECTORS})
    assert response.status_code == 200


async def test_counts_of_all_processes_add_up(settings: Settings, tmp_path: Path) -> None:
    # given `hub serve --workers 2` with its delivery worker, and emails to deliver
    folder = tmp_path / "metrics"
    world = await build_notification_world("metricsprocs")
    await Notification.all().delete()
    env = {"HUB_RATE_LIMIT": "0", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    async with serving(settings, tmp_path, [env], args=["--workers", "2"]) as [port]:
        # when 40 requests arrive on their own connections, and a change writes emails
        await asyncio.gather(*(one_request(port) for _ in range(REQUESTS)))
        async with in_transaction():
            written = await notify_plan_event(
                kind=NotificationKind.PLAN_PROPOSED,
                plan_id=world.plan.id,
                actor_id=None,
                settings=settings,
            )
        deadline = time.monotonic() + 30
        while True:
            samples = await scrape(port)
            delivered = value(samples, "hub_deliveries_total", channel="mail", outcome="delivered")
            if delivered >= written or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        counted_by = processes_that_counted(folder, "MetricsSectors")
        # and while a partner app keeps a subscription open
        async with connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(
                json.dumps({"type": "subscribe", "id": "1", "payload": {"query": TRAININGS}})
            )
            subscribed = await wait_for_gauge(port, "hub_subscribers", 1)
        unsubscribed = await wait_for_gauge(port, "hub_subscribers", 0)

    # then one scrape shows every request, though both web workers served some
    assert counted_by == 2
    assert (
        value(samples, "hub_requests_total", operation="MetricsSectors", status="200") == REQUESTS
    )
    assert value(samples, "hub_request_duration_seconds_count", operation="MetricsSectors") == (
        REQUESTS
    )
    assert value(samples, "hub_response_cache_total", result="miss") >= 2  # one per process
    # and the delivery worker's emails, the outbox empty again
    assert written > 0
    assert delivered == written
    assert value(samples, "hub_outbox_depth", channel="mail") == 0
    assert (subscribed, unsubscribed) == (1, 0)
    await Notification.all().delete()


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_serve_keeps_its_metric_files_in_a_folder_of_its_own(
    settings: Settings, tmp_path: Path, workers: str
) -> None:
    # given `hub serve --workers N` without PROMETHEUS_MULTIPROC_DIR
    before = metric_folders()
    async with serving(
        settings, tmp_path, [{"HUB_WORKER": "off"}], args=["--workers", workers]
    ) as [port]:
        made = metric_folders() - before
        # when 20 requests arrive on their own connections
        await asyncio.gather(*(one_request(port) for _ in range(20)))
        samples = await scrape(port)

    # then one scrape counts them all, and the folder it made is gone after it stopped
    assert value(samples, "hub_requests_total", operation="MetricsSectors", status="200") == 20
    assert len(made) == 1
    assert not any(folder.exists() for folder in made)
