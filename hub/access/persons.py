"""Personal-data rights (UU PDP 27/2022): what the hub holds about a person, and erasing it.

A person is found by email address: as a mentor, as an account, as a participant (a resident
registered for trainings), as the recipient of notifications and as the owner of notification
preferences. `export_person` gathers all of it;
`erase_person` removes the contact data and replaces the name with a pseudonym, keeping every
row (plans, allocations, trainings and history stay consistent). Both are recorded in the audit
log, which itself keeps no personal values of an erased person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import Q

from hub.access import audit
from hub.access.auth import Viewer
from hub.core import Invalid, dataversion, write_transaction
from models.accounts import Account, ApiToken, NotificationPreference
from models.audit import AuditEntry
from models.directory import Centre, Community, Mentor, MentorSkill
from models.enums import NotificationStatus, Role
from models.notifications import Notification, NotificationMessage
from models.participation import Interest, Participant, Registration
from models.plans import Allocation, Plan, PlanEvent, PlanParty, TrainingMentor

CLI_PERSON = "cli person"
"""How the audit log names the command line's personal-data requests."""

COMMAND_LINE = Viewer(role=Role.ADMIN)


def erased_account_email(account_id: int) -> str:
    """Accounts keep a unique `email`; an erased one gets this stand-in, which is no address
    (no @), so nothing is ever sent to it and nobody can sign up under it."""
    return f"dihapus-akun-{account_id}"


UNSENT = (NotificationStatus.PENDING, NotificationStatus.SENDING)


def mentor_pseudonym(mentor_id: int) -> str:
    return f"Mentor #{mentor_id} (dihapus)"


def account_pseudonym(account_id: int) -> str:
    return f"Akun #{account_id} (dihapus)"


def _address(email: str) -> str:
    address = email.strip().lower()
    if "@" not in address:
        raise Invalid(f"{email!r} is not an email address", field=["email"])
    return address


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


async def _home(
    centre_id: int | None, community_id: int | None
) -> tuple[Centre | None, Community | None]:
    centre = await Centre.get(id=centre_id).select_related("kecamatan") if centre_id else None
    community = await Community.get(id=community_id) if community_id else None
    return centre, community


async def _mentor_data(mentor: Mentor) -> dict[str, Any]:
    skills = await MentorSkill.filter(mentor_id=mentor.id).values_list("sector__code", "capacity")
    allocations = await Allocation.filter(mentor_id=mentor.id).values_list(
        "plan__title", "plan__status", "sector__code", "mentees"
    )
    trainings = await TrainingMentor.filter(mentor_id=mentor.id).values_list(
        "training__title", "training__plan__title", "training__starts_at", "training__status"
    )
    centre, community = await _home(mentor.centre_id, mentor.community_id)
    return {
        "id": mentor.id,
        "name": mentor.name,
        "email": mentor.email,
        "phone": mentor.phone,
        "active": mentor.active,
        "centre": {"kecamatanCode": centre.kecamatan.code, "name": centre.name} if centre else None,
        "community": community.name if community else None,
        "skills": [{"sector": s, "capacity": c} for s, c in skills],
        "allocations": [
            {"plan": p, "planStatus": str(st), "sector": s, "mentees": n}
            for p, st, s, n in allocations
        ],
        "trainings": [
            {"title": t, "plan": p, "startsAt": _when(at), "status": str(st)}
            for t, p, at, st in trainings
        ],
        "createdAt": _when(mentor.created_at),
        "updatedAt": _when(mentor.updated_at),
    }


