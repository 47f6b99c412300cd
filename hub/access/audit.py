"""The audit log: who changed what in the directory and when, with the values before and after.

Services call `record` inside the transaction of the change, so an entry exists exactly when
its change committed. Admins read the log through `audit_query`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise.queryset import QuerySet

from hub.access.auth import Viewer
from hub.access.roles import require_admin
from hub.core import Invalid, decode_global_id
from models.accounts import Account
from models.audit import AuditEntry


class Entity(StrEnum):
    """What an entry is about; the names of the API's types where there is one."""

    COMMUNITY = "Community"
    MENTOR = "Mentor"
    DEMAND = "Demand"
    ACCOUNT = "Account"
    PARTICIPANT = "Participant"
    WEBHOOK = "Webhook"
    PERSON = "Person"
    """A personal-data request for an address the hub holds nothing about."""


class Action(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DEACTIVATE = "DEACTIVATE"
    SET = "SET"
    PERSONAL_DATA_EXPORT = "PERSONAL_DATA_EXPORT"
    PERSONAL_DATA_ERASE = "PERSONAL_DATA_ERASE"
    ANONYMISE = "ANONYMISE"
    DELETE = "DELETE"
    ROTATE_SECRET = "ROTATE_SECRET"


async def actor_label(viewer: Viewer) -> str:
    """How the log names an account: its email address at the time."""
    if viewer.account_id is None:
        return "anonymous"
    email = await Account.filter(id=viewer.account_id).values_list("email", flat=True)
    return str(email[0]) if email else f"account {viewer.account_id}"


async def record(
    *,
    viewer: Viewer,
    label: str | None,
    action: Action,
    entity: Entity,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Write one entry. Call inside the transaction of the change. `label` names an actor
    that is not an account (`cli import`); None names the viewer's account by its email."""
    return await AuditEntry.create(
        actor_id=viewer.account_id,
        actor_label=label if label is not None else await actor_label(viewer),
        action=action.value,
        entity=entity.value,
        entity_id=entity_id,
        before=before,
        after=after,
    )


def audit_query(
    *,
    viewer: Viewer,
    entity: str | None = None,
    entity_global_id: str | None = None,
    actor_global_id: str | None = None,
    actor_label: str | None = None,
) -> QuerySet[AuditEntry]:
    """The log, newest first, for admins only; optionally about one kind of thing (and one of
    them, by its global id) or by one actor (an account by its global id, or a label such as
    `cli import`)."""
    require_admin(viewer, action="read the audit log")
    query = AuditEntry.all()
    if entity:
        query = query.filter(entity=entity)
    if entity_global_id:
        if not entity:
            raise Invalid("give `entity` with `entityId`", field=["filter", "entity"])
        pk = decode_global_id(entity_global_id, entity, field="filter.entityId")
        query = query.filter(entity_id=pk)
    if actor_global_id:
        pk = decode_global_id(actor_global_id, "Account", field="filter.actorId")
        query = query.filter(actor_id=pk)
    if actor_label:
        query = query.filter(actor_label=actor_label)
    return query.order_by("-id")
