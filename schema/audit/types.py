"""GraphQL type of the audit log."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON

from hub.core import encode_global_id
from models import audit as m
from schema.context import Info

if TYPE_CHECKING:
    from schema.accounts.types import Account

AccountRef = Annotated["Account", strawberry.lazy("schema.accounts.types")]


@strawberry.type(
    description=(
        "One change of the directory or one personal-data request: who, what, when, and the "
        "values before and after."
    )
)
class AuditEntry:
    at: dt.datetime = strawberry.field(description="When (UTC).")
    actor_label: str = strawberry.field(
        description=(
            "Who, as recorded at the time: an account's email address, or `cli import`, "
            "`cli person` for the command line. Kept when the account goes."
        )
    )
    action: str = strawberry.field(
        description=(
            "`CREATE`, `UPDATE`, `DEACTIVATE`, `SET` (demand), `PERSONAL_DATA_EXPORT` or "
            "`PERSONAL_DATA_ERASE`."
        )
    )
    entity: str = strawberry.field(
        description="What kind of thing: `Community`, `Mentor`, `Demand`, `Account` or `Person`."
    )
    before: JSON | None = strawberry.field(description="Values before the change; null if new.")
    after: JSON | None = strawberry.field(description="Values after the change.")
    row: strawberry.Private[m.AuditEntry]

    @classmethod
    def from_model(cls, entry: m.AuditEntry) -> AuditEntry:
        return cls(
            at=entry.at,
            actor_label=entry.actor_label,
            action=entry.action,
            entity=entry.entity,
            before=cast(JSON, entry.before),
            after=cast(JSON, entry.after),
            row=entry,
        )

    @strawberry.field(
        description="The global id of the thing changed (for `Community`, `Mentor`, `Account`, "
        "the id of that node)."
    )
    def entity_id(self) -> strawberry.ID | None:
        if self.row.entity_id is None:
            return None
        return strawberry.ID(encode_global_id(self.row.entity, self.row.entity_id))

    @strawberry.field(description="The account that acted; null for the command line.")
    async def actor(self, info: Info) -> AccountRef | None:
        from schema.accounts.types import load_account

        return await load_account(info, self.row.actor_id)
