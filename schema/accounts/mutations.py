"""Mutations of the signed-in account."""

from __future__ import annotations

import strawberry

from hub.access import update_viewer
from hub.core import HubError
from schema.accounts.types import Account
from schema.common import UserError, user_errors
from schema.context import Info


@strawberry.input(description="Changes to the signed-in account.")
class UpdateViewerInput:
    name: str | None = strawberry.field(default=None, description="New display name.")
    locale: str | None = strawberry.field(
        default=None, description="Language of emails: `id` (Indonesian) or `en` (English)."
    )


@strawberry.type(description="The result of `updateViewer`.")
class AccountPayload:
    account: Account | None = strawberry.field(description="The account as it is now.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Change the signed-in account's name or language.")
    async def update_viewer(self, info: Info, input: UpdateViewerInput) -> AccountPayload:
        try:
            row = await update_viewer(
                viewer=info.context.viewer, name=input.name, locale=input.locale
            )
        except HubError as error:
            return AccountPayload(account=None, errors=user_errors(error))
        return AccountPayload(account=Account.from_model(row), errors=[])
