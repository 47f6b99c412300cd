"""Delivery workers as processes: killed mid-batch, several at once, `hub worker`, `hub serve`."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from hub.core import Settings
from hub.notify import NotificationKind, notify_plan_event
from hub.notify.delivery import DeliveryWorker, SmtpTarget
from hub.notify.sink import free_port
from models.enums import NotificationStatus
from models.notifications import Notification
from tests.integration.mail_server import MailServer, Recorder
from tests.notification_world import NotificationWorld, build_notification_world

pytestmark = pytest.mark.usefixtures("reference_data")

HUB = [sys.executable, "-m", "hub.cli"]
EVENTS = [
    NotificationKind.PLAN_PROPOSED,
    NotificationKind.PLAN_ANSWERED,
    NotificationKind.PLAN_ACTIVATED,
    NotificationKind.PLAN_COMPLETED,
]


@pytest.fixture(scope="module")
async def world(reference_data: None) -> NotificationWorld:
    return await build_notification_world("workers")


@pytest.fixture(autouse=True)
async def empty_outbox(reference_data: None) -> AsyncIterator[None]:
    await Notification.all().delete()
    yield
    await Notification.all().delete()


def fast(settings: Settings) -> Settings:
    return Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        mail_retry_base_seconds=0.05,
        mail_coalesce_seconds=0,
    )


async def queue(world: NotificationWorld, times: int, settings: Settings) -> int:
    written = 0
    for index in range(times):
        async with in_transaction():
            written += await notify_plan_event(
                kind=EVENTS[index % len(EVENTS)],
                plan_id=world.plan.id,
                actor_id=None,
                settings=settings,
            )
    return written


def worker_env(settings: Settings, tmp_path: Path, **more: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {
        **clean,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_DATA_DIR": str(tmp_path / "var"),
        "HUB_AUTO_MIGRATE": "off",
        "HUB_MAIL_RETRY_BASE_SECONDS": "0.05",
        **more,
    }


async def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_batch_loses_nothing(
    world: NotificationWorld, settings: Settings, tmp_path: Path
) -> None:
    # given 20 queued emails and a server that holds the 6th message in flight
    assert await queue(world, 4, fast(settings)) == 20
    recorder = Recorder(hold_data=6)
    with MailServer(recorder) as server:
        env = worker_env(settings, tmp_path, HUB_SMTP_URL=f"smtp://127.0.0.1:{server.port}")
        process = await asyncio.create_subprocess_exec(
            *HUB, "worker", "--lease-seconds", "1", env=env
        )
        try:
            # when the worker is killed while the 6th message is in flight
            held = await asyncio.to_thread(recorder.holding.wait, 60)
            assert held, "the worker never reached the 6th message"
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        recorder.release.set()
        in_flight = await Notification.filter(status=NotificationStatus.SENDING).count()
        assert await Notification.filter(status=NotificationStatus.SENT).count() == 5
        assert in_flight == 15

        # and another worker starts after the lease ran out
        worker = DeliveryWorker(
            settings=fast(settings), target=SmtpTarget("127.0.0.1", server.port), timeout=5
        )
        deadline = time.monotonic() + 15
        while await Notification.filter(status=NotificationStatus.SENT).count() < 20:
            assert time.monotonic() < deadline, "the rest was not delivered"
            if not (await worker.run_once()).claimed:
                await asyncio.sleep(0.1)
        await worker.close()

    # then every email arrived, and only the one in flight arrived twice
    counts = recorder.message_ids()
    assert set(counts) == set(await Notification.all().values_list("message_id", flat=True))
    assert sorted(counts.values()) == [1] * 19 + [2]


async def test_two_worker_processes_never_send_the_same_email(
    world: NotificationWorld, settings: Settings, tmp_path: Path
) -> None:
    if not settings.database_url.startswith("postgres"):
        pytest.skip(
            "SQLite has one writer and no row locks: several workers are a PostgreSQL setup "
            "(FOR UPDATE SKIP LOCKED); set HUB_TEST_DATABASE_URL"
        )
    # given 200 queued emails
    assert await queue(world, 40, fast(settings)) == 200
    with MailServer() as server:
        env = worker_env(settings, tmp_path, HUB_SMTP_URL=f"smtp://127.0.0.1:{server.port}")
        # when two worker processes deliver them, five at a time
        processes = [
            await asyncio.create_subprocess_exec(*HUB, "worker", "--batch-size", "5", env=env)
            for _ in range(2)
        ]
        try:
            await wait_for(lambda: len(server.recorder.messages) >= 200, 60, "200 messages")
            await asyncio.sleep(0.5)  # room for a duplicate to show up
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(process.wait(), 30) for process in processes]

    # then each email went out exactly once, and both stopped cleanly
    counts = server.recorder.message_ids()
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    assert server.recorder.sessions >= 2
    assert codes == [0, 0]
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 200


async def test_hub_worker_keeps_mail_in_the_local_maildir_and_stops_gracefully(
    world: NotificationWorld, settings: Settings, tmp_path: Path
) -> None:
    # given queued emails and no HUB_SMTP_URL
    written = await queue(world, 2, fast(settings))
    process = await asyncio.create_subprocess_exec(
        *HUB, "worker", env=worker_env(settings, tmp_path)
    )
    new = tmp_path / "var" / "mail" / "new"
    try:
        # when the worker runs, then every email becomes a file in var/mail/new
        await wait_for(lambda: new.exists() and len(list(new.iterdir())) >= written, 30, "mail")
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in new.iterdir()
    ]
    assert sorted(str(m["Message-ID"]) for m in messages) == sorted(
        await Notification.all().values_list("message_id", flat=True)
    )
    assert {m["Delivered-To"] for m in messages} == {
        world.email(w) for w in ("staff", "staff_en", "coordinator", "allocated", "teacher")
    }


async def test_hub_serve_with_several_web_workers_runs_one_delivery_worker(
    world: NotificationWorld, settings: Settings, tmp_path: Path
) -> None:
    # given `hub serve --workers 2` on the test database, with its embedded sink
    port = free_port()
    env = worker_env(settings, tmp_path, HUB_AUTO_MIGRATE="on")
    process = await asyncio.create_subprocess_exec(
        *HUB,
        "serve",
        "--workers",
        "2",
        "--port",
        str(port),
        "--no-demo",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    new = tmp_path / "var" / "mail" / "new"
    try:
        await wait_for(lambda: new.exists(), 60, "the local sink to start")
        # when a change commits its notifications
        written = await queue(world, 1, fast(settings))
        committed = time.monotonic()
        # then they are delivered within 5 seconds, each once
        await wait_for(lambda: len(list(new.iterdir())) >= written, 5, "delivery in 5 s")
        assert time.monotonic() - committed < 5
        await asyncio.sleep(1.5)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0
    ids = [
        str(email.message_from_bytes(f.read_bytes(), policy=email.policy.default)["Message-ID"])
        for f in new.iterdir()
    ]
    assert len(ids) == written
    assert sorted(ids) == sorted(await Notification.all().values_list("message_id", flat=True))
