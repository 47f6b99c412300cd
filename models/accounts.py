"""Accounts that sign in, their API tokens and their notification preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import DeliveryMode, Role

if TYPE_CHECKING:
    from models.directory import Centre, Community


class Account(Model):
    """A person or partner app. STAFF belong to one centre, COORDINATORs to one community."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=160, default="")
    role = fields.CharEnumField(Role, max_length=12)
    locale = fields.CharField(max_length=5, default="id")
    centre: fields.ForeignKeyNullableRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    centre_id: int | None
    community: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="coordinators", null=True, on_delete=fields.RESTRICT
    )
    community_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    tokens: fields.ReverseRelation[ApiToken]

    class Meta:
        table = "account"
        indexes = (("centre_id",), ("community_id",))
        constraints = (
            CheckConstraint(
                check=(
                    "(role = 'STAFF' AND centre_id IS NOT NULL AND community_id IS NULL)"
                    " OR (role = 'COORDINATOR' AND community_id IS NOT NULL AND centre_id IS NULL)"
                    " OR (role IN ('ADMIN', 'PARTNER') AND centre_id IS NULL"
                    " AND community_id IS NULL)"
                ),
                name="account_scope_ck",
            ),
            CheckConstraint(check="locale IN ('id', 'en')", name="account_locale_ck"),
        )


class ApiToken(Model):
    """A bearer token of an account. Only the SHA-256 of the secret is stored."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="tokens", on_delete=fields.CASCADE
    )
    account_id: int
    name = fields.CharField(max_length=120, default="")
    secret_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class NotificationPreference(Model):
    """How one email address wants one kind of event: immediately, in a daily digest, or not.

    Keyed by address so that mentors without an account can unsubscribe too."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254)
    kind = fields.CharField(max_length=40)
    mode = fields.CharEnumField(DeliveryMode, max_length=10)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_preference"
        unique_together = (("email", "kind"),)
