"""Benchmark: the delivery worker against a bare aiosmtplib loop, side by side.

    python bench/mail_delivery.py [--messages 10000] [--rounds 3] [--database-url URL]

Queues N notifications of a real plan (half plan activations, half training invites with
their iCalendar part), then alternates rounds:

- worker: `DeliveryWorker.drain()` claims, renders, sends and records every row (the outbox
  rows are reset to PENDING before each worker round, outside the timing);
- bare:   one aiosmtplib connection sends the same messages, rendered beforehand, in a loop.

Both send to the same local sink: aiosmtpd on loopback in its own process, counting what it
accepts (it keeps nothing, so the sender, not the disk, is what is measured). Prints
messages per second for each round, each round's worker/bare ratio (the two run back to
back, in alternating order, so a busy machine weighs on both), and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib
from tortoise.transactions import in_transaction

from hub.core import open_database
from hub.core.settings import Settings, sqlite_url
from hub.notify.delivery import DeliveryWorker, SmtpTarget
from hub.notify.outbox import NotificationKind, notify_plan_event, prepare_message
from hub.notify.sink import HOST, free_port
from hub.notify.unsubscribe import secret_key
from hub.seed import load_demo, load_reference_data
from models.enums import NotificationStatus, PlanStatus
from models.notifications import Notification, NotificationMessage
from models.plans import Plan, Training


class Counting:
    """aiosmtpd handler that accepts and counts."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def run_sink(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Counting(counter), hostname=HOST, port=port, ready_timeout=10)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


async def queue(count: int, settings: Settings) -> None:
    """`count` outbox rows cloned from two real events (the recipients made unique)."""
    plan = await Plan.filter(status=PlanStatus.ACTIVE).order_by("id").first()
    assert plan is not None
    training = await Training.filter(plan_id=plan.id).first()
    assert training is not None
    async with in_transaction():
        for kind, trainings in [
            (NotificationKind.PLAN_ACTIVATED, []),
            (NotificationKind.TRAINING_SCHEDULED, [training.id]),
        ]:
            await notify_plan_event(
                kind=kind, plan_id=plan.id, actor_id=None, training_ids=trainings, settings=settings
            )
    templates = await Notification.all().order_by("id")
    by_kind = {t.kind: t for t in templates}
    await Notification.all().delete()
    await NotificationMessage.all().delete()
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        template = by_kind["PLAN_ACTIVATED" if i % 2 else "TRAINING_SCHEDULED"]
        rows.append(
            Notification(
                message_id=f"<notification.{uuid.uuid4().hex}@bench.example.org>",
                kind=template.kind,
                plan_id=template.plan_id,
                training_id=template.training_id,
                recipient_email=f"peserta.{i}@example.org",
                recipient_name=f"Peserta {i}",
                locale="en" if i % 5 == 0 else "id",
                mode=template.mode,
                status=NotificationStatus.PENDING,
                context=template.context,
                due_at=now - timedelta(seconds=1),
            )
        )
    key = secret_key(settings)
    messages = [prepare_message(row, settings=settings, key=key, now=now) for row in rows]
    await Notification.bulk_create(rows, batch_size=1000)
    await NotificationMessage.bulk_create(messages, batch_size=1000)


async def reset() -> None:
    await Notification.all().update(
        status=NotificationStatus.PENDING,
        attempts=0,
        sent_at=None,
        claimed_until=None,
        due_at=datetime.now(UTC) - timedelta(seconds=1),
    )


async def worker_round(settings: Settings, port: int) -> float:
    await reset()
    worker = DeliveryWorker(settings=settings, target=SmtpTarget(HOST, port), batch_size=100)
    started = time.perf_counter()
    report = await worker.drain()
    elapsed = time.perf_counter() - started
    await worker.close()
    assert report.failed == report.retried == 0, report
    return report.sent / elapsed


async def bare_round(messages: list[tuple[str, str, bytes]], port: int) -> float:
    started = time.perf_counter()
    async with aiosmtplib.SMTP(hostname=HOST, port=port, timeout=30) as smtp:
        for sender, recipient, data in messages:
            await smtp.sendmail(sender, [recipient], data)
    return len(messages) / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="hub-bench-mail-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=args.database_url or sqlite_url(data_dir / "bench.sqlite3"),
        base_url="https://hub.example.org",
    )
    port = free_port()
    counter: Any = multiprocessing.Value("q", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    sink = multiprocessing.Process(target=run_sink, args=(port, counter, ready, stop), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        async with open_database(settings):
            await load_reference_data()
            await load_demo()
            await Notification.all().delete()
            await queue(args.messages, settings)
            rows = await Notification.all().order_by("due_at", "id")
            bodies = dict(await NotificationMessage.all().values_list("message_id", "body"))
            sender = parseaddr(settings.mail_from)[1]
            messages = [
                (sender, r.recipient_email, str(bodies[r.message_id]).encode("ascii")) for r in rows
            ]
            size = sum(len(m[2]) for m in messages) / len(messages)
            print(f"{len(messages)} messages, {size / 1024:.1f} KiB on average", flush=True)
            worker_rates: list[float] = []
            bare_rates: list[float] = []
            ratios: list[float] = []
            for round_number in range(1, args.rounds + 1):
                contenders = [
                    ("worker", worker_rates, lambda: worker_round(settings, port)),
                    ("bare", bare_rates, lambda: bare_round(messages, port)),
                ]
                if round_number % 2 == 0:  # alternate who goes first
                    contenders.reverse()
                for name, rates, run in contenders:
                    before, cpu = counter.value, time.process_time()
                    rate = await run()
                    cpu_us = (time.process_time() - cpu) / len(messages) * 1e6
                    assert counter.value - before == len(messages), "the sink missed messages"
                    rates.append(rate)
                    print(
                        f"round {round_number} {name:>6}: {rate:8.0f} messages/s, "
                        f"{cpu_us:5.0f} us of CPU per message in the sending process",
                        flush=True,
                    )
                ratios.append(worker_rates[-1] / bare_rates[-1])
                print(f"round {round_number}  ratio: {ratios[-1]:8.2f}", flush=True)
            print(
                f"median: worker {statistics.median(worker_rates):.0f}/s, bare aiosmtplib "
                f"{statistics.median(bare_rates):.0f}/s, ratio of each round's pair "
                f"{statistics.median(ratios):.2f} (median; lowest {min(ratios):.2f})"
            )
            print(
                f"machine: {platform.machine()}, {multiprocessing.cpu_count()} cores, "
                f"Python {platform.python_version()}, {settings.database_url.split(':')[0]}"
            )
    finally:
        stop.set()
        sink.join(10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
