"""Joint mentoring plans with their parties, allocations, trainings and history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import PartyStatus, PlanStatus, TrainingStatus

if TYPE_CHECKING:
    from models.accounts import Account
    from models.directory import Centre, Community, Mentor, Sector


class Plan(Model):
    """A joint mentoring plan (*rencana pendampingan bersama*) of one centre and communities."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    goals: str | None = fields.TextField(null=True)
    status = fields.CharEnumField(PlanStatus, max_length=12, default=PlanStatus.PROPOSED)
    version = fields.IntField(default=1)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    centre: fields.ForeignKeyRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="plans", on_delete=fields.RESTRICT
    )
    centre_id: int
    proposed_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="proposed_plans", null=True, on_delete=fields.SET_NULL
    )
    proposed_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    parties: fields.ReverseRelation[PlanParty]
    allocations: fields.ReverseRelation[Allocation]
    trainings: fields.ReverseRelation[Training]
    events: fields.ReverseRelation[PlanEvent]

    class Meta:
        table = "plan"
        indexes = (("status", "centre_id"),)
        constraints = (
            CheckConstraint(check="ends_on >= starts_on", name="plan_period_ck"),
            CheckConstraint(check="version >= 1", name="plan_version_ck"),
        )


class PlanParty(Model):
    """One side of a plan: its centre or one of its communities."""

    id = fields.IntField(primary_key=True)
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="parties", on_delete=fields.CASCADE
    )
    plan_id: int
    centre: fields.ForeignKeyNullableRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="parties", null=True, on_delete=fields.RESTRICT
    )
    centre_id: int | None
    community: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="parties", null=True, on_delete=fields.RESTRICT
    )
    community_id: int | None
    status = fields.CharEnumField(PartyStatus, max_length=10, default=PartyStatus.PENDING)
    responded_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="responses", null=True, on_delete=fields.SET_NULL
    )
    responded_by_id: int | None
    responded_at = fields.DatetimeField(null=True)
    note: str | None = fields.TextField(null=True)

    class Meta:
        table = "plan_party"
        unique_together = (("plan", "centre"), ("plan", "community"))
        indexes = (("community_id",), ("centre_id",))
        constraints = (
            CheckConstraint(
                check="(centre_id IS NULL) <> (community_id IS NULL)",
                name="plan_party_one_side_ck",
            ),
        )


class Allocation(Model):
    """A mentor's commitment in a plan: mentees in one sector."""

    id = fields.IntField(primary_key=True)
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="allocations", on_delete=fields.CASCADE
    )
    plan_id: int
    mentor: fields.ForeignKeyRelation[Mentor] = fields.ForeignKeyField(
        "models.Mentor", related_name="allocations", on_delete=fields.RESTRICT
    )
    mentor_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="allocations", on_delete=fields.RESTRICT
    )
    sector_id: int
    mentees = fields.IntField()

    class Meta:
        table = "allocation"
        unique_together = (("plan", "mentor", "sector"),)
        indexes = (("mentor_id", "sector_id"),)
        constraints = (CheckConstraint(check="mentees >= 1", name="allocation_mentees_ck"),)


class Training(Model):
    """A training session on one sector, always part of a plan."""

    id = fields.IntField(primary_key=True)
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="trainings", on_delete=fields.CASCADE
    )
    plan_id: int
    centre: fields.ForeignKeyRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="trainings", on_delete=fields.RESTRICT
    )
    centre_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="trainings", on_delete=fields.RESTRICT
    )
    sector_id: int
    title = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField(description="UTC")
    ends_at = fields.DatetimeField(description="UTC")
    venue = fields.CharField(max_length=300, default="")
    capacity = fields.IntField(null=True)
    status = fields.CharEnumField(TrainingStatus, max_length=10, default=TrainingStatus.PLANNED)
    revision = fields.IntField(default=0, description="iCalendar SEQUENCE")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organisers: fields.ReverseRelation[TrainingOrganiser]
    mentor_links: fields.ReverseRelation[TrainingMentor]

    class Meta:
        table = "training"
        indexes = (("status", "starts_at"), ("centre_id", "starts_at"))
        constraints = (
            CheckConstraint(check="ends_at > starts_at", name="training_period_ck"),
            CheckConstraint(check="capacity IS NULL OR capacity >= 0", name="training_capacity_ck"),
        )


class TrainingOrganiser(Model):
    """A community that organises a training."""

    id = fields.IntField(primary_key=True)
    training: fields.ForeignKeyRelation[Training] = fields.ForeignKeyField(
        "models.Training", related_name="organisers", on_delete=fields.CASCADE
    )
    training_id: int
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="organised_trainings", on_delete=fields.RESTRICT
    )
    community_id: int

    class Meta:
        table = "training_organiser"
        unique_together = (("training", "community"),)


class TrainingMentor(Model):
    """A mentor who teaches a training."""

    id = fields.IntField(primary_key=True)
    training: fields.ForeignKeyRelation[Training] = fields.ForeignKeyField(
        "models.Training", related_name="mentor_links", on_delete=fields.CASCADE
    )
    training_id: int
    mentor: fields.ForeignKeyRelation[Mentor] = fields.ForeignKeyField(
        "models.Mentor", related_name="training_links", on_delete=fields.RESTRICT
    )
    mentor_id: int

    class Meta:
        table = "training_mentor"
        unique_together = (("training", "mentor"),)
        indexes = (("mentor_id",),)


class PlanEvent(Model):
    """One change in a plan's history, written once and never edited."""

    id = fields.IntField(primary_key=True)
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "models.Plan", related_name="events", on_delete=fields.CASCADE
    )
    plan_id: int
    kind = fields.CharField(max_length=40)
    actor: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="plan_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    version = fields.IntField(description="The plan's version after the change")
    at = fields.DatetimeField(auto_now_add=True)
    details: str | None = fields.TextField(null=True)
    position: int | None = fields.BigIntField(
        null=True, description="Its event in the stream (models.integration.Event)"
    )
    """Its event's position in the stream, which is its cursor. A plain column, not a foreign
    key: the stream keeps its own retention, and SQLite can drop the column when downgrading."""

    class Meta:
        table = "plan_event"
        indexes = (("plan_id", "id"),)
