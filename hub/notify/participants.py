"""Emails to residents about their registrations, written to the outbox in the transaction of
the change, like every other email.

Only participants with an address get them, in Indonesian, never as a digest; an address
whose owner unsubscribed from a kind (the link in every email, no account needed) gets no row
of it. Rows about one registration are rendered by the worker when it sends them (rendering
in the request would lengthen the training's lock). The confirmation and the promotion carry
the training's calendar invite (the same UID as the organisers' invite, SEQUENCE its
revision); a cancellation of a confirmed place carries the calendar cancellation. A reminder
row is written with the confirmation, due 24 hours before the start: rescheduling the
training moves its due time, cancelling skips it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.core import Settings, encode_global_id
from hub.notify.events import NotificationKind, mail_host, new_message_id
from hub.notify.outbox import (
    _training_snapshot,
    _usable,
    current_settings,
    delivery_modes,
    prepare_message,
)
from hub.notify.unsubscribe import secret_key
from models.accounts import NotificationPreference
from models.enums import DeliveryMode, NotificationStatus, RegistrationStatus
from models.notifications import Notification, NotificationMessage
from models.participation import Participant, Registration
from models.plans import Training

REMINDER_BEFORE = timedelta(hours=24)

_METHODS = {
    NotificationKind.PARTICIPANT_CONFIRMED: "REQUEST",
    NotificationKind.PARTICIPANT_PROMOTED: "REQUEST",
}


def _method(kind: NotificationKind, status: RegistrationStatus, was_confirmed: bool) -> str | None:
    if kind in _METHODS:
        return _METHODS[kind]
    if kind is NotificationKind.PARTICIPANT_CHANGED and status is RegistrationStatus.CONFIRMED:
        return "REQUEST"
    if kind is NotificationKind.PARTICIPANT_CANCELLED and was_confirmed:
        return "CANCEL"
    return None


def _context(
    kind: NotificationKind,
    registration: Registration,
    training: Training,
    *,
    settings: Settings,
    was_confirmed: bool = False,
    headline: str | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "trainings": [_training_snapshot(training, mail_host(settings))],
        "centre": training.centre.name,
        "registration": {
            "id": registration.id,
            "gid": encode_global_id("Registration", registration.id),
            "status": registration.status.value,
            "position": registration.position,
        },
        "method": _method(kind, registration.status, was_confirmed),
        **({"headline": headline} if headline else {}),
    }


async def _load_training(training_id: int) -> Training:
    return await Training.get(id=training_id).select_related("sector", "centre")


async def _write(
    rows: Sequence[tuple[Notification, bool]], *, settings: Settings, now: datetime
) -> int:
    """Store rows; those marked True get their finished email now (due at once)."""
    if not rows:
        return 0
    key = secret_key(settings)
    messages = [
        prepare_message(row, settings=settings, key=key, now=now) for row, ready in rows if ready
    ]
    await Notification.bulk_create([row for row, _ in rows])
    if messages:
        await NotificationMessage.bulk_create(messages)
    return len(rows)


def _row(
    kind: NotificationKind,
    participant: Participant,
    address: str,
    training: Training,
    context: dict[str, Any],
    *,
    settings: Settings,
    due_at: datetime,
) -> Notification:
    return Notification(
        message_id=new_message_id(mail_host(settings)),
        kind=kind.value,
        plan_id=training.plan_id,
        training_id=training.id,
        recipient_email=address,
        recipient_name=(participant.name or "")[:160],
        locale="id",
        mode=DeliveryMode.IMMEDIATE,
        status=NotificationStatus.PENDING,
        context=context,
        due_at=due_at,
    )


async def _unwanted(address: str, kinds: Sequence[NotificationKind]) -> set[NotificationKind]:
    """Which of `kinds` the owner of `address` turned off (one statement)."""
    rows = await NotificationPreference.filter(
        email=address, kind__in=[k.value for k in kinds], mode=DeliveryMode.OFF
    ).values_list("kind", flat=True)
    return {NotificationKind(str(k)) for k in rows}


async def _wanted(addresses: Sequence[str], kind: NotificationKind) -> set[str]:
    modes = await delivery_modes(emails=list(addresses), kind=kind)
    return {a for a, mode in modes.items() if mode is not DeliveryMode.OFF}


async def notify_registration(
    *,
    kind: NotificationKind,
    registration: Registration,
    was_confirmed: bool = False,
    participant: Participant | None = None,
    settings: Settings | None = None,
) -> int:
    """The email of `kind` to the registration's participant (and, with a confirmation or a
    promotion, the reminder); a cancellation skips the pending reminder. Call inside the
    change's transaction. Returns the rows written."""
    settings = settings or current_settings()
    if participant is None or participant.id != registration.participant_id:
        participant = await Participant.get(id=registration.participant_id)
    address = _usable(participant.email)
    if address is None:
        return 0
    training = await _load_training(registration.training_id)
    if kind is NotificationKind.PARTICIPANT_CANCELLED:
        await _skip_reminders(training.id, [address])
    now = datetime.now(UTC)
    kinds = [kind, NotificationKind.PARTICIPANT_REMINDER] if kind in _METHODS else [kind]
    off = await _unwanted(address, kinds)
    rows: list[tuple[Notification, bool]] = []
    if kind not in off:
        context = _context(
            kind, registration, training, settings=settings, was_confirmed=was_confirmed
        )
        rows.append(
            (
                _row(kind, participant, address, training, context, settings=settings, due_at=now),
                False,
            )
        )
    if kind in _METHODS:
        reminder = NotificationKind.PARTICIPANT_REMINDER
        due = training.starts_at - REMINDER_BEFORE
        if due > now and reminder not in off:
            context = _context(reminder, registration, training, settings=settings)
            rows.append(
                (
                    _row(
                        reminder,
                        participant,
                        address,
                        training,
                        context,
                        settings=settings,
                        due_at=due,
                    ),
                    False,
                )
            )
    return await _write(rows, settings=settings, now=now)


