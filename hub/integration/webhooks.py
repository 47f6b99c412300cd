"""Webhook endpoints (DESIGN section 10): registering, changing, rotating, pinging,
redelivering, and the delivery rows every event writes in its own transaction.

Who may register: ADMIN (any kind) and PARTNER (`TRAINING_*` and `REGISTRATION_CHANGED` only;
a `PLAN_*` kind is FORBIDDEN on `["events", i]`). Each account sees and changes its own
endpoints (ADMIN: all); another account's endpoint is NOT_FOUND, so its existence is not
revealed. A URL must pass the SSRF rules of `webhooks_targets` (INVALID on `["url"]`).

`enqueue_deliveries` is called by `record_event` for every event: one `INSERT … SELECT` writes
a PENDING delivery for each enabled endpoint subscribed to the kind and allowed to see the
event (a partner's endpoint only hears of public trainings)."""

from __future__ import annotations

import base64
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet

from hub.access import Viewer, audit
from hub.core import (
    Forbidden,
    HubError,
    HubErrors,
    Invalid,
    NotFound,
    Settings,
    dataversion,
    is_postgres,
    write_transaction,
)
from hub.core.ids import parse_cursor, quote_input
from hub.core.metrics import OutboxState
from hub.integration.events import TRAINING_KINDS, EventKind
from hub.integration.webhooks_targets import checked_target
from models.enums import Role, WebhookDeliveryStatus
from models.integration import Event
from models.webhooks import Webhook, WebhookDelivery

PARTNER_KINDS = TRAINING_KINDS
"""The kinds a PARTNER endpoint may receive: public trainings and their registration counts."""
PING = "PING"
ROTATION_OVERLAP = timedelta(hours=24)
"""After a rotation the previous secret also signs for this long."""
MAX_WEBHOOKS_PER_ACCOUNT = 20
MAX_DESCRIPTION = 4000


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def encode_events(kinds: Sequence[EventKind]) -> str:
    """The stored form of the kinds, matched with `LIKE '%,KIND,%'` by `enqueue_deliveries`."""
    return "," + ",".join(sorted({k.value for k in kinds})) + ","


def decode_events(stored: str) -> list[EventKind]:
    return [EventKind(k) for k in stored.strip(",").split(",") if k]


