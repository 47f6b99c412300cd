"""Who asks and what they may see: accounts, tokens, roles, privacy, audit, personal data."""

from hub.access.audit import audit_query
from hub.access.auth import (
    ANONYMOUS,
    Viewer,
    authenticate,
    create_token,
    revoke_token,
    update_viewer,
)
from hub.access.persons import erase_person, export_person
from hub.access.roles import require_admin, require_home
from hub.access.visibility import (
    PUBLIC_TRAINING_PLAN_STATUSES,
    account_contact_visible,
    can_see_plan,
    mentor_contact_visible,
    mentors_in_open_plans_of,
    redact_addresses,
    visible_account_ids,
    visible_plans,
    visible_trainings,
)

__all__ = [
    "ANONYMOUS",
    "PUBLIC_TRAINING_PLAN_STATUSES",
    "Viewer",
    "account_contact_visible",
    "audit_query",
    "authenticate",
    "can_see_plan",
    "create_token",
    "erase_person",
    "export_person",
    "mentor_contact_visible",
    "mentors_in_open_plans_of",
    "redact_addresses",
    "require_admin",
    "require_home",
    "revoke_token",
    "update_viewer",
    "visible_account_ids",
    "visible_plans",
    "visible_trainings",
]
