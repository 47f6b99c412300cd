"""Emails to participants about their registrations, through the outbox."""

from __future__ import annotations

from enum import StrEnum

from models.participation import Participant, Registration
from models.plans import Training


class Kind(StrEnum):
    CONFIRMED = "REGISTRATION_CONFIRMED"
    WAITLISTED = "REGISTRATION_WAITLISTED"
    PROMOTED = "REGISTRATION_PROMOTED"
    CANCELLED = "REGISTRATION_CANCELLED"
    CHANGED = "REGISTRATION_CHANGED"
    REMINDER = "REGISTRATION_REMINDER"


async def registration_mail(
    registration: Registration, participant: Participant | None, training: Training, kind: Kind
) -> None:
    """Queue the email of `kind` for the registration's participant, if they have an address."""
    return None
