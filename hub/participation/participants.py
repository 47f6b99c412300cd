"""Participants: residents with their contact data and consent, and who may see them.

A participant is personal data throughout (UU PDP 27/2022). Name, phone and email are shown
to ADMIN, to the staff of the centres hosting and the coordinators of the communities
organising the trainings the person is registered for, and to the account that registered or
created the person (DESIGN section 11)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from hub.access import Viewer, audit
from hub.core import Invalid, NotFound
from hub.core.validation import Problems, clean_email, clean_name, clean_phone
from models.directory import Sector
from models.enums import ConsentChannel, RegionLevel
from models.participation import Participant
from models.plans import TrainingOrganiser
from models.regions import Region

CONSENT_TEXT_MAX = 300
CONSENT_VERSION_MAX = 40


@dataclass(frozen=True)
class ParticipantSpec:
    """`ParticipantInput` as given."""

    name: str
    kecamatan_code: str
    sector_code: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ConsentSpec:
    """`ConsentInput` as given: what the person agreed to, in which text, by which channel."""

    purpose: str
    text_version: str
    channel: ConsentChannel


@dataclass(frozen=True)
class CleanParticipant:
    name: str
    phone: str | None
    email: str | None
    kecamatan_id: int
    sector_id: int


def _single_line(value: str, *, field: list[str], problems: Problems, limit: int) -> str:
    text = value.strip()
    if not text:
        problems.add("must not be empty", field)
    elif len(text) > limit:
        problems.add(f"at most {limit} characters", field)
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        problems.add("must be one line without control characters", field)
    return text


async def clean_participant(
    spec: ParticipantSpec, *, path: str = "participant"
) -> CleanParticipant:
    """The checked participant; INVALID naming every field at fault."""
    problems = Problems()
    name = clean_name(spec.name, field=[path, "name"], problems=problems)
    if any(ord(c) < 32 or ord(c) == 127 for c in spec.name.strip()):
        problems.add("the name must be one line without control characters", [path, "name"])
    phone = clean_phone(spec.phone, field=[path, "phone"], problems=problems)
    email = clean_email(spec.email, field=[path, "email"], problems=problems)
    if phone is None and email is None and not problems:
        problems.add("give a phone number or an email address (or both)", [path, "phone"])
    kecamatan = await Region.get_or_none(
        code=spec.kecamatan_code.strip(), level=RegionLevel.KECAMATAN
    )
    if kecamatan is None:
        problems.add(f"no kecamatan has the code {spec.kecamatan_code!r}", [path, "kecamatanCode"])
    sector = await Sector.get_or_none(code=spec.sector_code.strip().upper())
    if sector is None:
        problems.add(f"no sector has the code {spec.sector_code!r}", [path, "sectorCode"])
    problems.raise_if_any()
    assert kecamatan is not None
    assert sector is not None
    return CleanParticipant(name, phone, email, kecamatan.id, sector.id)


def check_consent(consent: ConsentSpec | None, *, path: str = "consent") -> ConsentSpec:
    if consent is None:
        raise Invalid(
            "a new participant needs their consent: purpose, text version and channel",
            field=[path],
        )
    problems = Problems()
    purpose = _single_line(
        consent.purpose, field=[path, "purpose"], problems=problems, limit=CONSENT_TEXT_MAX
    )
    version = _single_line(
        consent.text_version,
        field=[path, "textVersion"],
        problems=problems,
        limit=CONSENT_VERSION_MAX,
    )
    problems.raise_if_any()
    return ConsentSpec(purpose, version, consent.channel)


def snapshot(participant: Participant) -> dict[str, Any]:
    """What the audit log keeps of a participant."""
    return {
        "name": participant.name,
        "phone": participant.phone,
        "email": participant.email,
        "kecamatanId": participant.kecamatan_id,
        "sectorId": participant.sector_id,
        "consent": {
            "purpose": participant.consent_purpose,
            "textVersion": participant.consent_text_version,
            "channel": participant.consent_channel.value,
            "at": participant.consent_at.isoformat(),
        },
    }


async def own_match(viewer: Viewer, clean: CleanParticipant) -> Participant | None:
    """The same person among the caller's own participants: same phone or same email. Never
    another account's resident."""
    if viewer.account_id is None:
        return None
    same = Q(id__in=[])
    if clean.phone:
        same |= Q(phone=clean.phone)
    if clean.email:
        same |= Q(email=clean.email)
    return (
        await Participant.filter(same, created_by_id=viewer.account_id, anonymised_at=None)
        .order_by("id")
        .first()
    )


async def find_or_create(
    *,
    viewer: Viewer,
    spec: ParticipantSpec | None,
    participant_id: int | None,
    consent: ConsentSpec | None,
) -> Participant:
    """The participant a registration or interest is about: by id (one the viewer may see),
    the same person among the viewer's own, or a new one with its consent. Call inside the
    write transaction."""
    if (spec is None) == (participant_id is None):
        raise Invalid(
            "give exactly one of `participant` and `participantId`", field=["participant"]
        )
    if participant_id is not None:
        participant = await Participant.get_or_none(id=participant_id, anonymised_at=None)
        if participant is None or not await may_see(viewer, [participant]):
            raise NotFound(f"no participant with id {participant_id}", field=["participantId"])
        return participant
    assert spec is not None
    clean = await clean_participant(spec)
    existing = await own_match(viewer, clean)
    if existing is not None:
        return existing
    checked = check_consent(consent)
    participant = await Participant.create(
        name=clean.name,
        phone=clean.phone,
        email=clean.email,
        kecamatan_id=clean.kecamatan_id,
        sector_id=clean.sector_id,
        created_by_id=viewer.account_id,
        consent_purpose=checked.purpose,
        consent_text_version=checked.text_version,
        consent_channel=checked.channel,
        consent_at=dt.datetime.now(dt.UTC),
    )
    await audit.record(
        viewer=viewer,
        label=None,
        action=audit.Action.CREATE,
        entity=audit.Entity.PARTICIPANT,
        entity_id=participant.id,
        before=None,
        after=snapshot(participant),
    )
    return participant


async def visible_participant_ids(viewer: Viewer, participant_ids: Iterable[int]) -> set[int]:
    """Of `participant_ids`, those whose personal data the viewer sees (two statements at most,
    whatever the number)."""
    ids = list(set(participant_ids))
    if not ids or viewer.is_anonymous:
        return set()
    if viewer.is_admin:
        return set(ids)
    own = Q(created_by_id=viewer.account_id) | Q(registrations__registered_by_id=viewer.account_id)
    if viewer.centre_id is not None and viewer.acts_for(centre_id=viewer.centre_id):
        own |= Q(registrations__training__centre_id=viewer.centre_id)
    if viewer.community_id is not None and viewer.acts_for(community_id=viewer.community_id):
        organised = TrainingOrganiser.filter(community_id=viewer.community_id).values("training_id")
        own |= Q(registrations__training_id__in=Subquery(organised))
    rows = await Participant.filter(own, id__in=ids).distinct().values_list("id", flat=True)
    return {int(r) for r in rows}  # type: ignore[call-overload]


async def may_see(viewer: Viewer, participants: list[Participant]) -> bool:
    ids = {p.id for p in participants}
    return ids <= await visible_participant_ids(viewer, ids)
