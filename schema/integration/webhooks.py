"""Webhooks in GraphQL (DESIGN section 10): the `webhooks` list, the `Webhook` and
`WebhookDelivery` types, and the mutations that register, change, rotate, ping and redeliver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import strawberry
from strawberry import relay

from hub.core import HubError, HubErrors, decode_global_id
from hub.integration import webhooks as service
from hub.integration.events import EventKind as EventKindValues
from hub.integration.stream import cursor_of
from models import webhooks as m
from models.enums import WebhookDeliveryStatus
from schema.common import (
    Connection,
    UserError,
    connection_of,
    decode_cursor,
    node_pks,
    page_size,
    paginate,
    user_errors,
    wants_total_count,
)
from schema.context import Info
from schema.integration.types import EventKind

strawberry.enum(
    WebhookDeliveryStatus,
    description=(
        "PENDING: not attempted yet. DELIVERED: the endpoint answered 2xx. RETRYING: an "
        "attempt failed (network error, timeout, 408, 429, 5xx) and another is due. FAILED: "
        "final (another 4xx, or the endpoint was disabled)."
    ),
)


@strawberry.type(description="One event (or ping) sent to a webhook, with its latest attempt.")
class WebhookDelivery:
    event_cursor: str | None = strawberry.field(
        description="The cursor of the event in the stream; null for a PING."
    )
    kind: str = strawberry.field(description="The event's kind (an `EventKind`), or PING.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="How many attempts were made.")
    response_status: int | None = strawberry.field(
        description="The HTTP status of the latest answer; null when none came."
    )
    duration_ms: int | None = strawberry.field(
        description="How long the latest attempt took, in milliseconds."
    )
    last_error: str | None = strawberry.field(
        description="Why the latest attempt did not succeed (status, timeout, refused address)."
    )
    next_attempt_at: dt.datetime | None = strawberry.field(
        description="When the next attempt is due (PENDING and RETRYING only)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was queued.")
    delivered_at: dt.datetime | None = strawberry.field(description="When it succeeded.")

    @classmethod
    def from_model(cls, row: m.WebhookDelivery) -> WebhookDelivery:
        waiting = row.status in (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING)
        return cls(
            event_cursor=cursor_of(row.event_id) if row.event_id is not None else None,
            kind=row.kind,
            status=row.status,
            attempts=row.attempts,
            response_status=row.response_status,
            duration_ms=row.duration_ms,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if waiting else None,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )


@strawberry.type(
    description=(
        "An endpoint that receives events of chosen kinds as signed HTTP POSTs (Standard "
        "Webhooks). Seen by the account that registered it, and by admins."
    )
)
class Webhook(relay.Node):
    pk: relay.NodeID[int]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    events: list[EventKind] = strawberry.field(  # type: ignore[valid-type]
        description="The kinds of event it receives."
    )
    description: str | None = strawberry.field(description="What it is for, in words.")
    enabled: bool = strawberry.field(
        description="Whether new events are delivered (false once disabled)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was registered.")
    disabled_at: dt.datetime | None = strawberry.field(
        description=(
            "When it was disabled: by its owner, or by the hub after failing for "
            "`HUB_WEBHOOK_DISABLE_AFTER_SECONDS` (the owner is emailed)."
        )
    )
    last_success_at: dt.datetime | None = strawberry.field(
        description="When it last answered a delivery with 2xx."
    )

    @classmethod
    def from_model(cls, row: m.Webhook) -> Webhook:
        return cls(
            pk=row.id,
            url=row.url,
            events=service.decode_events(row.events),
            description=row.description,
            enabled=row.enabled,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            last_success_at=row.last_success_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Webhook | None]:
        keys = node_pks(node_ids)
        rows = await service.webhooks_by_id(info.context.viewer, [k for k in keys if k is not None])
        return [cls.from_model(rows[k]) if k in rows else None for k in keys]

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        limit = page_size(first)
        start = decode_cursor(after) + 1
        rows, total = await info.context.loaders.deliveries_by_webhook.load((self.pk, start, limit))
        nodes = [WebhookDelivery.from_model(r) for r in rows[:limit]]
        return connection_of(nodes, start=start, total=total, has_next=len(rows) > limit)


def _webhook_id(value: strawberry.ID) -> int:
    return decode_global_id(value, "Webhook", field="webhookId")


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description=(
            "The webhooks the viewer registered (admins: every webhook); empty for other "
            "roles and anonymous clients."
        )
    )
    async def webhooks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Webhook]:
        return await paginate(
            service.webhooks_of(info.context.viewer),
            first=first,
            after=after,
            build=lambda rows: [Webhook.from_model(r) for r in rows],
            count=wants_total_count(info),
        )


@strawberry.input(description="A new webhook.")
class CreateWebhookInput:
    url: str = strawberry.field(
        description=(
            "Where to POST: https:// to a public address (checked now and before every "
            "delivery; redirects are not followed)."
        )
    )
    events: list[EventKind] = strawberry.field(  # type: ignore[valid-type]
        description=(
            "The kinds to receive. Partner apps: TRAINING_* and REGISTRATION_CHANGED only "
            '(a PLAN_* kind is FORBIDDEN on ["events", i]).'
        )
    )
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.input(description="Changes to a webhook; fields left out stay as they are.")
class UpdateWebhookInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")
    url: str | None = strawberry.field(default=None, description="A new URL (checked again).")
    events: list[EventKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The kinds to receive instead."
    )
    description: str | None = strawberry.field(default=None, description="A new description.")
    enabled: bool | None = strawberry.field(
        default=None,
        description=(
            "false stops deliveries (pending ones become FAILED); true starts them again and "
            "clears `disabledAt`."
        ),
    )


@strawberry.input(description="The webhook to act on.")
class WebhookInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")


@strawberry.input(description="An event to send to a webhook again.")
class RedeliverWebhookEventInput:
    webhook_id: strawberry.ID = strawberry.field(description="The webhook.")
    event_cursor: str = strawberry.field(
        description="The event's cursor (`eventCursor` of a delivery, `PlanEvent.cursor`)."
    )


@strawberry.type(description="The result of `createWebhook`.")
class CreateWebhookPayload:
    webhook: Webhook | None = strawberry.field(description="The new webhook.")
    secret: str | None = strawberry.field(
        description=(
            "The signing secret (`whsec_…`), shown this once: verify each delivery's "
            "`webhook-signature` with it."
        )
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `rotateWebhookSecret`.")
class RotateWebhookSecretPayload:
    webhook: Webhook | None = strawberry.field(description="The webhook.")
    secret: str | None = strawberry.field(
        description=(
            "The new signing secret, shown this once. For 24 hours deliveries carry a "
            "signature by the previous secret too."
        )
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of a change to a webhook.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(
        description="The webhook as it is now (`deleteWebhook`: as it was)."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


def _payload(row: m.Webhook) -> WebhookPayload:
    return WebhookPayload(webhook=Webhook.from_model(row), errors=[])


def _events(kinds: Sequence[object] | None) -> list[EventKindValues] | None:
    return None if kinds is None else [EventKindValues(str(getattr(k, "value", k))) for k in kinds]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description=(
            "Register a webhook (partner apps and admins). Returns its signing secret once."
        )
    )
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        try:
            row, secret = await service.create_webhook(
                viewer=info.context.viewer,
                url=input.url,
                events=_events(input.events) or [],
                description=input.description,
                settings=info.context.settings,
            )
        except (HubError, HubErrors) as error:
            return CreateWebhookPayload(webhook=None, secret=None, errors=user_errors(error))
        return CreateWebhookPayload(webhook=Webhook.from_model(row), secret=secret, errors=[])

    @strawberry.mutation(description="Change a webhook's URL, kinds, description or state.")
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> WebhookPayload:
        try:
            row = await service.update_webhook(
                viewer=info.context.viewer,
                webhook_id=_webhook_id(input.webhook_id),
                changes=service.WebhookChanges(
                    url=input.url,
                    events=_events(input.events),
                    description=input.description,
                    enabled=input.enabled,
                ),
                settings=info.context.settings,
            )
        except (HubError, HubErrors) as error:
            return WebhookPayload(webhook=None, errors=user_errors(error))
        return _payload(row)

    @strawberry.mutation(description="Remove a webhook and its delivery history.")
    async def delete_webhook(self, info: Info, input: WebhookInput) -> WebhookPayload:
        try:
            row = await service.delete_webhook(
                viewer=info.context.viewer, webhook_id=_webhook_id(input.webhook_id)
            )
        except (HubError, HubErrors) as error:
            return WebhookPayload(webhook=None, errors=user_errors(error))
        return _payload(row)

    @strawberry.mutation(
        description=(
            "Replace a webhook's signing secret; the previous one also signs for 24 hours."
        )
    )
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookInput
    ) -> RotateWebhookSecretPayload:
        try:
            row, secret = await service.rotate_secret(
                viewer=info.context.viewer, webhook_id=_webhook_id(input.webhook_id)
            )
        except (HubError, HubErrors) as error:
            return RotateWebhookSecretPayload(webhook=None, secret=None, errors=user_errors(error))
        return RotateWebhookSecretPayload(webhook=Webhook.from_model(row), secret=secret, errors=[])

    @strawberry.mutation(description="Send the webhook a test delivery of type PING.")
    async def ping_webhook(self, info: Info, input: WebhookInput) -> WebhookPayload:
        try:
            row = await service.ping_webhook(
                viewer=info.context.viewer, webhook_id=_webhook_id(input.webhook_id)
            )
        except (HubError, HubErrors) as error:
            return WebhookPayload(webhook=None, errors=user_errors(error))
        return _payload(row)

    @strawberry.mutation(
        description=(
            "Send an event to the webhook again (same `webhook-id` as before, so receivers "
            "can tell it is the same event)."
        )
    )
    async def redeliver_webhook_event(
        self, info: Info, input: RedeliverWebhookEventInput
    ) -> WebhookPayload:
        try:
            row = await service.redeliver_event(
                viewer=info.context.viewer,
                webhook_id=_webhook_id(input.webhook_id),
                event_cursor=input.event_cursor,
            )
        except (HubError, HubErrors) as error:
            return WebhookPayload(webhook=None, errors=user_errors(error))
        return _payload(row)


__all__ = ["Webhook", "WebhookDelivery", "WebhookMutations", "WebhookQueries"]
