"""The notification outbox: one row per email to one recipient."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.enums import DeliveryMode, NotificationStatus

if TYPE_CHECKING:
    from models.accounts import Account
    from models.directory import Mentor
    from models.plans import Plan, Training


class Notification(Model):
    """An outbox row, written in the transaction of the change it reports."""

    id = fields.IntField(primary_key=True)
    message_id = fields.CharField(max_length=200, unique=True)
    kind = fields.CharField(max_length=40)
    plan: fields.ForeignKeyNullableRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    plan_id: int | None
    training: fields.ForeignKeyNullableRelation[Training] = fields.ForeignKeyField(
        "models.Training", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    training_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    mentor: fields.ForeignKeyNullableRelation[Mentor] = fields.ForeignKeyField(
        "models.Mentor", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    mentor_id: int | None
    recipient_email = fields.CharField(max_length=254)
    recipient_name = fields.CharField(max_length=160, default="")
    locale = fields.CharField(max_length=5, default="id")
    mode = fields.CharEnumField(DeliveryMode, max_length=10, default=DeliveryMode.IMMEDIATE)
    status = fields.CharEnumField(
        NotificationStatus, max_length=10, default=NotificationStatus.PENDING
    )
    context: dict[str, Any] = fields.JSONField(default=dict)
    due_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    claimed_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification"
        indexes = (("status", "due_at"), ("plan_id",), ("recipient_email", "status"))


class NotificationMessage(Model):
    """The finished email of an immediate notification, rendered when the row was written.

    Kept apart from the row (joined by Message-ID) so that claiming and marking a row
    rewrite a small record, not the whole message."""

    id = fields.IntField(primary_key=True)
    message_id = fields.CharField(max_length=200, unique=True)
    body = fields.TextField(description="RFC 5322 text, 7-bit, CRLF line ends")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_message"
