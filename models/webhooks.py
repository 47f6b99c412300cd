"""Webhook endpoints of partner apps and admins, and their deliveries (DESIGN section 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import WebhookDeliveryStatus

if TYPE_CHECKING:
    from models.accounts import Account
    from models.integration import Event


class Webhook(Model):
    """An endpoint that receives the events of chosen kinds, signed with its secret."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="webhooks", on_delete=fields.CASCADE
    )
    account_id: int
    url = fields.CharField(max_length=2000)
    events = fields.CharField(
        max_length=400,
        description="The EventKinds it receives, each between commas: ',PLAN_PROPOSED,'",
    )
    description: str | None = fields.TextField(null=True)
    enabled = fields.BooleanField(default=True)
    secret = fields.CharField(max_length=100, description="whsec_…: signs every delivery")
    previous_secret = fields.CharField(max_length=100, null=True)
    previous_secret_until = fields.DatetimeField(
        null=True, description="The previous secret signs too until then (24 h after rotation)"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    failing_since = fields.DatetimeField(
        null=True, description="The first failed attempt after the last success"
    )

    deliveries: fields.ReverseRelation[WebhookDelivery]

    class Meta:
        table = "webhook"
        indexes = (("account_id",),)


class WebhookDelivery(Model):
    """One event (or ping) for one endpoint: written with the event, attempted by the worker
    until delivered or failed. `claimed_until` is the worker's lease."""

    id = fields.IntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    webhook_id: int
    event: fields.ForeignKeyNullableRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="webhook_deliveries", null=True, on_delete=fields.CASCADE
    )
    event_id: int | None
    kind = fields.CharField(max_length=40, description="EventKind, or PING")
    status = fields.CharEnumField(
        WebhookDeliveryStatus, max_length=10, default=WebhookDeliveryStatus.PENDING
    )
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    response_status = fields.IntField(null=True)
    duration_ms = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (("status", "next_attempt_at"), ("webhook_id", "id"), ("event_id",))
