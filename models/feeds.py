"""The private calendar feed of an account: the generation its URL is signed with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class CalendarFeed(Model):
    """The private calendar feed of an account. Its URL carries an HMAC of the account and this
    generation under the hub's secret key, so nothing secret is stored; rotating raises the
    generation and every older URL stops working. No row: generation 0."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="calendar_feed", on_delete=fields.CASCADE
    )
    account_id: int
    generation = fields.IntField(default=0)
    rotated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calendar_feed"
