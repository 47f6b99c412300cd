"""Delivery against a real SMTP server on loopback (aiosmtpd): the happy path and its faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from tortoise.transactions import in_transaction

from hub.core import Settings
from hub.notify import NotificationKind, notify_plan_event
from hub.notify.delivery import DeliveryWorker, SmtpTarget
from models.accounts import NotificationPreference
from models.enums import NotificationStatus, TrainingStatus
from models.notifications import Notification
from tests.integration.mail_server import MailServer, Recorder
from tests.notification_world import NotificationWorld, build_notification_world

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    """Fast retries, no coalescing wait."""
    return Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        base_url="https://hub.example.org",
        mail_retry_base_seconds=0.05,
        mail_retry_deadline_seconds=30,
        mail_coalesce_seconds=0,
        worker_enabled=False,
    )


@pytest.fixture(scope="module")
async def world(reference_data: None) -> NotificationWorld:
    return await build_notification_world("mail")


@pytest.fixture(autouse=True)
async def empty_outbox(reference_data: None) -> AsyncIterator[None]:
    await Notification.all().delete()
    await NotificationPreference.all().delete()
    yield
    await Notification.all().delete()


def worker_for(server: MailServer, settings: Settings, **options: object) -> DeliveryWorker:
    return DeliveryWorker(
        settings=settings,
        target=SmtpTarget(host="127.0.0.1", port=server.port),
        poll_seconds=0.05,
        timeout=5,
        **options,  # type: ignore[arg-type]
    )


async def queue(
    world: NotificationWorld, kind: NotificationKind, settings: Settings, **more: object
) -> int:
    async with in_transaction():
        return await notify_plan_event(
            kind=kind,
            plan_id=world.plan.id,
            actor_id=None,
            settings=settings,
            **more,  # type: ignore[arg-type]
        )


async def deliver_until(worker: DeliveryWorker, done: object, *, seconds: float = 10) -> None:
    """Run delivery passes until `done()` holds (retries become due after short delays)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not done():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "delivery did not finish in time"
        if not (await worker.run_once()).claimed:
            await asyncio.sleep(0.02)


async def statuses() -> dict[str, int]:
    rows = await Notification.all().values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in rows:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