async def _account_data(account: Account) -> dict[str, Any]:
    tokens = await ApiToken.filter(account_id=account.id).order_by("id")
    responses = await PlanParty.filter(responded_by_id=account.id).values_list(
        "plan__title", "status", "responded_at", "note"
    )
    events = await PlanEvent.filter(actor_id=account.id).values_list(
        "plan__title", "kind", "at", "details"
    )
    changes = await AuditEntry.filter(actor_id=account.id).values_list(
        "at", "action", "entity", "entity_id"
    )
    centre, community = await _home(account.centre_id, account.community_id)
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "role": account.role.value,
        "locale": account.locale,
        "centre": {"kecamatanCode": centre.kecamatan.code, "name": centre.name} if centre else None,
        "community": community.name if community else None,
        "createdAt": _when(account.created_at),
        "tokens": [
            {
                "id": t.id,
                "name": t.name,
                "createdAt": _when(t.created_at),
                "expiresAt": _when(t.expires_at),
                "lastUsedAt": _when(t.last_used_at),
                "revokedAt": _when(t.revoked_at),
            }
            for t in tokens
        ],
        "plansProposed": sorted(
            str(t)
            for t in await Plan.filter(proposed_by_id=account.id).values_list("title", flat=True)
        ),
        "planAnswers": [
            {"plan": p, "status": str(s), "at": _when(at), "note": n} for p, s, at, n in responses
        ],
        "planEvents": [
            {"plan": p, "kind": k, "at": _when(at), "details": d} for p, k, at, d in events
        ],
        "directoryChanges": [
            {"at": _when(at), "action": a, "entity": e, "entityId": i} for at, a, e, i in changes
        ],
    }


def _notifications_of(address: str, mentor_ids: list[int], account_ids: list[int]) -> Q:
    condition = Q(recipient_email__iexact=address)
    if mentor_ids:
        condition |= Q(mentor_id__in=mentor_ids)
    if account_ids:
        condition |= Q(account_id__in=account_ids)
    return condition


async def export_person(*, email: str, actor_label: str = CLI_PERSON) -> dict[str, Any]:
    """Every piece of personal data held about the owner of `email`, as JSON-ready values."""
    address = _address(email)
    mentors = await Mentor.filter(email__iexact=address).order_by("id")
    accounts = await Account.filter(email__iexact=address).order_by("id")
    notifications = await Notification.filter(
        _notifications_of(address, [m.id for m in mentors], [a.id for a in accounts])
    ).order_by("id")
    preferences = await NotificationPreference.filter(email__iexact=address).order_by("kind")
    participants = await Participant.filter(email__iexact=address).order_by("id")
    data = {
        "email": address,
        "exportedAt": _when(dt.datetime.now(dt.UTC)),
        "mentors": [await _mentor_data(m) for m in mentors],
        "accounts": [await _account_data(a) for a in accounts],
        "notifications": [
            {
                "id": n.id,
                "kind": n.kind,
                "recipientEmail": n.recipient_email,
                "recipientName": n.recipient_name,
                "locale": n.locale,
                "status": n.status.value,
                "createdAt": _when(n.created_at),
                "sentAt": _when(n.sent_at),
                "lastError": n.last_error,
                "context": n.context,
            }
            for n in notifications
        ],
        "notificationPreferences": [
            {"kind": p.kind, "mode": p.mode.value, "updatedAt": _when(p.updated_at)}
            for p in preferences
        ],
        "participants": [await _participant_data(p) for p in participants],
    }
    async with write_transaction():
        await _record(audit.Action.PERSONAL_DATA_EXPORT, mentors, accounts, actor_label, {})
        await _record_participants(audit.Action.PERSONAL_DATA_EXPORT, participants, actor_label)
        await dataversion.bump()
    return data


async def _record(
    action: audit.Action,
    mentors: list[Mentor],
    accounts: list[Account],
    actor_label: str,
    details: dict[int, dict[str, Any]],
) -> None:
    """One entry per mentor and account concerned (none found: one about a `Person`). No
    personal values: the entry must survive the erasure it records."""
    subjects: list[tuple[audit.Entity, int | None]] = [(audit.Entity.MENTOR, m.id) for m in mentors]
    subjects += [(audit.Entity.ACCOUNT, a.id) for a in accounts]
    if not subjects:
        subjects = [(audit.Entity.PERSON, None)]
    for entity, entity_id in subjects:
        await audit.record(
            viewer=COMMAND_LINE,
            label=actor_label,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=None,
            after=details.get(entity_id or 0, {"found": entity is not audit.Entity.PERSON}),
        )


