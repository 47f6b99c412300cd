"""Residents in the loop: participants and their consent, registration for trainings with a
waitlist, attendance, interest, and the privacy duties that come with personal data."""

from hub.participation.export import registrations_csv
from hub.participation.interest import express_interest
from hub.participation.participants import (
    ConsentSpec,
    ParticipantSpec,
    visible_participant_ids,
)
from hub.participation.queries import (
    registration_counts,
    registration_query,
    visible_registrations,
)
from hub.participation.registrations import (
    Registered,
    cancel_registration,
    record_attendance,
    register_for_training,
)
from hub.participation.retention import Purged, purge, purge_daily

__all__ = [
    "ConsentSpec",
    "ParticipantSpec",
    "Purged",
    "Registered",
    "cancel_registration",
    "express_interest",
    "purge",
    "purge_daily",
    "record_attendance",
    "register_for_training",
    "registration_counts",
    "registration_query",
    "registrations_csv",
    "visible_participant_ids",
    "visible_registrations",
]
