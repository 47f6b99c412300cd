"""DataLoaders of notifications."""

from __future__ import annotations

from models.notifications import Notification
from schema.loading import ModelsByKeyLoader


class NotificationsByPlanIdLoader(ModelsByKeyLoader[Notification]):
    """A plan's emails, newest first."""

    model = Notification
    key = "plan_id"
    ordering = ("-id",)
