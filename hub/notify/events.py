"""The kinds of event the hub emails about, and the names and times they are sent under."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from hub.core import Settings

JAKARTA = ZoneInfo("Asia/Jakarta")
DIGEST_TIME = time(7, 0)
"""Daily digests are due at this local time in Jakarta."""
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class NotificationKind(StrEnum):
    """What happened to a plan or its trainings; one kind per email, and per preference."""

    PLAN_PROPOSED = "PLAN_PROPOSED"
    PLAN_ANSWERED = "PLAN_ANSWERED"
    PLAN_REVISED = "PLAN_REVISED"
    PLAN_ACTIVATED = "PLAN_ACTIVATED"
    PLAN_DECLINED = "PLAN_DECLINED"
    PLAN_CANCELLED = "PLAN_CANCELLED"
    PLAN_COMPLETED = "PLAN_COMPLETED"
    TRAINING_SCHEDULED = "TRAINING_SCHEDULED"
    TRAINING_CHANGED = "TRAINING_CHANGED"
    TRAINING_CANCELLED = "TRAINING_CANCELLED"
    PARTICIPANT_CONFIRMED = "PARTICIPANT_CONFIRMED"
    PARTICIPANT_WAITLISTED = "PARTICIPANT_WAITLISTED"
    PARTICIPANT_PROMOTED = "PARTICIPANT_PROMOTED"
    PARTICIPANT_REMINDER = "PARTICIPANT_REMINDER"
    PARTICIPANT_CHANGED = "PARTICIPANT_CHANGED"
    PARTICIPANT_CANCELLED = "PARTICIPANT_CANCELLED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


PARTICIPANT_KINDS = frozenset(k for k in NotificationKind if k.value.startswith("PARTICIPANT_"))
"""Emails to residents about their registrations (always Indonesian, never in a digest)."""


COALESCED_KINDS = frozenset({NotificationKind.PLAN_REVISED, NotificationKind.TRAINING_CHANGED})
"""Kinds that wait for the coalescing window so that rapid edits make one email."""

CALENDAR_METHODS = {
    NotificationKind.TRAINING_SCHEDULED: "REQUEST",
    NotificationKind.TRAINING_CHANGED: "REQUEST",
    NotificationKind.TRAINING_CANCELLED: "CANCEL",
}
"""The iCalendar METHOD of the invite that emails of these kinds carry."""


def base_url(settings: Settings) -> str:
    return (settings.base_url or DEFAULT_BASE_URL).rstrip("/")


def mail_host(settings: Settings) -> str:
    """The host part of Message-IDs and calendar UIDs: the host of `HUB_BASE_URL`."""
    return urlsplit(base_url(settings)).hostname or "localhost"


def new_message_id(host: str) -> str:
    return f"<notification.{uuid.uuid4().hex}@{host}>"


def training_uid(training_id: int, host: str) -> str:
    """The calendar UID of a training: the same in every invite about it."""
    return f"training-{training_id}@{host}"


def next_digest_at(now: datetime) -> datetime:
    """The next daily digest time (07:00 in Jakarta) strictly after `now`, in UTC."""
    local = now.astimezone(JAKARTA)
    due = datetime.combine(local.date(), DIGEST_TIME, tzinfo=JAKARTA)
    if due <= local:
        due += timedelta(days=1)
    return due.astimezone(UTC)
