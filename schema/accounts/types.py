"""GraphQL types of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from hub.access import account_contact_visible, visible_account_ids
from hub.core import Forbidden
from models import accounts as m
from schema.common import load_nodes
from schema.context import Info
from schema.enums import Role
from schema.integration.feeds import CALENDAR_FEED_URL, calendar_feed_url

if TYPE_CHECKING:
    from schema.directory.types import Centre, Community

CentreRef = Annotated["Centre", strawberry.lazy("schema.directory.types")]
CommunityRef = Annotated["Community", strawberry.lazy("schema.directory.types")]


@strawberry.type(
    description="A person or partner app that signs in with a token: staff, coordinator, admin."
)
class Account(relay.Node):
    pk: relay.NodeID[int]
    name: str | None = strawberry.field(description="Display name.")
    role: Role = strawberry.field(description="What the account may do.")
    locale: str = strawberry.field(description="Language of its emails: `id` or `en`.")
    row: strawberry.Private[m.Account]

    @classmethod
    def from_model(cls, account: m.Account) -> Account:
        return cls(
            pk=account.id,
            name=account.name,
            role=account.role,
            locale=account.locale,
            row=account,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Account | None]:
        """Accounts the viewer may see (DESIGN section 6); null for the others."""
        accounts = await load_nodes(info.context.loaders.account_by_id, node_ids, cls.from_model)
        visible = await visible_account_ids(info.context.viewer, [a.pk for a in accounts if a])
        return [a if a and a.pk in visible else None for a in accounts]

    @strawberry.field(
        description=(
            "Personal data. Visible to admins, to the account itself and to staff or "
            "coordinators of the same centre or community; elsewhere null with FORBIDDEN."
        )
    )
    def email(self, info: Info) -> str | None:
        if not account_contact_visible(
            info.context.viewer,
            account_id=self.pk,
            centre_id=self.row.centre_id,
            community_id=self.row.community_id,
        ):
            raise Forbidden(f"the email address of {self.name or 'this account'} is personal data")
        return self.row.email

    @strawberry.field(description=CALENDAR_FEED_URL)
    async def calendar_feed_url(self, info: Info) -> str | None:
        return await calendar_feed_url(info, self.pk)

    @strawberry.field(description="The centre of a STAFF account.")
    async def centre(self, info: Info) -> CentreRef | None:
        from schema.directory.types import Centre

        if self.row.centre_id is None:
            return None
        row = await info.context.loaders.centre_by_id.load(self.row.centre_id)
        return Centre.from_model(row) if row else None

    @strawberry.field(description="The community of a COORDINATOR account.")
    async def community(self, info: Info) -> CommunityRef | None:
        from schema.directory.types import Community

        if self.row.community_id is None:
            return None
        row = await info.context.loaders.community_by_id.load(self.row.community_id)
        return Community.from_model(row) if row else None


async def load_account(info: Info, account_id: int | None) -> Account | None:
    if account_id is None:
        return None
    row = await info.context.loaders.account_by_id.load(account_id)
    return Account.from_model(row) if row else None
