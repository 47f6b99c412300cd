"""Mutations of notification preferences."""

from __future__ import annotations

import strawberry

from hub.core import HubError
from hub.notify import NotificationKind, update_viewer_preferences
from models.enums import DeliveryMode
from schema.common import UserError, user_errors
from schema.context import Info
from schema.notifications.types import NotificationPreference, preference_list


@strawberry.input(description="How to deliver one kind of email.")
class NotificationPreferenceInput:
    kind: NotificationKind = strawberry.field(description="The kind of email.")
    mode: DeliveryMode = strawberry.field(description="IMMEDIATE, DIGEST or OFF.")


@strawberry.input(description="Preferences to change; kinds not listed stay as they are.")
class UpdateNotificationPreferencesInput:
    preferences: list[NotificationPreferenceInput] = strawberry.field(
        description="One entry per kind to change."
    )


@strawberry.type(description="The result of `updateNotificationPreferences`.")
class NotificationPreferencesPayload:
    preferences: list[NotificationPreference] | None = strawberry.field(
        description="Every kind with its mode, as it is now."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        description=(
            "Choose, per kind of email, immediate delivery, a daily digest or none, for the "
            "signed-in account's address."
        )
    )
    async def update_notification_preferences(
        self, info: Info, input: UpdateNotificationPreferencesInput
    ) -> NotificationPreferencesPayload:
        try:
            modes = await update_viewer_preferences(
                viewer=info.context.viewer,
                changes=[(p.kind, p.mode) for p in input.preferences],
            )
        except HubError as error:
            return NotificationPreferencesPayload(preferences=None, errors=user_errors(error))
        return NotificationPreferencesPayload(preferences=preference_list(modes), errors=[])