async def test_happy_path_reaches_every_recipient_in_their_language_with_an_invite(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    # given a training change queued for the world's plan
    written = await queue(
        world,
        NotificationKind.TRAINING_CHANGED,
        mail_settings,
        training_ids=[world.training.id],
        details="Pindah ke pagi hari",
    )
    assert written == 5
    with MailServer() as server:
        worker = worker_for(server, mail_settings)
        # when the worker runs
        report = await worker.drain()
        await worker.close()

    # then each recipient got one email, over one connection
    recorder = server.recorder
    assert report.sent == 5
    assert recorder.sessions == 1
    assert sorted(a for e in recorder.envelopes for a in e) == sorted(
        world.email(w) for w in ("staff", "staff_en", "coordinator", "allocated", "teacher")
    )
    assert await statuses() == {"SENT": 5}

    indonesian = recorder.to(world.email("staff"))[0]
    english = recorder.to(world.email("staff_en"))[0]
    assert indonesian["Content-Language"] == "id"
    assert english["Content-Language"] == "en"
    assert indonesian["Subject"] == (
        f"[OK OCE] Jadwal pelatihan berubah: {world.training.title} ({world.plan.title})"
    )
    assert english["Subject"] == (
        f"[OK OCE] Training rescheduled: {world.training.title} ({world.plan.title})"
    )
    assert indonesian["To"] == f"Staf Gambir <{world.email('staff')}>"
    text = indonesian.get_body(preferencelist=("plain",)).get_content()
    html = indonesian.get_body(preferencelist=("html",)).get_content()
    assert "Halo Staf Gambir," in text
    assert "Senin, 3 Maret 2031, 09.00\u201312.00 WIB" in text
    assert "Pindah ke pagi hari" in text
    assert "https://hub.example.org/graphql?q=" in text
    assert (
        "Monday, 3 March 2031, 09:00\u201312:00 WIB"
        in english.get_body(preferencelist=("plain",)).get_content()
    )
    assert "<p>Halo Staf Gambir,</p>" in html

    # every email names its unsubscribe link, one-click
    link = indonesian["List-Unsubscribe"]
    assert link.startswith("<https://hub.example.org/unsubscribe/")
    assert link.endswith(">")
    assert indonesian["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in text

    # the invite: RFC 6047 method parameter equal to METHOD, stable UID, SEQUENCE = revision
    parts = [p for p in indonesian.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(parts[0].get_content())
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"training-{world.training.id}@hub.example.org"
    assert int(event["SEQUENCE"]) == 2
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert event["DTSTART"].dt == datetime(2031, 3, 3, 9, 0, tzinfo=event["DTSTART"].dt.tzinfo)
    assert event["DTSTART"].dt.utcoffset() == timedelta(hours=7)
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == ["Asia/Jakarta"]

    # Message-IDs are the ones written with the rows
    rows = await Notification.all().values_list("message_id", flat=True)
    assert set(recorder.message_ids()) == set(rows)


async def test_a_cancellation_carries_a_cancel_invite_with_the_same_uid(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    cancelled = await world.training.clone()  # type: ignore[attr-defined]
    cancelled.status = TrainingStatus.CANCELLED
    cancelled.revision = 3
    await cancelled.save()
    await queue(
        world, NotificationKind.TRAINING_CANCELLED, mail_settings, training_ids=[cancelled.id]
    )
    with MailServer() as server:
        worker = worker_for(server, mail_settings)
        await worker.drain()
        await worker.close()

    message = server.recorder.to(world.email("teacher"))[0]
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(part.get_content())
    event = calendar.walk("VEVENT")[0]
    assert part.get_param("method") == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"training-{cancelled.id}@hub.example.org"
    assert int(event["SEQUENCE"]) == 3


async def test_server_down_then_back_delivers_everything_once(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    # given queued emails and no server listening
    await queue(world, NotificationKind.PLAN_REVISED, mail_settings)
    await queue(world, NotificationKind.PLAN_COMPLETED, mail_settings)
    server = MailServer()
    worker = worker_for(server, mail_settings)

    # when the worker tries while the server is down
    report = await worker.run_once()

    # then every row waits for a retry, with the reason
    assert report.retried == 10
    rows = await Notification.all()
    assert {r.status for r in rows} == {NotificationStatus.PENDING}
    assert {r.attempts for r in rows} == {1}
    assert all("cannot connect" in (r.last_error or "") for r in rows)
    assert all(r.due_at > datetime.now(UTC) - timedelta(seconds=1) for r in rows)

    # when the server comes back
    with server:
        await deliver_until(worker, lambda: len(server.recorder.messages) >= 10)
        await worker.drain()
        await worker.close()

    # then each email arrived exactly once
    counts = server.recorder.message_ids()
    assert len(counts) == 10
    assert set(counts.values()) == {1}
    assert await statuses() == {"SENT": 10}


async def test_421_replies_are_retried_until_accepted(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    await queue(world, NotificationKind.PLAN_ACTIVATED, mail_settings)
    recorder = Recorder(on_data=lambda n: "421 4.3.2 Service not available" if n <= 2 else None)
    with MailServer(recorder) as server:
        worker = worker_for(server, mail_settings)
        await deliver_until(worker, lambda: len(recorder.messages) >= 5)
        await worker.drain()
        await worker.close()

    assert set(recorder.message_ids().values()) == {1}
    assert len(recorder.message_ids()) == 5
    rows = await Notification.all()
    assert {r.status for r in rows} == {NotificationStatus.SENT}
    assert sorted(r.attempts for r in rows) == [1, 1, 1, 2, 2]


async def test_550_fails_at_once_and_alone(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    # given a server that refuses one recipient for good
    await queue(
        world, NotificationKind.PLAN_CANCELLED, mail_settings, details="Dana tidak tersedia"
    )
    refused = world.email("coordinator")
    recorder = Recorder(refuse_rcpt={refused: "550 5.1.1 No such user"})
    with MailServer(recorder) as server:
        worker = worker_for(server, mail_settings)
        report = await worker.drain()
        await worker.close()

    # then that row failed without retry, and the others went out over the same connection
    assert (report.sent, report.failed, report.retried) == (4, 1, 0)
    assert recorder.sessions == 1
    failed = await Notification.get(recipient_email=refused)
    assert failed.status is NotificationStatus.FAILED
    assert failed.attempts == 1
    assert failed.last_error == "recipient refused: 550 5.1.1 No such user"
    assert await Notification.filter(status=NotificationStatus.SENT).count() == 4


async def test_a_550_reply_to_data_fails_only_that_message(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    await queue(world, NotificationKind.PLAN_DECLINED, mail_settings)
    recorder = Recorder(on_data=lambda n: "554 5.6.0 Message rejected" if n == 1 else None)
    with MailServer(recorder) as server:
        worker = worker_for(server, mail_settings)
        report = await worker.drain()
        await worker.close()

    assert (report.sent, report.failed) == (4, 1)
    failed = await Notification.get(status=NotificationStatus.FAILED)
    assert failed.last_error == "554 5.6.0 Message rejected"


async def test_a_connection_dropped_during_data_is_retried_and_delivered_once(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    await queue(world, NotificationKind.PLAN_PROPOSED, mail_settings)
    recorder = Recorder(on_data=lambda n: "drop" if n == 2 else None)
    with MailServer(recorder) as server:
        worker = worker_for(server, mail_settings)
        await deliver_until(worker, lambda: len(recorder.messages) >= 5)
        await worker.drain()
        await worker.close()

    assert len(recorder.message_ids()) == 5
    assert set(recorder.message_ids().values()) == {1}
    assert recorder.sessions == 2  # reconnected once after the drop
    retried = await Notification.get(attempts=2)
    assert retried.status is NotificationStatus.SENT
    assert await statuses() == {"SENT": 5}


async def test_temporary_failures_turn_failed_after_the_deadline(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    hasty = Settings(
        data_dir=mail_settings.data_dir,
        database_url=mail_settings.database_url,
        mail_retry_base_seconds=0.01,
        mail_retry_deadline_seconds=0.2,
        mail_coalesce_seconds=0,
    )
    await queue(world, NotificationKind.PLAN_ANSWERED, hasty)
    recorder = Recorder(on_data=lambda n: "451 4.3.0 Try again later")
    with MailServer(recorder) as server:
        worker = worker_for(server, hasty)
        deadline = asyncio.get_running_loop().time() + 10
        while await Notification.filter(status=NotificationStatus.FAILED).count() < 5:
            assert asyncio.get_running_loop().time() < deadline
            if not (await worker.run_once()).claimed:
                await asyncio.sleep(0.02)
        await worker.close()

    rows = await Notification.all()
    assert all(r.attempts >= 2 for r in rows)
    assert all((r.last_error or "").startswith("gave up after") for r in rows)
    assert all("451 4.3.0 Try again later" in (r.last_error or "") for r in rows)
    assert recorder.messages == []


async def test_digest_rows_go_out_as_one_email_that_keeps_the_first_message_id(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    # given the coordinator wants proposals and answers in a daily digest
    from hub.notify.preferences import set_preferences
    from models.enums import DeliveryMode

    address = world.email("coordinator")
    await set_preferences(
        email=address,
        changes=[
            (NotificationKind.PLAN_ANSWERED, DeliveryMode.DIGEST),
            (NotificationKind.PLAN_REVISED, DeliveryMode.DIGEST),
        ],
    )
    await queue(world, NotificationKind.PLAN_ANSWERED, mail_settings, details="Setuju")
    await queue(world, NotificationKind.PLAN_REVISED, mail_settings)
    digest_rows = await Notification.filter(recipient_email=address).order_by("id")
    assert [r.kind for r in digest_rows] == ["PLAN_ANSWERED", "PLAN_REVISED"]
    assert all(r.due_at > datetime.now(UTC) for r in digest_rows)
    # when the digest time comes
    await Notification.filter(recipient_email=address).update(
        due_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with MailServer() as server:
        worker = worker_for(server, mail_settings, batch_size=3)
        await worker.drain()
        await worker.close()

    # then one email carries both, under the first row's Message-ID
    digests = server.recorder.to(address)
    assert len(digests) == 1
    assert digests[0]["Message-ID"] == digest_rows[0].message_id
    assert digests[0]["Subject"] == "[OK OCE] Ringkasan harian OK OCE: 2 kabar"
    body = digests[0].get_body(preferencelist=("plain",)).get_content()
    assert f"Tanggapan baru untuk rencana: {world.plan.title}" in body
    assert f"Rencana direvisi: {world.plan.title}" in body
    rows = await Notification.filter(recipient_email=address).order_by("id")
    assert [r.status for r in rows] == [NotificationStatus.SENT, NotificationStatus.MERGED]
    assert len(server.recorder.messages) == 1 + 2 * 4


async def test_several_trainings_carry_one_invite_each(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    second = await world.training.clone()  # type: ignore[attr-defined]
    second.title = "Pelatihan lanjutan"
    second.starts_at = world.training.starts_at + timedelta(days=7)
    second.ends_at = world.training.ends_at + timedelta(days=7)
    second.revision = 0
    await second.save()
    await queue(
        world,
        NotificationKind.TRAINING_SCHEDULED,
        mail_settings,
        training_ids=[world.training.id, second.id],
    )
    with MailServer() as server:
        worker = worker_for(server, mail_settings)
        await worker.drain()
        await worker.close()

    message = server.recorder.to(world.email("staff_en"))[0]
    assert message["Subject"] == f"[OK OCE] Training scheduled: 2 trainings ({world.plan.title})"
    invites = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    uids = []
    for part in invites:
        calendar = Calendar.from_ical(part.get_content())
        assert part.get_param("method") == str(calendar["METHOD"]) == "REQUEST"
        uids.append(str(calendar.walk("VEVENT")[0]["UID"]))
    assert uids == [
        f"training-{world.training.id}@hub.example.org",
        f"training-{second.id}@hub.example.org",
    ]


async def test_the_actor_is_never_a_recipient_by_account_or_by_address(
    world: NotificationWorld, mail_settings: Settings
) -> None:
    # given the staff member acts; a mentor ("twin") shares that address in other capitals
    async with in_transaction():
        written = await notify_plan_event(
            kind=NotificationKind.PLAN_REVISED,
            plan_id=world.plan.id,
            actor_id=world.accounts["staff"].id,
            settings=mail_settings,
        )

    # then neither the account nor the mentor with its address hears of it; the inactive
    # mentor, the one without an address and the outsider never do
    addresses = await Notification.all().values_list("recipient_email", flat=True)
    assert written == 4
    assert sorted(addresses) == sorted(
        world.email(w) for w in ("staff_en", "coordinator", "allocated", "teacher")
    )