def signing_secrets(webhook: Webhook, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one within 24
    hours of a rotation."""
    found = [webhook.secret]
    until = webhook.previous_secret_until
    if webhook.previous_secret and until is not None and now < until:
        found.append(webhook.previous_secret)
    return found


def _state(webhook: Webhook) -> dict[str, Any]:
    """What the audit log keeps of an endpoint (never its secret)."""
    return {
        "url": webhook.url,
        "events": [k.value for k in decode_events(webhook.events)],
        "description": webhook.description,
        "enabled": webhook.enabled,
    }


async def _audit(
    viewer: Viewer,
    action: audit.Action,
    webhook: Webhook,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """The audit entry of a change to `webhook` (never with its secrets: `_state`)."""
    await audit.record(
        viewer=viewer,
        label=None,
        action=action,
        entity=audit.Entity.WEBHOOK,
        entity_id=webhook.id,
        before=before,
        after=after,
    )


def _require_owner_role(viewer: Viewer) -> None:
    if viewer.role not in (Role.ADMIN, Role.PARTNER):
        raise Forbidden("only partner apps and admins register webhooks")


def _checked_events(viewer: Viewer, kinds: Sequence[EventKind]) -> list[EventKind]:
    if not kinds:
        raise Invalid("choose at least one kind of event", field=["events"])
    if viewer.role is not Role.ADMIN:
        refused = [
            Forbidden(
                f"partner apps may receive TRAINING_* and REGISTRATION_CHANGED events, not {k}",
                field=["events", str(i)],
            )
            for i, k in enumerate(kinds)
            if k not in PARTNER_KINDS
        ]
        HubErrors.raise_if_any(list[HubError](refused))
    return list(dict.fromkeys(kinds))


def _checked_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise Invalid(
            f"a description has at most {MAX_DESCRIPTION} characters", field=["description"]
        )
    return description or None


async def _check_url(url: str, settings: Settings) -> str:
    await checked_target(url, allow_private=settings.webhook_allow_private)
    return url


def webhooks_of(viewer: Viewer) -> QuerySet[Webhook]:
    """The endpoints the viewer sees: its own (all for ADMIN; none for other roles)."""
    query = Webhook.all()
    if viewer.role is Role.ADMIN:
        return query.order_by("id")
    if viewer.role is not Role.PARTNER or viewer.account_id is None:
        return query.filter(id__in=[]).order_by("id")
    return query.filter(account_id=viewer.account_id).order_by("id")


async def webhooks_by_id(viewer: Viewer, ids: Sequence[int]) -> dict[int, Webhook]:
    """Those of the webhooks `ids` that `viewer` may see, by id (one statement)."""
    return {w.id: w for w in await webhooks_of(viewer).filter(id__in=list(ids))}


async def _own(viewer: Viewer, webhook_id: int, *, lock: bool = False) -> Webhook:
    query = webhooks_of(viewer).filter(id=webhook_id)
    if lock:
        query = query.select_for_update(no_key=True)
    webhook = await query.first()
    if webhook is None:
        raise NotFound("no webhook with this id", field=["webhookId"])
    return webhook


async def create_webhook(
    *,
    viewer: Viewer,
    url: str,
    events: Sequence[EventKind],
    description: str | None,
    settings: Settings,
) -> tuple[Webhook, str]:
    """Register an endpoint; returns it and its signing secret (shown this once)."""
    _require_owner_role(viewer)
    assert viewer.account_id is not None
    kinds = _checked_events(viewer, events)
    description = _checked_description(description)
    await _check_url(url, settings)
    secret = new_secret()
    async with write_transaction():
        await dataversion.bump()
        count = await Webhook.filter(account_id=viewer.account_id).count()
        if count >= MAX_WEBHOOKS_PER_ACCOUNT:
            raise Invalid(
                f"an account has at most {MAX_WEBHOOKS_PER_ACCOUNT} webhooks: delete one first",
                field=["url"],
            )
        webhook = await Webhook.create(
            account_id=viewer.account_id,
            url=url,
            events=encode_events(kinds),
            description=description,
            secret=secret,
        )
        await _audit(viewer, audit.Action.CREATE, webhook, before=None, after=_state(webhook))
    return webhook, secret


@dataclass(frozen=True)
class WebhookChanges:
    """What `updateWebhook` changes; None leaves a value as it is."""

    url: str | None = None
    events: Sequence[EventKind] | None = None
    description: str | None = None
    enabled: bool | None = None


async def update_webhook(
    *, viewer: Viewer, webhook_id: int, changes: WebhookChanges, settings: Settings
) -> Webhook:
    """Change an endpoint. Enabling it again clears `disabledAt` and its failure streak;
    disabling it stops new deliveries (pending ones are attempted no more: FAILED)."""
    _require_owner_role(viewer)
    await _own(viewer, webhook_id)
    kinds = _checked_events(viewer, changes.events) if changes.events is not None else None
    description = _checked_description(changes.description)
    if changes.url is not None:
        await _check_url(changes.url, settings)
    now = datetime.now(UTC)
    async with write_transaction():
        await dataversion.bump()
        webhook = await _own(viewer, webhook_id, lock=True)
        before = _state(webhook)
        if changes.url is not None:
            webhook.url = changes.url
        if kinds is not None:
            webhook.events = encode_events(kinds)
        if changes.description is not None:
            webhook.description = description
        if changes.enabled is True and not webhook.enabled:
            webhook.enabled, webhook.disabled_at, webhook.failing_since = True, None, None
        elif changes.enabled is False and webhook.enabled:
            webhook.enabled, webhook.disabled_at = False, now
            await fail_open_deliveries(webhook.id, "the webhook was disabled", now=now)
        await webhook.save()
        await _audit(viewer, audit.Action.UPDATE, webhook, before=before, after=_state(webhook))
    return webhook


async def delete_webhook(*, viewer: Viewer, webhook_id: int) -> Webhook:
    """Remove an endpoint and its delivery history; returns it as it was."""
    _require_owner_role(viewer)
    async with write_transaction():
        await dataversion.bump()
        webhook = await _own(viewer, webhook_id, lock=True)
        await _audit(viewer, audit.Action.DELETE, webhook, before=_state(webhook), after=None)
        await webhook.delete()
    return webhook


async def rotate_secret(*, viewer: Viewer, webhook_id: int) -> tuple[Webhook, str]:
    """A new signing secret; the previous one also signs for 24 hours, so the receiver can
    switch without losing a delivery."""
    _require_owner_role(viewer)
    secret = new_secret()
    async with write_transaction():
        await dataversion.bump()
        webhook = await _own(viewer, webhook_id, lock=True)
        webhook.previous_secret = webhook.secret
        webhook.previous_secret_until = datetime.now(UTC) + ROTATION_OVERLAP
        webhook.secret = secret
        await webhook.save()
        await _audit(viewer, audit.Action.ROTATE_SECRET, webhook, before=None, after=None)
    return webhook, secret


async def ping_webhook(*, viewer: Viewer, webhook_id: int) -> Webhook:
    """Queue a PING delivery (no event), to test an endpoint."""
    _require_owner_role(viewer)
    now = datetime.now(UTC)
    async with write_transaction():
        await dataversion.bump()
        webhook = await _own(viewer, webhook_id)
        await WebhookDelivery.create(
            webhook_id=webhook.id, kind=PING, next_attempt_at=now, created_at=now
        )
    return webhook


async def redeliver_event(*, viewer: Viewer, webhook_id: int, event_cursor: str) -> Webhook:
    """Queue the event at `event_cursor` again for the endpoint (same `webhook-id` as its
    earlier deliveries). NOT_FOUND when the endpoint could not have received it."""
    _require_owner_role(viewer)
    position = parse_cursor(event_cursor)
    if position is None:
        raise Invalid(f"{quote_input(event_cursor)} is not an event cursor", field=["eventCursor"])
    now = datetime.now(UTC)
    async with write_transaction():
        await dataversion.bump()
        webhook = await _own(viewer, webhook_id)
        event = await Event.get_or_none(position=position)
        if event is None or event.kind is None:
            raise NotFound("no event at this cursor", field=["eventCursor"])
        kind = EventKind(event.kind)
        owner = await webhook.account
        if owner.role is not Role.ADMIN and not (
            kind in PARTNER_KINDS and await _public_training(event)
        ):
            raise NotFound("no event at this cursor", field=["eventCursor"])
        await WebhookDelivery.create(
            webhook_id=webhook.id,
            event_id=event.position,
            kind=kind.value,
            next_attempt_at=now,
            created_at=now,
        )
    return webhook


async def _public_training(event: Event) -> bool:
    rows = await connections.get("default").execute_query_dict(
        _placeholders(f"SELECT 1 AS found {_PUBLIC_FROM} LIMIT 1"),
        [event.plan_id, event.training_id],
    )
    return bool(rows)


def _placeholders(sql: str) -> str:
    """`{}` → `$1, $2, …` on PostgreSQL, `?` on SQLite."""
    if is_postgres(connections.get("default")):
        numbers = itertools.count(1)
        while "{}" in sql:
            sql = sql.replace("{}", f"${next(numbers)}", 1)
        return sql
    return sql.replace("{}", "?")


_PUBLIC_FROM = (
    "WHERE EXISTS (SELECT 1 FROM plan p WHERE p.id = {} AND p.status IN ('ACTIVE', 'COMPLETED'))"
    " OR EXISTS (SELECT 1 FROM event s WHERE s.training_id = {}"
    " AND s.kind = 'TRAINING_SCHEDULED')"
)
"""A training everyone may see: of an active or completed plan, or one that was scheduled
(so a partner that heard of it also hears that it was cancelled with its plan)."""


async def enqueue_deliveries(event: Event) -> None:
    """The deliveries of one event, in its transaction: one statement."""
    if event.kind is None:
        return
    kind = EventKind(event.kind)
    partner_ok = kind in PARTNER_KINDS and event.training_id is not None
    public = (
        "(EXISTS (SELECT 1 FROM plan p WHERE p.id = {} AND p.status IN ('ACTIVE', 'COMPLETED'))"
        " OR EXISTS (SELECT 1 FROM event s WHERE s.training_id = {}"
        " AND s.kind = 'TRAINING_SCHEDULED'))"
    )
    sql = (
        "INSERT INTO webhook_delivery"
        " (webhook_id, event_id, kind, status, attempts, next_attempt_at, created_at)"
        " SELECT w.id, {}, {}, 'PENDING', 0, {}, {} FROM webhook w"
        " JOIN account a ON a.id = w.account_id"
        " WHERE w.enabled AND w.events LIKE {}"
        f" AND (a.role = 'ADMIN' OR ({'TRUE' if partner_ok else 'FALSE'}"
        f" AND a.role = 'PARTNER' AND {public}))"
    )
    at = event.at
    params: list[Any] = [
        event.position,
        kind.value,
        at,
        at,
        f"%,{kind.value},%",
        event.plan_id,
        event.training_id,
    ]
    connection = connections.get("default")
    sql = _placeholders(sql)
    if not is_postgres(connection):
        sql = sql.replace("TRUE", "1").replace("FALSE", "0")
    await connection.execute_query(sql, params)


async def fail_open_deliveries(webhook_id: int, reason: str, *, now: datetime) -> int:
    """PENDING and RETRYING deliveries of an endpoint that stopped → FAILED with `reason`."""
    return await WebhookDelivery.filter(
        webhook_id=webhook_id,
        status__in=[WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING],
    ).update(status=WebhookDeliveryStatus.FAILED, last_error=reason, claimed_until=None)


def deliveries_of(webhook_id: int) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    return WebhookDelivery.filter(webhook_id=webhook_id).order_by("-id")


async def webhook_outbox_state() -> OutboxState:
    """The webhook channel's outbox for `/metrics`: deliveries still to be made (pending or
    retrying), and the age of the oldest of them. Two statements on the (status, ...) index."""
    now = datetime.now(UTC)
    waiting = WebhookDelivery.filter(
        status__in=(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING)
    )
    depth = await waiting.count()
    oldest = await waiting.order_by("created_at").only("id", "created_at").first()
    age = max(0.0, (now - oldest.created_at).total_seconds()) if oldest else 0.0
    return OutboxState(depth=depth, oldest_age_seconds=age)