MIN_NAME_LENGTH = 4
"""Shorter names are not replaced inside free text: they could be parts of other words."""


def _secrets(address: str, mentors: list[Mentor], accounts: list[Account]) -> dict[str, str]:
    """The person's texts (addresses, numbers, names) and what replaces each."""
    secrets = {address: "(dihapus)"}
    for mentor in mentors:
        secrets.update({t: "(dihapus)" for t in [mentor.email, mentor.phone] if t})
        if len(mentor.name) >= MIN_NAME_LENGTH:
            secrets[mentor.name] = mentor_pseudonym(mentor.id)
    for account in accounts:
        secrets[account.email] = "(dihapus)"
        if len(account.name) >= MIN_NAME_LENGTH:  # a mentor's pseudonym comes first
            secrets.setdefault(account.name, account_pseudonym(account.id))
    return secrets


def _erase_values(values: dict[str, Any] | None, pseudonym: str) -> dict[str, Any] | None:
    """An audit snapshot of the erased person: name replaced, contact data removed."""
    if values is None:
        return None
    erased = {k: None if k in {"email", "phone"} else v for k, v in values.items()}
    if "name" in erased:
        erased["name"] = pseudonym
    return erased


def scrub(value: Any, secrets: dict[str, str]) -> Any:
    """`value` (JSON) with every occurrence of each secret text replaced by its stand-in."""
    if isinstance(value, str):
        for secret, stand_in in secrets.items():
            if secret:
                value = value.replace(secret, stand_in)
        return value
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    return value


async def erase_person(*, email: str, actor_label: str = CLI_PERSON) -> dict[str, Any]:
    """Remove the contact data of the owner of `email` and replace their name with a pseudonym,
    everywhere the hub keeps it; plans and history keep their rows. Returns what was done."""
    address = _address(email)
    async with write_transaction():
        mentors = (
            await Mentor.filter(email__iexact=address).select_for_update(no_key=True).order_by("id")
        )
        accounts = (
            await Account.filter(email__iexact=address)
            .select_for_update(no_key=True)
            .order_by("id")
        )
        secrets = _secrets(address, mentors, accounts)
        mentor_ids = [m.id for m in mentors]
        account_ids = [a.id for a in accounts]

        for mentor in mentors:
            mentor.name = mentor_pseudonym(mentor.id)
            mentor.email = None
            mentor.phone = None
            await mentor.save(update_fields=["name", "email", "phone", "updated_at"])
        now = dt.datetime.now(dt.UTC)
        for account in accounts:
            account.name = account_pseudonym(account.id)
            account.email = erased_account_email(account.id)
            await account.save(update_fields=["name", "email"])
            await ApiToken.filter(account_id=account.id, revoked_at__isnull=True).update(
                revoked_at=now
            )
            await ApiToken.filter(account_id=account.id).update(name="")

        notifications = await Notification.filter(
            _notifications_of(address, mentor_ids, account_ids)
        )
        for n in notifications:
            n.recipient_email = ""
            n.recipient_name = scrub(n.recipient_name, secrets)
            n.context = scrub(n.context, secrets)
            n.last_error = scrub(n.last_error, secrets)
            if n.status in UNSENT:
                n.status = NotificationStatus.SKIPPED
            await n.save()
        # Their finished emails: delivered ones are not needed again, unsent ones never go.
        await NotificationMessage.filter(
            message_id__in=[n.message_id for n in notifications]
        ).delete()
        preferences = await NotificationPreference.filter(email__iexact=address).delete()
        await _scrub_history(secrets, mentor_ids, account_ids, address)
        participant_ids = await anonymise_participants(
            Participant.filter(email__iexact=address, anonymised_at__isnull=True),
            action=audit.Action.PERSONAL_DATA_ERASE,
            actor_label=actor_label,
        )

        await _record(
            audit.Action.PERSONAL_DATA_ERASE,
            mentors,
            accounts,
            actor_label,
            {
                **{m.id: {"name": m.name, "erased": ["name", "email", "phone"]} for m in mentors},
                **{a.id: {"name": a.name, "erased": ["name", "email"]} for a in accounts},
            },
        )
        await dataversion.bump()
    return {
        "email": address,
        "mentors": mentor_ids,
        "accounts": account_ids,
        "notifications": len(notifications),
        "notificationPreferences": preferences,
        "participants": participant_ids,
    }


