"""Emails to residents: confirmation with the invite, waitlisted, promoted, the reminder that
moves with a rescheduling, changed, cancelled; Indonesian; unsubscribe links work."""

from __future__ import annotations

import datetime as dt
import email
import itertools
import re
from email.message import Message
from typing import Any

import httpx
import pytest

from hub.core import Settings
from hub.notify.render import render
from models.accounts import NotificationPreference
from models.enums import DeliveryMode, NotificationStatus
from models.notifications import Notification, NotificationMessage
from models.plans import Plan, Training
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) { registration { id status position } errors { code } }
}
"""

CANCEL = """
mutation ($input: CancelRegistrationInput!) {
  cancelRegistration(input: $input) { registration { id status } errors { code } }
}
"""

RESCHEDULE = """
mutation ($input: RescheduleTrainingInput!) {
  rescheduleTraining(input: $input) { plan { id } errors { code message } }
}
"""

CANCEL_TRAINING = """
mutation ($input: CancelTrainingInput!) {
  cancelTraining(input: $input) { plan { id } errors { code message } }
}
"""

CONSENT = {"purpose": "Pendaftaran pelatihan", "textVersion": "1", "channel": "APP"}


@pytest.fixture
async def world(reference_data: None) -> ParticipationWorld:
    return await build_participation_world(f"m{next(_worlds)}")


def address(world: ParticipationWorld, n: int) -> str:
    return f"warga{n}.{world.tag}@example.org"


async def register(gql: GraphQLClient, world: ParticipationWorld, n: int, **extra: Any) -> str:
    participant = {
        "name": f"Warga {n}",
        "email": address(world, n),
        "kecamatanCode": "31.71.01",
        "sectorCode": "KULINER",
        **extra,
    }
    body = await gql(
        REGISTER,
        {
            "input": {
                "trainingId": world.training("open"),
                "participant": participant,
                "consent": CONSENT,
            }
        },
        headers=world.headers("partner"),
    )
    payload = body["data"]["registerForTraining"]
    assert payload["errors"] == [], payload
    registration_id: str = payload["registration"]["id"]
    return registration_id


async def rows(world: ParticipationWorld, kind: str) -> list[Notification]:
    return await Notification.filter(kind=kind, training_id=world.trainings["open"]).order_by("id")


async def message(row: Notification) -> Message:
    """The email as the worker sends it: the stored one, or rendered now (rows about one
    registration are rendered when sent)."""
    stored = await NotificationMessage.get_or_none(message_id=row.message_id)
    if stored is not None:
        return email.message_from_string(stored.body)
    rendered = render([row], settings=Settings(), key=b"k", now=dt.datetime.now(dt.UTC))
    return email.message_from_bytes(rendered.data)


def calendar_method(mail: Message) -> str | None:
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            return str(part.get_param("method"))
    return None


def text_of(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


async def test_the_emails_of_a_registration_and_its_reminder(
    gql: GraphQLClient, client: httpx.AsyncClient, world: ParticipationWorld, settings: Settings
) -> None:
    training = await Training.get(id=world.trainings["open"])
    # given two confirmed, one waitlisted, and one without an email address
    first = await register(gql, world, 1)
    await register(gql, world, 2)
    await register(gql, world, 3)
    await register(gql, world, 4, email=None, phone="0812-9999-0004")

    confirmed = await rows(world, "PARTICIPANT_CONFIRMED")
    assert [r.recipient_email for r in confirmed] == [address(world, 1), address(world, 2)]
    mail = await message(confirmed[0])
    assert mail["Subject"].startswith("[OK OCE] Pendaftaran Anda dikonfirmasi")
    assert mail["Content-Language"] == "id"
    assert calendar_method(mail) == "REQUEST"
    assert "Halo Warga 1" in text_of(mail)
    waitlisted = await rows(world, "PARTICIPANT_WAITLISTED")
    assert [r.recipient_email for r in waitlisted] == [address(world, 3)]
    assert "daftar tunggu nomor 1" in text_of(await message(waitlisted[0]))
    assert calendar_method(await message(waitlisted[0])) is None
    # the reminders wait until 24 hours before the start, rendered only then
    reminders = await rows(world, "PARTICIPANT_REMINDER")
    assert [(r.recipient_email, r.due_at) for r in reminders] == [
        (address(world, 1), training.starts_at - dt.timedelta(hours=24)),
        (address(world, 2), training.starts_at - dt.timedelta(hours=24)),
    ]
    assert await NotificationMessage.filter(message_id=reminders[0].message_id).count() == 0
    due = render([reminders[0]], settings=settings, key=b"k", now=reminders[0].due_at)
    reminder_mail = email.message_from_bytes(due.data)
    assert reminder_mail["Subject"].startswith("[OK OCE] Pengingat: ")
    assert "dimulai dalam 24 jam" in text_of(reminder_mail)
    # nobody without an address gets anything
    assert not await Notification.filter(recipient_email__contains="warga4")

    # when the first cancels: the calendar cancellation, the reminder skipped, the third promoted
    await gql(CANCEL, {"input": {"registrationId": first}}, headers=world.headers("partner"))
    (cancelled,) = await rows(world, "PARTICIPANT_CANCELLED")
    assert cancelled.recipient_email == address(world, 1)
    assert calendar_method(await message(cancelled)) == "CANCEL"
    reminders = await rows(world, "PARTICIPANT_REMINDER")
    assert [(r.recipient_email, r.status) for r in reminders] == [
        (address(world, 1), NotificationStatus.SKIPPED),
        (address(world, 2), NotificationStatus.PENDING),
        (address(world, 3), NotificationStatus.PENDING),
    ]
    (promoted,) = await rows(world, "PARTICIPANT_PROMOTED")
    assert promoted.recipient_email == address(world, 3)
    assert calendar_method(await message(promoted)) == "REQUEST"

    # when the staff move the training two days later, the reminders move with it
    plan = await Plan.get(id=world.plan_id)
    new_start = training.starts_at + dt.timedelta(days=2)
    body = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": world.training("open"),
                "version": plan.version,
                "startsAt": new_start.isoformat(),
                "endsAt": (new_start + dt.timedelta(hours=3)).isoformat(),
            }
        },
        headers=world.headers("staff"),
    )
    assert body["data"]["rescheduleTraining"]["errors"] == []
    pending = [
        r
        for r in await rows(world, "PARTICIPANT_REMINDER")
        if r.status is NotificationStatus.PENDING
    ]
    assert {r.due_at for r in pending} == {new_start - dt.timedelta(hours=24)}
    assert {r.context["trainings"][0]["starts_at"] for r in pending} == {new_start.isoformat()}
    changed = await rows(world, "PARTICIPANT_CHANGED")
    assert sorted(r.recipient_email for r in changed) == [address(world, 2), address(world, 3)]
    assert calendar_method(await message(changed[0])) == "REQUEST"

    # the unsubscribe link of a participant's email works as a mentor's does
    link = re.search(r"/unsubscribe/[\w.-]+", text_of(await message(changed[0])))
    assert link is not None
    done = await client.post(
        link.group(0),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    preference = await NotificationPreference.get(email=changed[0].recipient_email)
    assert (preference.kind, preference.mode) == ("PARTICIPANT_CHANGED", DeliveryMode.OFF)

    # when the training is cancelled, the others hear of it and their reminders are skipped
    plan = await Plan.get(id=world.plan_id)
    body = await gql(
        CANCEL_TRAINING,
        {"input": {"trainingId": world.training("open"), "version": plan.version}},
        headers=world.headers("staff"),
    )
    assert body["data"]["cancelTraining"]["errors"] == []
    cancelled_rows = await rows(world, "PARTICIPANT_CANCELLED")
    assert sorted(r.recipient_email for r in cancelled_rows) == sorted(
        [address(world, 1), address(world, 2), address(world, 3)]
    )
    assert {r.status for r in await rows(world, "PARTICIPANT_REMINDER")} == {
        NotificationStatus.SKIPPED
    }
