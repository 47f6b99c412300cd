"""The transactional outbox: the emails one plan event makes, written in the change's transaction.

The plan workflow calls `notify_plan_event` inside the transaction of each change, after the
change is written. The rows commit or roll back with the change: nothing is sent for a change
that rolled back, nothing is lost for one that committed. Each row has its Message-ID from the
moment it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery

from hub.core import NotFound, Settings, encode_global_id
from hub.core.metrics import OutboxState
from hub.notify import render
from hub.notify.events import (
    CALENDAR_METHODS,
    COALESCED_KINDS,
    NotificationKind,
    mail_host,
    new_message_id,
    next_digest_at,
    training_uid,
)
from hub.notify.unsubscribe import secret_key
from models.accounts import Account, NotificationPreference
from models.directory import Mentor
from models.enums import DeliveryMode, NotificationStatus, Role
from models.notifications import Notification, NotificationMessage
from models.plans import Allocation, Plan, PlanParty, Training, TrainingMentor

log = logging.getLogger(__name__)

__all__ = [
    "NotificationKind",
    "configure",
    "mail_outbox_state",
    "next_digest_at",
    "notify_plan_event",
    "plan_recipients",
    "prepare_message",
]

_configured: Settings | None = None


def configure(settings: Settings) -> None:
    """The settings the outbox uses when a caller passes none (set by the app and the worker)."""
    global _configured
    _configured = settings


def current_settings() -> Settings:
    return _configured if _configured is not None else Settings.from_env()


@dataclass(frozen=True)
class Recipient:
    """One address an event's email goes to, with the language to write it in."""

    email: str
    name: str
    locale: str
    account_id: int | None = None
    mentor_id: int | None = None


def _usable(address: str | None) -> str | None:
    """A normalised address, or None for one that cannot be sent to (it would be refused by
    the SMTP client: empty, no @, whitespace or line breaks)."""
    if not address:
        return None
    address = address.strip().lower()
    if "@" not in address or any(c.isspace() for c in address):
        return None
    return address


async def plan_recipients(*, plan: Plan, actor_id: int | None) -> list[Recipient]:
    """Everyone an event of `plan` concerns: the STAFF accounts of its centre, the COORDINATOR
    accounts of its communities, and the active mentors with an address who are allocated to
    it or teach its trainings. Never the actor (by account, and by address); each address once,
    accounts before mentors (an account carries a chosen language; mentors get Indonesian)."""
    parties = await PlanParty.filter(plan_id=plan.id).values_list("centre_id", "community_id")
    centre_ids = {plan.centre_id} | {c for c, _ in parties if c is not None}
    community_ids = [k for _, k in parties if k is not None]
    who = Q(role=Role.STAFF, centre_id__in=list(centre_ids))
    if community_ids:
        who |= Q(role=Role.COORDINATOR, community_id__in=community_ids)
    accounts = await Account.filter(who).order_by("id")
    mentors = await Mentor.filter(
        Q(id__in=Subquery(Allocation.filter(plan_id=plan.id).values("mentor_id")))
        | Q(id__in=Subquery(TrainingMentor.filter(training__plan_id=plan.id).values("mentor_id"))),
        active=True,
        email__isnull=False,
    ).order_by("id")
    excluded: set[str] = set()
    if actor_id is not None:
        actor_email = await Account.filter(id=actor_id).values_list("email", flat=True)
        excluded.update(e for e in (_usable(str(a)) for a in actor_email) if e)

    recipients: list[Recipient] = []
    for account in accounts:
        address = _usable(account.email)
        if address and account.id != actor_id and address not in excluded:
            excluded.add(address)
            recipients.append(
                Recipient(address, account.name, account.locale, account_id=account.id)
            )
    for mentor in mentors:
        address = _usable(mentor.email)
        if address and address not in excluded:
            excluded.add(address)
            recipients.append(Recipient(address, mentor.name, "id", mentor_id=mentor.id))
    return recipients


async def delivery_modes(
    *, emails: Sequence[str], kind: NotificationKind
) -> dict[str, DeliveryMode]:
    """The chosen mode of each address for `kind`; IMMEDIATE where none was chosen."""
    chosen = dict(
        await NotificationPreference.filter(email__in=list(emails), kind=kind.value).values_list(
            "email", "mode"
        )
    )
    return {e: DeliveryMode(chosen.get(e, DeliveryMode.IMMEDIATE)) for e in emails}


