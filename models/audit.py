"""The audit log of directory changes and personal-data requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class AuditEntry(Model):
    """Who changed what and when, with the values before and after. Never edited."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_label = fields.CharField(max_length=254, default="", description="Who, kept if erased")
    action = fields.CharField(max_length=40)
    entity = fields.CharField(max_length=40)
    entity_id = fields.IntField(null=True)
    before: dict[str, Any] | None = fields.JSONField(null=True)
    after: dict[str, Any] | None = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("entity", "entity_id"), ("actor_id",))


class DataVersion(Model):
    """The data version: a write counter and a random epoch (cache validation).

    Every write moves the counter forward in its own transaction; a restore from backup renews
    the epoch, so a counter that comes back to an earlier value never revalidates what was
    cached for other data."""

    id = fields.IntField(primary_key=True)
    value = fields.BigIntField(default=0)
    epoch = fields.BigIntField(null=True, description="Random, renewed by every restore")

    class Meta:
        table = "data_version"
