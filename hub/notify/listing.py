"""What staff may list of the outbox."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from hub.access import Viewer
from hub.core import Forbidden
from hub.notify.events import NotificationKind
from models.enums import NotificationStatus
from models.notifications import Notification


def notification_query(
    *,
    viewer: Viewer,
    status: NotificationStatus | None = None,
    kind: NotificationKind | None = None,
) -> QuerySet[Notification]:
    """Every notification, newest first, for ADMIN only (a plan's own list is on the plan)."""
    if not viewer.is_admin:
        raise Forbidden("only admins list all notifications; a plan's are on the plan")
    query = Notification.all()
    if status is not None:
        query = query.filter(status=status)
    if kind is not None:
        query = query.filter(kind=kind.value)
    return query.order_by("-id")