def _training_snapshot(training: Training, host: str) -> dict[str, Any]:
    return {
        "id": training.id,
        "uid": training_uid(training.id, host),
        "title": training.title,
        "sector": training.sector.name,
        "sector_en": training.sector.name_en,
        "starts_at": training.starts_at.astimezone(UTC).isoformat(),
        "ends_at": training.ends_at.astimezone(UTC).isoformat(),
        "venue": training.venue,
        "status": training.status.value,
        "revision": training.revision,
    }


async def event_snapshot(
    *,
    kind: NotificationKind,
    plan: Plan,
    actor_id: int | None,
    training_ids: Sequence[int],
    details: str | None,
    settings: Settings,
) -> dict[str, Any]:
    """What the email reports, as plain JSON: the plan and trainings as they are now."""
    host = mail_host(settings)
    trainings = (
        await Training.filter(plan_id=plan.id).select_related("sector").order_by("starts_at", "id")
    )
    if kind in CALENDAR_METHODS:
        wanted = set(training_ids)
        trainings = [t for t in trainings if t.id in wanted]
    actor = (
        await Account.filter(id=actor_id).values_list("name", flat=True)
        if actor_id is not None
        else []
    )
    return {
        "kind": kind.value,
        "plan": {
            "id": plan.id,
            "gid": encode_global_id("Plan", plan.id),
            "title": plan.title,
            "status": plan.status.value,
            "version": plan.version,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "centre": plan.centre.name,
        },
        "actor": str(actor[0]) if actor else None,
        "details": [details] if details else [],
        "changes": 1,
        "method": CALENDAR_METHODS.get(kind),
        "trainings": [_training_snapshot(t, host) for t in trainings],
    }


