"""Residents in the loop: participants with their consent, registrations and interests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import ConsentChannel, RegistrationStatus

if TYPE_CHECKING:
    from models.accounts import Account
    from models.directory import Centre, Sector
    from models.plans import Training
    from models.regions import Region


class Participant(Model):
    """A resident who wants to start or grow a business. Personal data throughout: name and
    contacts are emptied when the person is erased or the retention period has passed."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=160, null=True)
    phone = fields.CharField(max_length=20, null=True, description="E.164")
    email = fields.CharField(max_length=254, null=True)
    kecamatan: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="participants", on_delete=fields.RESTRICT
    )
    kecamatan_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="participants", on_delete=fields.RESTRICT
    )
    sector_id: int
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="participants", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    consent_purpose = fields.CharField(max_length=300)
    consent_text_version = fields.CharField(max_length=40)
    consent_channel = fields.CharEnumField(ConsentChannel, max_length=10)
    consent_at = fields.DatetimeField()
    anonymised_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    registrations: fields.ReverseRelation[Registration]
    interests: fields.ReverseRelation[Interest]

    class Meta:
        table = "participant"
        indexes = (("created_by_id", "phone"), ("created_by_id", "email"), ("email",))


class Registration(Model):
    """A participant's place at a training: confirmed, on the waitlist (at `position`, 1 first,
    without gaps) or cancelled."""

    id = fields.IntField(primary_key=True)
    training: fields.ForeignKeyRelation[Training] = fields.ForeignKeyField(
        "models.Training", related_name="registrations", on_delete=fields.CASCADE
    )
    training_id: int
    participant: fields.ForeignKeyRelation[Participant] = fields.ForeignKeyField(
        "models.Participant", related_name="registrations", on_delete=fields.CASCADE
    )
    participant_id: int
    status = fields.CharEnumField(RegistrationStatus, max_length=10)
    position: int | None = fields.IntField(null=True, description="On the waitlist: 1 is next")
    attended = fields.BooleanField(default=False)
    registered_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="registrations", null=True, on_delete=fields.SET_NULL
    )
    registered_by_id: int | None
    idempotency_key = fields.CharField(max_length=100, null=True)
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "registration"
        unique_together = (("registered_by", "idempotency_key"),)
        indexes = (("training_id", "status", "position"), ("participant_id",))
        constraints = (
            CheckConstraint(
                check="(status = 'WAITLISTED') = (position IS NOT NULL)",
                name="registration_position_ck",
            ),
        )


class Interest(Model):
    """A participant's wish for training in one sector at one centre."""

    id = fields.IntField(primary_key=True)
    participant: fields.ForeignKeyRelation[Participant] = fields.ForeignKeyField(
        "models.Participant", related_name="interests", on_delete=fields.CASCADE
    )
    participant_id: int
    centre: fields.ForeignKeyRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="interests", on_delete=fields.RESTRICT
    )
    centre_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="interests", on_delete=fields.RESTRICT
    )
    sector_id: int
    created_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="interests", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "interest"
        indexes = (("centre_id", "sector_id", "created_at"), ("participant_id",))
