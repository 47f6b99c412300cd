"""Mutations of the directory: communities, mentors and demand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.core import HubError, HubErrors, decode_global_id
from hub.directory import communities, demand, mentors
from schema.common import UserError, user_errors
from schema.context import Info
from schema.directory.types import Community, Mentor
from schema.enums import CommunityKind

if TYPE_CHECKING:
    from schema.matching.types import SectorNeed

SectorNeedRef = Annotated["SectorNeed", strawberry.lazy("schema.matching.types")]

"""An id that does not decode names nothing: primary key 0, which no row has. The service then
answers NOT_FOUND (or INVALID for a reference inside the input) in its usual order, after the
role rules."""


def _pk(value: strawberry.ID, type_name: str) -> int:
    """The key inside a global id; a malformed id is INVALID before anything is looked up."""
    return decode_global_id(value, type_name, field=f"{type_name.lower()}Id")


@strawberry.input(description="A mentor's capacity in one sector.")
class SkillInput:
    sector_code: str = strawberry.field(description="Sector code, e.g. `KULINER`.")
    capacity: int = strawberry.field(description="Mentees at once in this sector, 0 to 100.")


def _skills(skills: list[SkillInput] | None) -> list[mentors.Skill] | None:
    if skills is None:
        return None
    return [mentors.Skill(sector_code=s.sector_code, capacity=s.capacity) for s in skills]


@strawberry.input(description="A new community. Admins only.")
class CreateCommunityInput:
    name: str = strawberry.field(description="Its name; unique.")
    kind: CommunityKind = strawberry.field(description="What it formed around.")
    description: str | None = strawberry.field(default=None, description="What it does.")
    sector_codes: list[str] = strawberry.field(description="Sectors it works in.")
    area_codes: list[str] = strawberry.field(
        description="Province, kota or kecamatan codes it serves; empty: anywhere."
    )
    audiences: list[str] | None = strawberry.field(
        default=None, description="Who it works with, e.g. `pemuda`."
    )
    member_count: int | None = strawberry.field(default=None, description="Members, 0 or more.")


@strawberry.input(
    description="Changes to a community. Omitted or null fields keep their value; lists replace."
)
class UpdateCommunityInput:
    community_id: strawberry.ID = strawberry.field(description="The community to change.")
    name: str | None = strawberry.field(default=None, description="New name; unique.")
    kind: CommunityKind | None = strawberry.field(default=None, description="New kind.")
    description: str | None = strawberry.field(default=None, description="New description.")
    sector_codes: list[str] | None = strawberry.field(
        default=None, description="Sectors it works in (replace the current ones)."
    )
    area_codes: list[str] | None = strawberry.field(
        default=None, description="Areas it serves (replace the current ones); empty: anywhere."
    )
    audiences: list[str] | None = strawberry.field(
        default=None, description="Who it works with (replace the current ones)."
    )
    member_count: int | None = strawberry.field(default=None, description="Members, 0 or more.")


@strawberry.input(description="A new mentor, of exactly one centre or one community.")
class CreateMentorInput:
    name: str = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(
        default=None,
        description="Phone number as people write it (`0812-3456-7890`); stored as E.164.",
    )
    centre_kecamatan_code: str | None = strawberry.field(
        default=None, description="For a centre's mentor: the centre's kecamatan code."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a community's mentor: the community."
    )
    skills: list[SkillInput] = strawberry.field(description="Sectors and capacities.")


@strawberry.input(
    description=(
        "Changes to a mentor. Omitted or null fields keep their value; an empty `email` or "
        "`phone` removes it; `skills` replace the mentor's skills."
    )
)
class UpdateMentorInput:
    mentor_id: strawberry.ID = strawberry.field(description="The mentor to change.")
    name: str | None = strawberry.field(default=None, description="New full name.")
    email: str | None = strawberry.field(default=None, description="New email address.")
    phone: str | None = strawberry.field(default=None, description="New phone number.")
    skills: list[SkillInput] | None = strawberry.field(
        default=None, description="The mentor's skills from now on."
    )


@strawberry.input(description="The mentor to deactivate.")
class DeactivateMentorInput:
    mentor_id: strawberry.ID = strawberry.field(description="The mentor.")


@strawberry.input(description="A centre's demand in one sector.")
class SetDemandInput:
    kecamatan_code: str = strawberry.field(description="The centre's kecamatan code.")
    sector_code: str = strawberry.field(description="Sector code, e.g. `KULINER`.")
    demand: int = strawberry.field(
        description="Entrepreneurs waiting for mentoring in this sector, 0 or more."
    )


@strawberry.type(description="The result of `createCommunity` or `updateCommunity`.")
class CommunityPayload:
    community: Community | None = strawberry.field(
        description="The community as it is now; null when nothing changed because of errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `createMentor`, `updateMentor` or `deactivateMentor`.")
class MentorPayload:
    mentor: Mentor | None = strawberry.field(
        description="The mentor as it is now; null when nothing changed because of errors."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `setDemand`.")
class SetDemandPayload:
    need: SectorNeedRef | None = strawberry.field(
        description="The centre's demand, supply and gap in the sector, as they are now."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class DirectoryMutations:
    @strawberry.mutation(description="Add a community. Admins only.")
    async def create_community(self, info: Info, input: CreateCommunityInput) -> CommunityPayload:
        try:
            row = await communities.create_community(
                viewer=info.context.viewer,
                name=input.name,
                kind=input.kind,
                description=input.description,
                sector_codes=input.sector_codes,
                area_codes=input.area_codes,
                audiences=input.audiences,
                member_count=input.member_count,
            )
        except (HubError, HubErrors) as error:
            return CommunityPayload(community=None, errors=user_errors(error))
        return CommunityPayload(community=Community.from_model(row), errors=[])

    @strawberry.mutation(
        description="Change a community. Admins, and coordinators of that community."
    )
    async def update_community(self, info: Info, input: UpdateCommunityInput) -> CommunityPayload:
        try:
            row = await communities.update_community(
                viewer=info.context.viewer,
                community_id=_pk(input.community_id, "Community"),
                name=input.name,
                kind=input.kind,
                description=input.description,
                sector_codes=input.sector_codes,
                area_codes=input.area_codes,
                audiences=input.audiences,
                member_count=input.member_count,
            )
        except (HubError, HubErrors) as error:
            return CommunityPayload(community=None, errors=user_errors(error))
        return CommunityPayload(community=Community.from_model(row), errors=[])

    @strawberry.mutation(
        description=(
            "Add a mentor to a centre or a community. Admins; staff for their own centre; "
            "coordinators for their own community."
        )
    )
    async def create_mentor(self, info: Info, input: CreateMentorInput) -> MentorPayload:
        try:
            row = await mentors.create_mentor(
                viewer=info.context.viewer,
                name=input.name,
                email=input.email,
                phone=input.phone,
                centre_kecamatan_code=input.centre_kecamatan_code,
                community_id=_pk(input.community_id, "Community")
                if input.community_id is not None
                else None,
                skills=_skills(input.skills) or [],
            )
        except (HubError, HubErrors) as error:
            return MentorPayload(mentor=None, errors=user_errors(error))
        return MentorPayload(mentor=Mentor.from_model(row), errors=[])

    @strawberry.mutation(
        description=(
            "Change a mentor's name, contact data or skills. Admins, and staff or coordinators "
            "of the mentor's centre or community."
        )
    )
    async def update_mentor(self, info: Info, input: UpdateMentorInput) -> MentorPayload:
        try:
            row = await mentors.update_mentor(
                viewer=info.context.viewer,
                mentor_id=_pk(input.mentor_id, "Mentor"),
                name=input.name,
                email=input.email,
                phone=input.phone,
                skills=_skills(input.skills),
            )
        except (HubError, HubErrors) as error:
            return MentorPayload(mentor=None, errors=user_errors(error))
        return MentorPayload(mentor=Mentor.from_model(row), errors=[])

    @strawberry.mutation(
        description=(
            "Deactivate a mentor: refused with INVALID_STATE, naming the plans, while proposed "
            "or active plans allocate the mentor or have them teach. Same roles as "
            "`updateMentor`."
        )
    )
    async def deactivate_mentor(self, info: Info, input: DeactivateMentorInput) -> MentorPayload:
        try:
            row = await mentors.deactivate_mentor(
                viewer=info.context.viewer,
                mentor_id=_pk(input.mentor_id, "Mentor"),
            )
        except (HubError, HubErrors) as error:
            return MentorPayload(mentor=None, errors=user_errors(error))
        return MentorPayload(mentor=Mentor.from_model(row), errors=[])

    @strawberry.mutation(
        description="Set a centre's demand in one sector. Admins, and staff of that centre."
    )
    async def set_demand(self, info: Info, input: SetDemandInput) -> SetDemandPayload:
        try:
            needs = await demand.set_demand(
                viewer=info.context.viewer,
                kecamatan_code=input.kecamatan_code,
                sector_code=input.sector_code,
                demand=input.demand,
            )
        except (HubError, HubErrors) as error:
            return SetDemandPayload(need=None, errors=user_errors(error))
        from schema.matching.types import SectorNeed

        return SetDemandPayload(need=SectorNeed.list_of(needs)[0], errors=[])
