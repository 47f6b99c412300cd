"""Queries of the signed-in account."""

from __future__ import annotations

import strawberry

from schema.accounts.types import Account, load_account
from schema.context import Info


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in account; null for anonymous clients.")
    async def viewer(self, info: Info) -> Account | None:
        return await load_account(info, info.context.viewer.account_id)
