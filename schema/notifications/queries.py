"""Queries of notifications and the signed-in account's preferences."""

from __future__ import annotations

import strawberry

from hub.notify import NotificationKind, notification_query, viewer_preferences
from models.enums import NotificationStatus
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info
from schema.notifications.types import (
    Notification,
    NotificationPreference,
    preference_list,
)


@strawberry.input(description="Which notifications to list.")
class NotificationFilter:
    status: NotificationStatus | None = strawberry.field(
        default=None, description="Only with this status, e.g. FAILED."
    )
    kind: NotificationKind | None = strawberry.field(default=None, description="Only of this kind.")


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        description=(
            "Every email of the outbox, newest first, with its delivery status. Admins only "
            "(FORBIDDEN for others); a plan's parties see its emails on `Plan.notifications`."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def notifications(
        self,
        info: Info,
        filter: NotificationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        f = filter or NotificationFilter()
        query = notification_query(viewer=info.context.viewer, status=f.status, kind=f.kind)
        return await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [Notification.from_model(r) for r in rows],
            count=wants_total_count(info),
        )

    @strawberry.field(
        description=(
            "How the signed-in account wants each kind of email (IMMEDIATE unless chosen "
            "otherwise). FORBIDDEN for anonymous clients."
        )
    )
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        return preference_list(await viewer_preferences(viewer=info.context.viewer))
