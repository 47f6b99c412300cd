"""The event stream: one row per change, in commit order (DESIGN section 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.plans import Plan, PlanEvent


class Event(Model):
    """Something that happened to a plan, a training or its registrations, at a position in
    commit order. Written in the change's own transaction; never edited."""

    position = fields.BigIntField(
        primary_key=True, description="Commit order, drawn under the row lock of the data version"
    )
    kind = fields.CharField(
        max_length=40, null=True, description="EventKind, or null for a history-only change"
    )
    plan: fields.ForeignKeyNullableRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="stream_events", null=True, on_delete=fields.CASCADE
    )
    plan_id: int | None
    training_id: int | None = fields.IntField(
        null=True,
        description="The training it concerns (no foreign key: revisions replace trainings)",
    )
    actor_id: int | None = fields.IntField(null=True, description="The account that acted")
    data: dict[str, Any] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    history: PlanEvent | None
    """Its history line, when read by `hub.integration.events_after` (None for events that
    are not lines of a plan's history)."""

    class Meta:
        table = "event"
        indexes = (("at",), ("training_id",))
