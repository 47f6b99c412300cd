"""Adding, changing and deactivating mentors: validation, role rules, audit, data version.

The same checks and the same write serve the mentor mutations and the CSV import
(`hub.directory.csvimport`). Skills given replace the mentor's skills."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.access import Viewer, audit, require_home
from hub.core import HubErrors, InvalidState, Lookup, NotFound, dataversion, write_transaction
from hub.core.validation import Problems, check_capacity, clean_email, clean_name, clean_phone
from models.directory import Mentor, MentorSkill
from models.enums import OPEN_PLAN_STATUSES, TrainingStatus
from models.plans import Allocation, TrainingMentor

CLOSED_TRAINING_STATUSES = (TrainingStatus.CANCELLED, TrainingStatus.DONE)


@dataclass(frozen=True)
class Skill:
    """A skill as given: a sector code and a capacity."""

    sector_code: str
    capacity: int
    position: int | None = None
    """Where the skill stands in what the person wrote, when that differs from the list's
    order (a CSV cell with a pair that could not be read)."""


@dataclass(frozen=True)
class MentorValues:
    """A mentor's values, validated; skills sorted by sector code, so equal values mean nothing
    would change."""

    name: str
    email: str | None
    phone: str | None
    centre_id: int | None
    community_id: int | None
    skills: tuple[tuple[str, int], ...]

    async def audit(self, lookup: Lookup) -> dict[str, Any]:
        community = await lookup.community(self.community_id) if self.community_id else None
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "centre": await lookup.centre_code(self.centre_id) if self.centre_id else None,
            "community": community.name if community else None,
            "skills": dict(self.skills),
        }


async def resolve_home(
    *,
    centre_code: str | None,
    community_id: int | None = None,
    community_name: str | None = None,
    lookup: Lookup,
    problems: Problems,
) -> tuple[int | None, int | None]:
    """(centre id, community id) of a mentor's home, given as a kecamatan code or a community
    (by id, or by name in a CSV file): exactly one of the two."""
    centre_code = (centre_code or "").strip() or None
    community_name = (community_name or "").strip() or None
    names_community = community_id is not None or community_name is not None
    if (centre_code is None) == (not names_community):
        problems.add(
            "give exactly one of the centre (its kecamatan code) or the community",
            ["centreKecamatanCode"],
        )
    centre_id = found_community = None
    if centre_code is not None:
        centre = (await lookup.centres([centre_code])).get(centre_code)
        if centre is None:
            problems.add(f"no centre in kecamatan {centre_code!r}", ["centreKecamatanCode"])
        else:
            centre_id = centre.id
    if community_id is not None:
        community = await lookup.community(community_id)
        if community is None:
            problems.add("no such community", ["communityId"])
        else:
            found_community = community.id
    elif community_name is not None:
        named = (await lookup.communities_named([community_name])).get(community_name)
        if named is None:
            problems.add(f"no community named {community_name!r}", ["communityId"])
        else:
            found_community = named.id
    return centre_id, found_community


async def check_mentor(
    *,
    name: str,
    email: str | None,
    phone: str | None,
    skills: Sequence[Skill],
    home: tuple[int | None, int | None],
    lookup: Lookup,
    problems: Problems,
) -> MentorValues:
    """Validate every value, adding each failure to `problems`."""
    sectors = await lookup.sectors()
    checked: dict[str, int] = {}
    for order, skill in enumerate(skills):
        index = order if skill.position is None else skill.position
        code = skill.sector_code.strip().upper()
        if code not in sectors:
            problems.add(
                f"unknown sector code {skill.sector_code!r}", ["skills", str(index), "sectorCode"]
            )
        elif code in checked:
            problems.add(f"{code} is listed twice", ["skills", str(index), "sectorCode"])
        check_capacity(skill.capacity, field=["skills", str(index), "capacity"], problems=problems)
        checked.setdefault(code, skill.capacity)
    return MentorValues(
        name=clean_name(name, field=["name"], problems=problems),
        email=clean_email(email, field=["email"], problems=problems),
        phone=clean_phone(phone, field=["phone"], problems=problems),
        centre_id=home[0],
        community_id=home[1],
        skills=tuple(sorted((c, n) for c, n in checked.items() if c in sectors)),
    )


async def mentor_values(mentor: Mentor, *, lookup: Lookup) -> MentorValues:
    """The values a mentor has now."""
    return (await mentor_values_many([mentor], lookup=lookup))[mentor.id]


BATCH = 1000
"""Rows per `IN (...)` list: well under the parameter limits of SQLite and PostgreSQL."""


async def mentor_values_many(
    mentors: Sequence[Mentor], *, lookup: Lookup
) -> dict[int, MentorValues]:
    """The values of many mentors, their skills loaded in batches."""
    skills: dict[int, list[tuple[str, int]]] = defaultdict(list)
    ids = [m.id for m in mentors]
    for start in range(0, len(ids), BATCH):
        rows = await MentorSkill.filter(mentor_id__in=ids[start : start + BATCH]).values_list(
            "mentor_id", "sector_id", "capacity"
        )
        for mentor_id, sector_id, capacity in rows:
            skills[int(mentor_id)].append((await lookup.sector_code(int(sector_id)), int(capacity)))
    return {
        m.id: MentorValues(
            name=m.name,
            email=m.email,
            phone=m.phone,
            centre_id=m.centre_id,
            community_id=m.community_id,
            skills=tuple(sorted(skills[m.id])),
        )
        for m in mentors
    }


async def check_email_free(email: str | None, *, mentor_id: int | None, problems: Problems) -> None:
    """Mentors are told apart by their email address (the CSV import matches on it)."""
    if email is None:
        return
    taken = Mentor.filter(email=email)
    if mentor_id is not None:
        taken = taken.exclude(id=mentor_id)
    if await taken.exists():
        problems.add(f"another mentor already has the email address {email!r}", ["email"])


async def open_commitments(mentor_id: int) -> list[str]:
    """Titles of the PROPOSED or ACTIVE plans the mentor is allocated in or teaches for."""
    allocated = await Allocation.filter(
        mentor_id=mentor_id, plan__status__in=OPEN_PLAN_STATUSES
    ).values_list("plan__title", flat=True)
    teaching = await TrainingMentor.filter(
        mentor_id=mentor_id,
        training__plan__status__in=OPEN_PLAN_STATUSES,
        training__status__not_in=CLOSED_TRAINING_STATUSES,
    ).values_list("training__plan__title", flat=True)
    return sorted({str(t) for t in [*allocated, *teaching]})


async def check_capacity_kept(mentor_id: int, values: MentorValues) -> list[InvalidState]:
    """A skill may not drop below the mentees that open plans already allocate in it."""
    rows = await Allocation.filter(
        mentor_id=mentor_id, plan__status__in=OPEN_PLAN_STATUSES
    ).values_list("sector__code", "mentees", "plan__title")
    allocated: dict[str, int] = defaultdict(int)
    plans: dict[str, set[str]] = defaultdict(set)
    for code, mentees, title in rows:
        allocated[str(code)] += int(mentees)
        plans[str(code)].add(str(title))
    capacity = dict(values.skills)
    return [
        InvalidState(
            f"{values.name} has {allocated[code]} mentees in {code} in open plans "
            f"({', '.join(repr(t) for t in sorted(plans[code]))}); capacity in {code} cannot "
            f"go below that",
            field=["skills"],
        )
        for code in sorted(allocated)
        if capacity.get(code, 0) < allocated[code]
    ]


async def save_mentor(
    *,
    mentor: Mentor | None,
    values: MentorValues,
    before: MentorValues | None,
    viewer: Viewer,
    actor_label: str | None,
    lookup: Lookup,
) -> Mentor:
    """Write validated values (a new mentor when `mentor` is None), the audit entry and a new
    data version. Call inside a transaction, and only when `values != before`."""
    fields: dict[str, Any] = {
        "name": values.name,
        "email": values.email,
        "phone": values.phone,
        "centre_id": values.centre_id,
        "community_id": values.community_id,
    }
    if mentor is None:
        mentor = await Mentor.create(**fields)
    else:
        mentor.update_from_dict(fields)
        await mentor.save()
    if before is None or before.skills != values.skills:
        sectors = await lookup.sectors()
        await MentorSkill.filter(mentor_id=mentor.id).delete()
        await MentorSkill.bulk_create(
            [MentorSkill(mentor=mentor, sector=sectors[c], capacity=n) for c, n in values.skills]
        )
    await audit.record(
        viewer=viewer,
        label=actor_label,
        action=audit.Action.CREATE if before is None else audit.Action.UPDATE,
        entity=audit.Entity.MENTOR,
        entity_id=mentor.id,
        before=await before.audit(lookup) if before else None,
        after=await values.audit(lookup),
    )
    await dataversion.bump()
    return mentor


async def create_mentor(
    *,
    viewer: Viewer,
    name: str,
    skills: Sequence[Skill],
    email: str | None = None,
    phone: str | None = None,
    centre_kecamatan_code: str | None = None,
    community_id: int | None = None,
    actor_label: str | None = None,
) -> Mentor:
    """Add a mentor to one centre (by its kecamatan code) or one community. Admins; staff for
    their own centre; coordinators for their own community."""
    lookup, problems = Lookup(), Problems()
    home = await resolve_home(
        centre_code=centre_kecamatan_code,
        community_id=community_id,
        lookup=lookup,
        problems=problems,
    )
    require_home(viewer, centre_id=home[0], community_id=home[1], action="add mentors")
    values = await check_mentor(
        name=name,
        email=email,
        phone=phone,
        skills=skills,
        home=home,
        lookup=lookup,
        problems=problems,
    )
    await check_email_free(values.email, mentor_id=None, problems=problems)
    problems.raise_if_any()
    async with write_transaction():
        return await save_mentor(
            mentor=None,
            values=values,
            before=None,
            viewer=viewer,
            actor_label=actor_label,
            lookup=lookup,
        )


async def _mentor_for_change(viewer: Viewer, mentor_id: int, action: str) -> Mentor:
    """The mentor, locked for the rest of the transaction (PostgreSQL), if the viewer may
    change it: NOT_FOUND before FORBIDDEN."""
    mentor = await Mentor.select_for_update(no_key=True).get_or_none(id=mentor_id)
    if mentor is None:
        raise NotFound("no such mentor", field=["mentorId"])
    require_home(
        viewer, centre_id=mentor.centre_id, community_id=mentor.community_id, action=action
    )
    return mentor


async def update_mentor(
    *,
    viewer: Viewer,
    mentor_id: int,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    skills: Sequence[Skill] | None = None,
    actor_label: str | None = None,
) -> Mentor:
    """Change the values given: None keeps a value, an empty email or phone removes it, and
    `skills` replace the mentor's skills (never below what open plans allocate)."""
    async with write_transaction():
        mentor = await _mentor_for_change(viewer, mentor_id, "change mentors")
        lookup, problems = Lookup(), Problems()
        before = await mentor_values(mentor, lookup=lookup)
        values = await check_mentor(
            name=before.name if name is None else name,
            email=before.email if email is None else email,
            phone=before.phone if phone is None else phone,
            skills=[Skill(c, n) for c, n in before.skills] if skills is None else skills,
            home=(mentor.centre_id, mentor.community_id),
            lookup=lookup,
            problems=problems,
        )
        if values.email != before.email:
            await check_email_free(values.email, mentor_id=mentor.id, problems=problems)
        skills_valid = not any(e.field and e.field[0] == "skills" for e in problems.errors)
        if skills is not None and skills_valid:
            HubErrors.raise_if_any(await check_capacity_kept(mentor.id, values))
        problems.raise_if_any()
        if values == before:
            return mentor
        return await save_mentor(
            mentor=mentor,
            values=values,
            before=before,
            viewer=viewer,
            actor_label=actor_label,
            lookup=lookup,
        )


async def deactivate_mentor(
    *, viewer: Viewer, mentor_id: int, actor_label: str | None = None
) -> Mentor:
    """Mark a mentor inactive; refused while PROPOSED or ACTIVE plans count on them."""
    async with write_transaction():
        mentor = await _mentor_for_change(viewer, mentor_id, "deactivate mentors")
        plans = await open_commitments(mentor.id)
        if plans:
            raise InvalidState(
                f"{mentor.name} still works in open plans: {', '.join(repr(t) for t in plans)}; "
                "change or close those plans first",
                field=["mentorId"],
            )
        if not mentor.active:
            return mentor
        mentor.active = False
        await mentor.save(update_fields=["active", "updated_at"])
        await audit.record(
            viewer=viewer,
            label=actor_label,
            action=audit.Action.DEACTIVATE,
            entity=audit.Entity.MENTOR,
            entity_id=mentor.id,
            before={"active": True},
            after={"active": False},
        )
        await dataversion.bump()
    return mentor
