"""Writing and reading the event stream.

Positions follow commit order: `record_event` first takes the data version's row lock (which
every write holds until it commits: `dataversion.bump`, and on SQLite the write lock that
`write_transaction` takes at its start), and only then draws the event's position (the table's
ever-growing key). Two changes can therefore never commit their events out of order, and a
reader that has seen position p has seen every event below p. A change that rolls back leaves
no event (its position is never used), and no webhook delivery: the deliveries of an event
(`webhooks.enqueue_deliveries`) are written by the same transaction. On PostgreSQL the
transaction also queues a notification on the `hub_events` channel carrying only the
position; PostgreSQL delivers it when (and only if) the change commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tortoise import connections
from tortoise.expressions import Subquery

from hub.core import Invalid, is_postgres
from hub.core.ids import encode_cursor, parse_cursor, quote_input
from hub.integration.events import EventKind, event_kind_of
from hub.integration.webhooks import enqueue_deliveries
from models.enums import WebhookDeliveryStatus
from models.integration import Event
from models.plans import Plan, PlanEvent
from models.webhooks import WebhookDelivery

CHANNEL = "hub_events"
"""The PostgreSQL notification channel of committed events (payload: the position)."""

_LOCK_VERSION_ROW = "SELECT id FROM data_version WHERE id = 1 FOR UPDATE"


def cursor_of(position: int) -> str:
    """The opaque cursor of a position (base64, the form of every cursor of the API)."""
    return encode_cursor(position)


async def record_event(
    *,
    kind: EventKind | None,
    plan_id: int | None,
    training_id: int | None = None,
    actor_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event:
    """Write one event of the change being made; call inside the change's transaction (it
    commits or rolls back with it). `kind` None is a history-only line (`record_history`).
    `data` holds ids and public figures only: it is what partner apps may be sent."""
    connection = connections.get("default")
    if is_postgres(connection):
        await connection.execute_query(_LOCK_VERSION_ROW)
    event = await Event.create(
        kind=kind.value if kind is not None else None,
        plan_id=plan_id,
        training_id=training_id,
        actor_id=actor_id,
        data=dict(data or {}),
        at=dt.datetime.now(dt.UTC),
    )
    await enqueue_deliveries(event)
    if is_postgres(connection):
        await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(event.position)])
    from hub.integration.fanout import wake_local

    wake_local()
    return event


async def record_history(
    *,
    plan: Plan,
    kind: str,
    actor_id: int | None,
    details: str | None = None,
    training_id: int | None = None,
) -> PlanEvent:
    """One line of a plan's history and its event (`HISTORY_EVENT_KINDS`), as one row each:
    the history line points at its position in the stream, which is its cursor."""
    event = await record_event(
        kind=event_kind_of(kind),
        plan_id=plan.id,
        training_id=training_id,
        actor_id=actor_id,
        data={"version": plan.version},
    )
    return await PlanEvent.create(
        plan=plan,
        kind=kind,
        actor_id=actor_id,
        version=plan.version,
        details=details,
        position=event.position,
    )


async def latest_position() -> int:
    """The highest position written so far (0 before the first event)."""
    last = await Event.all().order_by("-position").first().values_list("position", flat=True)
    return int(last) if isinstance(last, int) else 0


async def events_after(position: int, *, limit: int = 100) -> list[Event]:
    """The next `limit` events after `position`, in order, with their history lines."""
    events = await Event.filter(position__gt=position).order_by("position").limit(limit)
    lines = {
        line.position: line
        for line in await PlanEvent.filter(position__in=[e.position for e in events])
    }
    for event in events:
        event.history = lines.get(event.position)
    return events


def _cutoff(retention_days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)


async def position_of(
    cursor: object, *, retention_days: int, field: tuple[str, ...] = ("after",)
) -> int:
    """The position of an event cursor a client sends. `INVALID` when it is malformed, names
    a position not reached yet, or is older than the events kept (`retention_days`): the
    client then reads the state again and subscribes from `latestEventCursor`."""
    position = parse_cursor(cursor)
    if position is None:
        raise Invalid(f"{quote_input(cursor)} is not an event cursor", field=list(field))
    latest = await latest_position()
    if position > latest:
        raise Invalid(f"{quote_input(cursor)} is not a cursor of an event", field=list(field))
    kept = (
        await Event.filter(at__gte=_cutoff(retention_days))
        .order_by("position")
        .first()
        .values_list("position", flat=True)
    )
    floor = kept - 1 if isinstance(kept, int) else latest
    if position < floor:
        raise Invalid(
            f"this cursor is older than the {retention_days} days that events are kept: read "
            "the state again and subscribe from `latestEventCursor`",
            field=list(field),
        )
    return position


async def purge_events(*, retention_days: int) -> int:
    """Delete the events older than the retention that are not lines of a plan's history
    (the history keeps its own) and that no webhook still has to deliver (pending or
    retrying), never the latest one. Returns the number deleted."""
    latest = await latest_position()
    undelivered = WebhookDelivery.filter(
        status__in=(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING),
        event_id__isnull=False,
    ).values("event_id")
    return await (
        Event.filter(at__lt=_cutoff(retention_days), position__lt=latest)
        .exclude(position__in=Subquery(PlanEvent.filter(position__isnull=False).values("position")))
        .exclude(position__in=Subquery(undelivered))
        .delete()
    )
