"""Benchmark: the webhook delivery worker against a bare httpx loop, side by side.

    python bench/webhooks.py --database-url postgres://postgres@127.0.0.1:5432/DB \
        [--deliveries 5000] [--rounds 3] [--concurrency 32] [--batch-size 128]

Migrates the (scratch) database, registers one webhook to a local receiver and queues N
deliveries of N events, then alternates rounds:

- worker: `WebhookWorker.drain()` claims each batch, builds and signs every payload, POSTs
  the batch concurrently (`--concurrency` in flight) on its kept-alive client and records the
  outcomes (the deliveries are reset to PENDING before each worker round, outside the timing);
- bare:   one kept-alive `httpx.AsyncClient` POSTs the same payloads, built and signed
  beforehand, with the same number in flight, and records nothing.

The receiver is a Starlette app under uvicorn in its own process (one worker), answering 204
and counting. Prints deliveries per second for each round, each round's worker/bare ratio
(run back to back, in alternating order, so a busy machine weighs on both), and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
from tortoise import connections

from hub.core import open_database
from hub.core.settings import Settings
from hub.integration.events import EventKind
from hub.integration.webhook_worker import (
    Claimed,
    WebhookWorker,
    event_data,
    message_id,
    sign,
)
from hub.integration.webhooks import encode_events, new_secret
from models.accounts import Account
from models.enums import Role, WebhookDeliveryStatus
from models.integration import Event
from models.webhooks import Webhook, WebhookDelivery

HOST = "127.0.0.1"
PORT = 18150


def receiver(port: int, counter: Any) -> None:
    """The receiving endpoint: one uvicorn process that answers 204 and counts."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def hook(request: Request) -> Response:
        await request.body()
        with counter.get_lock():
            counter.value += 1
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


async def wait_up(port: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await http.post(f"http://{HOST}:{port}/hook", content=b"{}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the receiver did not start")


async def queue(count: int, url: str) -> Webhook:
    """One admin's webhook and `count` events with one delivery each."""
    await WebhookDelivery.all().delete()
    await Webhook.all().delete()
    await Event.filter(data__contains={"bench": True}).delete()
    account, _ = await Account.get_or_create(
        email="bench.webhooks@example.org", defaults={"role": Role.ADMIN}
    )
    webhook = await Webhook.create(
        account_id=account.id,
        url=url,
        events=encode_events([EventKind.TRAINING_CHANGED]),
        secret=new_secret(),
    )
    now = datetime.now(UTC)
    await Event.bulk_create(
        [
            Event(
                kind=EventKind.TRAINING_CHANGED.value,
                data={"bench": True, "version": i},
                at=now,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    events = await Event.filter(data__contains={"bench": True}).order_by("position")
    await WebhookDelivery.bulk_create(
        [
            WebhookDelivery(
                webhook_id=webhook.id,
                event_id=e.position,
                kind=e.kind,
                next_attempt_at=now,
                created_at=now,
            )
            for e in events
        ],
        batch_size=1000,
    )
    return webhook


async def reset() -> None:
    await WebhookDelivery.all().update(
        status=WebhookDeliveryStatus.PENDING,
        attempts=0,
        claimed_until=None,
        next_attempt_at=datetime.now(UTC),
        delivered_at=None,
    )


async def signed_payloads(webhook: Webhook) -> list[tuple[bytes, dict[str, str]]]:
    """The same bodies and headers the worker sends, built and signed beforehand."""
    import json

    now = datetime.now(UTC)
    found = []
    for row in await WebhookDelivery.filter(webhook_id=webhook.id).order_by("id"):
        event = await Event.get(position=row.event_id)
        claimed = Claimed(row.id, webhook.id, row.event_id, row.kind, 0)
        body = json.dumps(
            {
                "type": row.kind,
                "timestamp": event.at.isoformat(),
                "data": event_data(event, owner_id=webhook.account_id, owner_role=Role.ADMIN),
            },
            separators=(",", ":"),
        )
        msg_id = message_id(claimed)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign([webhook.secret], msg_id=msg_id, at=now, body=body),
        }
        found.append((body.encode(), headers))
    return found


async def bare(url: str, payloads: list[tuple[bytes, dict[str, str]]], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10, trust_env=False) as http:

        async def post(body: bytes, headers: dict[str, str]) -> None:
            async with gate:
                response = await http.post(url, content=body, headers=headers)
                assert response.status_code == 204

        started = time.perf_counter()
        await asyncio.gather(*(post(b, h) for b, h in payloads))
        return time.perf_counter() - started


async def worker_round(settings: Settings, *, batch_size: int, concurrency: int) -> float:
    await reset()
    worker = WebhookWorker(settings=settings, batch_size=batch_size, concurrency=concurrency)
    try:
        started = time.perf_counter()
        await worker.drain(max_passes=100_000)
        elapsed = time.perf_counter() - started
    finally:
        await worker.close()
    left = await WebhookDelivery.exclude(status=WebhookDeliveryStatus.DELIVERED).count()
    assert left == 0, f"{left} deliveries not delivered"
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL")

    counter = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=receiver, args=(PORT, counter), daemon=True)
    process.start()
    url = f"http://{HOST}:{PORT}/hook"
    settings = replace(
        Settings.from_env({"HUB_DATABASE_URL": args.database_url}), webhook_allow_private=True
    )
    try:
        await wait_up(PORT)
        async with open_database(settings):
            webhook = await queue(args.deliveries, url)
            payloads = await signed_payloads(webhook)
            version = (await connections.get("default").execute_query_dict("SHOW server_version"))[
                0
            ]["server_version"]
            print(
                f"# {args.deliveries} deliveries, concurrency {args.concurrency}, batch "
                f"{args.batch_size}; Python {platform.python_version()}, PostgreSQL {version}, "
                f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
            )
            worker_rates, bare_rates, ratios = [], [], []
            for index in range(args.rounds):
                order = ["worker", "bare"] if index % 2 == 0 else ["bare", "worker"]
                rates: dict[str, float] = {}
                cpu: dict[str, float] = {}
                for name in order:
                    cpu_started = time.process_time()
                    if name == "worker":
                        seconds = await worker_round(
                            settings, batch_size=args.batch_size, concurrency=args.concurrency
                        )
                    else:
                        seconds = await bare(url, payloads, args.concurrency)
                    rates[name] = args.deliveries / seconds
                    cpu[name] = (time.process_time() - cpu_started) * 1000 / args.deliveries
                worker_rates.append(rates["worker"])
                bare_rates.append(rates["bare"])
                ratios.append(rates["worker"] / rates["bare"])
                print(
                    f"round {index + 1}: worker {rates['worker']:.0f}/s, bare "
                    f"{rates['bare']:.0f}/s, ratio {ratios[-1]:.2f}; sender CPU per delivery: "
                    f"worker {cpu['worker']:.2f} ms, bare {cpu['bare']:.2f} ms "
                    f"(load {os.getloadavg()[0]:.2f})"
                )
            print(
                f"median: worker {statistics.median(worker_rates):.0f}/s, bare "
                f"{statistics.median(bare_rates):.0f}/s, ratio {statistics.median(ratios):.2f}"
            )
            await WebhookDelivery.all().delete()
            await Webhook.filter(id=webhook.id).delete()
    finally:
        process.terminate()
        process.join(5)


if __name__ == "__main__":
    asyncio.run(main())