def _merged(previous: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
    """A pending row's snapshot after a later change of the same kind: the latest state, with
    every change's details and the number of changes it stands for."""
    merged = {
        **{k: v for k, v in previous.items() if k == "first_attempt_at"},
        **latest,
        "details": [*previous.get("details", []), *latest["details"]],
        "changes": int(previous.get("changes", 1)) + 1,
    }
    return merged


async def notify_plan_event(
    *,
    kind: NotificationKind,
    plan_id: int,
    actor_id: int | None,
    training_ids: Sequence[int] = (),
    details: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Write the outbox rows for one plan event; call inside the change's transaction, after
    the change is written (recipients are computed from the plan as it is now). Returns the
    number of rows written (new rows, and pending rows a coalesced change updated).

    Each recipient gets at most one row, in their language, unless their preference for this
    kind is OFF. IMMEDIATE rows are due at once, except revisions and training changes, which
    are due after the coalescing window and absorb later changes while still pending. DIGEST
    rows are due at the next daily digest."""
    settings = settings or current_settings()
    kind = NotificationKind(kind)
    plan = await Plan.get_or_none(id=plan_id).select_related("centre")
    if plan is None:
        raise NotFound(f"no plan with id {plan_id}")
    if training_ids and kind in (
        NotificationKind.TRAINING_CHANGED,
        NotificationKind.TRAINING_CANCELLED,
    ):
        from hub.notify.participants import notify_training_participants

        await notify_training_participants(kind=kind, training_ids=training_ids, settings=settings)
    recipients = await plan_recipients(plan=plan, actor_id=actor_id)
    if not recipients:
        return 0
    modes = await delivery_modes(emails=[r.email for r in recipients], kind=kind)
    wanted = [r for r in recipients if modes[r.email] is not DeliveryMode.OFF]
    if not wanted:
        return 0
    snapshot = await event_snapshot(
        kind=kind,
        plan=plan,
        actor_id=actor_id,
        training_ids=training_ids,
        details=details,
        settings=settings,
    )
    training_id = training_ids[0] if len(training_ids) == 1 else None
    now = datetime.now(UTC)
    window = settings.mail_coalesce_seconds if kind in COALESCED_KINDS else 0.0

    merged: set[str] = set()
    if window > 0:
        merged = await _coalesce(
            kind=kind,
            plan_id=plan.id,
            training_id=training_id,
            recipients=[r for r in wanted if modes[r.email] is DeliveryMode.IMMEDIATE],
            snapshot=snapshot,
            settings=settings,
            now=now,
        )
    host = mail_host(settings)
    immediate_due = now + timedelta(seconds=window)
    rows = [
        Notification(
            message_id=new_message_id(host),
            kind=kind.value,
            plan_id=plan.id,
            training_id=training_id,
            account_id=r.account_id,
            mentor_id=r.mentor_id,
            recipient_email=r.email,
            recipient_name=r.name[:160],
            locale=r.locale,
            mode=modes[r.email],
            status=NotificationStatus.PENDING,
            context=snapshot,
            due_at=immediate_due
            if modes[r.email] is DeliveryMode.IMMEDIATE
            else next_digest_at(now),
        )
        for r in wanted
        if r.email not in merged
    ]
    key = secret_key(settings)
    prepared = [
        _prepared(row, settings=settings, key=key, now=now)
        for row in rows
        if row.mode is DeliveryMode.IMMEDIATE
    ]
    messages = [m for m in prepared if m is not None]
    if rows:
        await Notification.bulk_create(rows)
    if messages:
        await NotificationMessage.bulk_create(messages)
    return len(rows) + len(merged)


def prepare_message(
    row: Notification, *, settings: Settings, key: bytes, now: datetime
) -> NotificationMessage:
    """An immediate row's finished email, rendered once, when written (its Date), so the
    worker only hands bytes to SMTP. Digest rows are rendered when their digest goes."""
    message = render.render([row], settings=settings, key=key, now=now)
    return NotificationMessage(message_id=row.message_id, body=message.data.decode("ascii"))


def _prepared(
    row: Notification, *, settings: Settings, key: bytes, now: datetime
) -> NotificationMessage | None:
    """`prepare_message`, except that an email that cannot be composed (a header the mail
    policy refuses) fails its own row, visibly in `lastError`, instead of the change that
    wrote it: the workflow goes on."""
    try:
        return prepare_message(row, settings=settings, key=key, now=now)
    except Exception as error:
        log.exception("notification %s cannot be rendered", row.message_id)
        row.status = NotificationStatus.FAILED
        row.last_error = f"cannot be rendered: {error}"
        return None


async def _coalesce(
    *,
    kind: NotificationKind,
    plan_id: int,
    training_id: int | None,
    recipients: Sequence[Recipient],
    snapshot: dict[str, Any],
    settings: Settings,
    now: datetime,
) -> set[str]:
    """Fold this change into the still-pending rows of the same plan, kind (and training) for
    these recipients; returns the addresses whose row absorbed it. A row the worker claims
    meanwhile is left alone (the conditional update misses it) and gets a new row instead."""
    if not recipients:
        return set()
    same_training = (
        Q(training_id=training_id) if training_id is not None else Q(training_id__isnull=True)
    )
    pending = await Notification.filter(
        same_training,
        plan_id=plan_id,
        kind=kind.value,
        status=NotificationStatus.PENDING,
        mode=DeliveryMode.IMMEDIATE,
        recipient_email__in=[r.email for r in recipients],
    ).order_by("id")
    by_address = {r.email: r for r in recipients}
    key = secret_key(settings)
    merged: set[str] = set()
    for row in pending:
        if row.recipient_email in merged:
            continue
        recipient = by_address[row.recipient_email]
        row.locale, row.recipient_name = recipient.locale, recipient.name[:160]
        row.context = _merged(row.context, snapshot)
        message = _prepared(row, settings=settings, key=key, now=now)
        if message is None:  # this address gets a row of its own, failed in the same way
            continue
        updated = await Notification.filter(id=row.id, status=NotificationStatus.PENDING).update(
            context=row.context, locale=row.locale, recipient_name=row.recipient_name
        )
        if updated:
            merged.add(row.recipient_email)
            await NotificationMessage.filter(message_id=row.message_id).update(body=message.body)
    return merged


WAITING = (NotificationStatus.PENDING, NotificationStatus.SENDING)


async def mail_outbox_state() -> OutboxState:
    """The mail channel's outbox for `/metrics`: emails waiting to go (due, retrying or in a
    digest not due yet), and the age of the oldest one that should have gone by now. Digest
    rows count in the depth but not in the age until their hour comes: waiting for it is not
    being late. Two statements on the (status, due_at) index."""
    now = datetime.now(UTC)
    waiting = Notification.filter(status__in=WAITING)
    depth = await waiting.count()
    oldest = (
        await waiting.filter(Q(mode__not=DeliveryMode.DIGEST) | Q(due_at__lte=now))
        .order_by("created_at")
        .only("id", "created_at")
        .first()
    )
    age = max(0.0, (now - oldest.created_at).total_seconds()) if oldest else 0.0
    return OutboxState(depth=depth, oldest_age_seconds=age)