async def _skip_reminders(training_id: int, addresses: Sequence[str] | None = None) -> None:
    pending = Notification.filter(
        training_id=training_id,
        kind=NotificationKind.PARTICIPANT_REMINDER.value,
        status=NotificationStatus.PENDING,
    )
    if addresses is not None:
        pending = pending.filter(recipient_email__in=list(addresses))
    await pending.update(status=NotificationStatus.SKIPPED, last_error="cancelled")


async def notify_training_participants(
    *, kind: NotificationKind, training_ids: Sequence[int], settings: Settings | None = None
) -> int:
    """A training of theirs was rescheduled (`TRAINING_CHANGED`) or cancelled
    (`TRAINING_CANCELLED`): every confirmed or waitlisted participant with an address hears of
    it; the reminders move with the new start, or are skipped."""
    if kind not in (NotificationKind.TRAINING_CHANGED, NotificationKind.TRAINING_CANCELLED):
        return 0
    settings = settings or current_settings()
    now = datetime.now(UTC)
    mine = (
        NotificationKind.PARTICIPANT_CHANGED
        if kind is NotificationKind.TRAINING_CHANGED
        else NotificationKind.PARTICIPANT_CANCELLED
    )
    written = 0
    for training_id in training_ids:
        training = await _load_training(training_id)
        if kind is NotificationKind.TRAINING_CANCELLED:
            await _skip_reminders(training.id)
        else:
            await _move_reminders(training, settings=settings, now=now)
        registrations = await Registration.filter(
            training_id=training.id,
            status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED],
        ).order_by("id")
        people = {
            p.id: p
            for p in await Participant.filter(
                id__in=[r.participant_id for r in registrations], email__isnull=False
            )
        }
        addressed = [
            (r, people[r.participant_id], _usable(people[r.participant_id].email))
            for r in registrations
            if r.participant_id in people
        ]
        wanted = await _wanted([a for _, _, a in addressed if a], mine)
        headline = (
            "Pelatihan berikut dibatalkan oleh penyelenggara."
            if mine is NotificationKind.PARTICIPANT_CANCELLED
            else None
        )
        rows = [
            (
                _row(
                    mine,
                    person,
                    address,
                    training,
                    _context(
                        mine,
                        registration,
                        training,
                        settings=settings,
                        was_confirmed=registration.status is RegistrationStatus.CONFIRMED,
                        headline=headline,
                    ),
                    settings=settings,
                    due_at=now,
                ),
                True,
            )
            for registration, person, address in addressed
            if address and address in wanted
        ]
        written += await _write(rows, settings=settings, now=now)
    return written


async def _move_reminders(training: Training, *, settings: Settings, now: datetime) -> None:
    """Pending reminders of a rescheduled training: due 24 hours before the new start, with
    the new time in their snapshot; skipped when that moment has passed."""
    due = training.starts_at - REMINDER_BEFORE
    pending = await Notification.filter(
        training_id=training.id,
        kind=NotificationKind.PARTICIPANT_REMINDER.value,
        status=NotificationStatus.PENDING,
    )
    snapshot = _training_snapshot(training, mail_host(settings))
    for row in pending:
        if due <= now:
            row.status = NotificationStatus.SKIPPED
            row.last_error = "the training now starts within 24 hours"
        else:
            row.due_at = due
            row.context = {**row.context, "trainings": [snapshot]}
        await row.save(update_fields=["status", "last_error", "due_at", "context", "updated_at"])