async def _scrub_history(
    secrets: dict[str, str], mentor_ids: list[int], account_ids: list[int], address: str
) -> None:
    """Names and addresses in the audit log, and in the free text and the notifications (to
    anyone) of the plans the person worked in or acted on."""
    about = Q(entity=audit.Entity.MENTOR.value, entity_id__in=mentor_ids or [0]) | Q(
        entity=audit.Entity.ACCOUNT.value, entity_id__in=account_ids or [0]
    )
    by = Q(actor_label__iexact=address)
    if account_ids:
        by |= Q(actor_id__in=account_ids)
    for entry in await AuditEntry.filter(about | by):
        if entry.entity_id is not None and (
            (entry.entity == audit.Entity.MENTOR.value and entry.entity_id in mentor_ids)
            or (entry.entity == audit.Entity.ACCOUNT.value and entry.entity_id in account_ids)
        ):
            pseudonym = (
                mentor_pseudonym(entry.entity_id)
                if entry.entity == audit.Entity.MENTOR.value
                else account_pseudonym(entry.entity_id)
            )
            entry.before = _erase_values(entry.before, pseudonym)
            entry.after = _erase_values(entry.after, pseudonym)
        entry.before = scrub(entry.before, secrets)
        entry.after = scrub(entry.after, secrets)
        entry.actor_label = scrub(entry.actor_label, secrets)
        await entry.save(update_fields=["before", "after", "actor_label"])

    plan_ids = set(
        await Allocation.filter(mentor_id__in=mentor_ids or [0]).values_list("plan_id", flat=True)
    )
    plan_ids |= set(
        await TrainingMentor.filter(mentor_id__in=mentor_ids or [0]).values_list(
            "training__plan_id", flat=True
        )
    )
    plan_ids |= set(
        await PlanEvent.filter(actor_id__in=account_ids or [0]).values_list("plan_id", flat=True)
    )
    plan_ids |= set(
        await PlanParty.filter(responded_by_id__in=account_ids or [0]).values_list(
            "plan_id", flat=True
        )
    )
    plan_ids |= set(
        await Plan.filter(proposed_by_id__in=account_ids or [0]).values_list("id", flat=True)
    )
    related = await Notification.filter(plan_id__in=list(plan_ids))
    for n in related:
        cleaned = scrub([n.recipient_name, n.context, n.last_error], secrets)
        if cleaned != [n.recipient_name, n.context, n.last_error]:
            n.recipient_name, n.context, n.last_error = cleaned
            await n.save(update_fields=["recipient_name", "context", "last_error"])
    for message in await NotificationMessage.filter(message_id__in=[n.message_id for n in related]):
        cleaned = scrub(message.body, secrets)
        if cleaned != message.body:
            await NotificationMessage.filter(id=message.id).update(body=cleaned)
    for event in await PlanEvent.filter(plan_id__in=list(plan_ids), details__isnull=False):
        cleaned = scrub(event.details, secrets)
        if cleaned != event.details:
            await PlanEvent.filter(id=event.id).update(details=cleaned)
    for party in await PlanParty.filter(plan_id__in=list(plan_ids), note__isnull=False):
        cleaned = scrub(party.note, secrets)
        if cleaned != party.note:
            await PlanParty.filter(id=party.id).update(note=cleaned)


