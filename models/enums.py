"""Enumerations stored in the database; the GraphQL enums of the same names mirror them."""

from __future__ import annotations

from enum import StrEnum


class RegionLevel(StrEnum):
    PROVINCE = "PROVINCE"
    KOTA = "KOTA"
    KECAMATAN = "KECAMATAN"
    KELURAHAN = "KELURAHAN"


class CommunityKind(StrEnum):
    SECTOR = "SECTOR"
    ORGANISATION = "ORGANISATION"
    REGION = "REGION"


class Role(StrEnum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"
    COORDINATOR = "COORDINATOR"
    PARTNER = "PARTNER"


class PlanStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACTIVE = "ACTIVE"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"


class PartyStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class TrainingStatus(StrEnum):
    PLANNED = "PLANNED"
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
    DONE = "DONE"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    MERGED = "MERGED"
    SKIPPED = "SKIPPED"


class DeliveryMode(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    DIGEST = "DIGEST"
    OFF = "OFF"


OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.ACTIVE)
"""Plans that hold their mentors' capacity and time."""


class RegistrationStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    WAITLISTED = "WAITLISTED"
    CANCELLED = "CANCELLED"


class ConsentChannel(StrEnum):
    APP = "APP"
    WEB = "WEB"
    PAPER = "PAPER"
    PHONE = "PHONE"
    IN_PERSON = "IN_PERSON"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"