async def _participant_data(participant: Participant) -> dict[str, Any]:
    registrations = (
        await Registration.filter(participant_id=participant.id)
        .select_related("training")
        .order_by("id")
    )
    interests = (
        await Interest.filter(participant_id=participant.id)
        .select_related("centre", "sector")
        .order_by("id")
    )
    place = await participant.kecamatan
    sector = await participant.sector
    return {
        "id": participant.id,
        "name": participant.name,
        "phone": participant.phone,
        "email": participant.email,
        "kecamatan": place.code,
        "sector": sector.code,
        "consent": {
            "purpose": participant.consent_purpose,
            "textVersion": participant.consent_text_version,
            "channel": participant.consent_channel.value,
            "at": _when(participant.consent_at),
        },
        "createdAt": _when(participant.created_at),
        "anonymisedAt": _when(participant.anonymised_at),
        "registrations": [
            {
                "training": r.training.title,
                "startsAt": _when(r.training.starts_at),
                "status": r.status.value,
                "position": r.position,
                "attended": r.attended,
                "createdAt": _when(r.created_at),
                "cancelledAt": _when(r.cancelled_at),
            }
            for r in registrations
        ],
        "interests": [
            {"centre": i.centre.name, "sector": i.sector.code, "createdAt": _when(i.created_at)}
            for i in interests
        ],
    }


async def _record_participants(
    action: audit.Action, participants: list[Participant], actor_label: str
) -> None:
    for participant in participants:
        await audit.record(
            viewer=COMMAND_LINE,
            label=actor_label,
            action=action,
            entity=audit.Entity.PARTICIPANT,
            entity_id=participant.id,
            before=None,
            after={"found": True},
        )


def participant_pseudonym(participant_id: int) -> str:
    return f"Peserta #{participant_id} (dihapus)"


async def anonymise_participants(
    query: Any, *, action: audit.Action, actor_label: str
) -> list[int]:
    """Empty the name and contact data of the participants `query` selects (inside a write
    transaction). Their registrations and interests stay as anonymous counts; their emails
    not yet sent are skipped, and their names and numbers leave the audit log and the outbox.
    Each is recorded in the audit log without personal values. Returns their ids."""
    participants = await query.select_for_update(no_key=True).order_by("id")
    if not participants:
        return []
    ids = [p.id for p in participants]
    secrets: dict[str, str] = {}
    addresses = []
    for p in participants:
        secrets.update({t: "(dihapus)" for t in [p.email, p.phone] if t})
        if p.name and len(p.name) >= MIN_NAME_LENGTH:
            secrets[p.name] = participant_pseudonym(p.id)
        if p.email:
            addresses.append(p.email)
    now = dt.datetime.now(dt.UTC)
    await Participant.filter(id__in=ids).update(
        name=None, phone=None, email=None, anonymised_at=now
    )
    await Registration.filter(participant_id__in=ids).update(idempotency_key=None)
    if addresses:
        notifications = await Notification.filter(recipient_email__in=addresses)
        for n in notifications:
            n.recipient_email = ""
            n.recipient_name = scrub(n.recipient_name, secrets)
            n.context = scrub(n.context, secrets)
            if n.status in UNSENT:
                n.status = NotificationStatus.SKIPPED
            await n.save()
        await NotificationMessage.filter(
            message_id__in=[n.message_id for n in notifications]
        ).delete()
        await NotificationPreference.filter(email__in=addresses).delete()
    for entry in await AuditEntry.filter(entity=audit.Entity.PARTICIPANT.value, entity_id__in=ids):
        entry.before = _erase_values(entry.before, participant_pseudonym(entry.entity_id or 0))
        entry.after = _erase_values(entry.after, participant_pseudonym(entry.entity_id or 0))
        entry.before = scrub(entry.before, secrets)
        entry.after = scrub(entry.after, secrets)
        await entry.save(update_fields=["before", "after"])
    await AuditEntry.bulk_create(
        [
            AuditEntry(
                actor_id=None,
                actor_label=actor_label,
                action=action.value,
                entity=audit.Entity.PARTICIPANT.value,
                entity_id=pid,
                before=None,
                after={"erased": ["name", "phone", "email"]},
            )
            for pid in ids
        ]
    )
    return ids
