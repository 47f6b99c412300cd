"""GraphQL types of the directory: sectors, centres, communities, mentors and skills."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from hub.access import mentor_contact_visible
from hub.core import Forbidden
from models import directory as m
from schema.common import Connection, load_nodes, slice_connection
from schema.context import Context, Info
from schema.enums import CommunityKind
from schema.loading import ModelsByKeyLoader
from schema.prefetch import LAZY, fallback, ready

if TYPE_CHECKING:
    from schema.matching.types import Opportunity
    from schema.regions.types import Area, Kecamatan

KecamatanRef = Annotated["Kecamatan", strawberry.lazy("schema.regions.types")]
AreaRef = Annotated["Area", strawberry.lazy("schema.regions.types")]


@strawberry.type(description="A field of business, such as culinary (`KULINER`) or crafts.")
class Sector:
    code: str = strawberry.field(description="Stable code, e.g. `KULINER`.")
    name: str = strawberry.field(description="Name in Indonesian, e.g. `Kuliner`.")
    name_en: str = strawberry.field(description="Name in English, e.g. `Culinary`.")

    @classmethod
    def from_model(cls, sector: m.Sector) -> Sector:
        return cls(code=sector.code, name=sector.name, name_en=sector.name_en)


async def load_sector(info: Info, sector_id: int) -> Sector:
    return (await load_sectors(info, [sector_id]))[0]


async def load_sectors(info: Info, sector_ids: list[int]) -> list[Sector]:
    rows = await info.context.loaders.sector_by_id.load_many(sector_ids)
    return [Sector.from_model(row) for row in rows if row is not None]


@strawberry.type(description="The OK OCE centre of one kecamatan, with its own mentors.")
class Centre(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="Name of the centre.")
    address: str = strawberry.field(description="Street address.")
    contact_email: str | None = strawberry.field(description="Public contact address.")
    contact_phone: str | None = strawberry.field(description="Public contact number.")
    kecamatan_id: strawberry.Private[int]
    kecamatan: KecamatanRef = strawberry.field(
        default=LAZY, description="The kecamatan this centre serves."
    )

    @classmethod
    def from_model(cls, centre: m.Centre) -> Centre:
        return cls(
            pk=centre.id,
            name=centre.name,
            address=centre.address,
            contact_email=centre.contact_email,
            contact_phone=centre.contact_phone,
            kecamatan_id=centre.kecamatan_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Centre | None]:
        return await load_nodes(info.context.loaders.centre_by_id, node_ids, cls.from_model)

    @strawberry.field(
        description=(
            "The centre's own mentors, by name."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    def mentors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Mentor]:
        return ready(
            self,
            "mentors",
            lambda: _mentors(info.context.loaders.mentors_by_centre_id, self.pk),
            lambda mentors: slice_connection(mentors, first=first, after=after),
        )


@strawberry.type(
    description=(
        "A PGO member community. It supplies extra mentors and runs trainings in its sectors, "
        "in the areas it serves."
    )
)
class Community(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="Name of the community.")
    kind: CommunityKind = strawberry.field(description="What it formed around.")
    description: str = strawberry.field(description="What it does, in its own words.")
    audiences: list[str] = strawberry.field(
        description="Who it works with, e.g. housewives (`ibu rumah tangga`) or youth."
    )
    member_count: int | None = strawberry.field(description="Members, as the community reports.")

    @classmethod
    def from_model(cls, community: m.Community) -> Community:
        return cls(
            pk=community.id,
            name=community.name,
            kind=community.kind,
            description=community.description,
            audiences=list(community.audiences or []),
            member_count=community.member_count,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Community | None]:
        return await load_nodes(info.context.loaders.community_by_id, node_ids, cls.from_model)

    @strawberry.field(description="The sectors it works in.")
    def sectors(self, info: Info) -> list[Sector]:
        return ready(self, "sectors", lambda: self._sectors(info))

    async def _sectors(self, info: Info) -> list[Sector]:
        links = await info.context.loaders.sector_links_by_community_id.load(self.pk)
        return await load_sectors(info, [link.sector_id for link in links])

    @strawberry.field(
        description="The areas it serves: provinces, kota or kecamatan. Empty: anywhere."
    )
    def areas(self, info: Info) -> list[AreaRef]:
        return ready(self, "areas", lambda: self._areas(info))

    async def _areas(self, info: Info) -> list[AreaRef]:
        from schema.regions.types import Area

        links = await info.context.loaders.areas_by_community_id.load(self.pk)
        return [Area.from_model(link.region) for link in links]

    @strawberry.field(description="True when it serves anywhere (no areas listed).")
    def serves_anywhere(self, info: Info) -> bool:
        return ready(self, "areas", lambda: self._areas(info), lambda areas: not areas)

    @strawberry.field(
        description=(
            "Where the community is needed: the kecamatan in its reach where its free places "
            "would fill most of what the centre is missing, best first: `first` of them (at "
            "most 100), by score, then places filled, then kecamatan code. Each carries exactly "
            "the figures that the kecamatan's `complements` shows for this community. "
            "`sectors` (codes such as `KULINER`) looks at those sectors only, each centre's "
            "total missing included. Cost: 10 + `first`, times the page sizes of the "
            "connections above it."
        )
    )
    async def opportunities(
        self, info: Info, first: int | None = 5, sectors: list[str] | None = None
    ) -> list[Annotated[Opportunity, strawberry.lazy("schema.matching.types")]]:
        from schema.matching.loaders import OpportunitiesKey
        from schema.matching.types import Opportunity

        wanted = tuple(sectors) if sectors is not None else None
        key = OpportunitiesKey(self.pk, 5 if first is None else first, wanted)
        found = await info.context.loaders.matching.opportunities.load(key)
        return [Opportunity.from_result(o) for o in found]

    @strawberry.field(
        description=(
            "The community's mentors, by name."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    def mentors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Mentor]:
        return ready(
            self,
            "mentors",
            lambda: _mentors(info.context.loaders.mentors_by_community_id, self.pk),
            lambda mentors: slice_connection(mentors, first=first, after=after),
        )


@strawberry.type(description="A mentor's capacity in one sector.")
class MentorSkill:
    capacity: int = strawberry.field(description="Mentees at once in this sector.")
    free: int = strawberry.field(
        description="Capacity not yet allocated by proposed or active plans (never below 0)."
    )
    sector_id: strawberry.Private[int]
    sector: Sector = strawberry.field(default=LAZY, description="The sector.")

    @classmethod
    def of(cls, skills: list[m.MentorSkill], allocated: dict[int, int]) -> list[MentorSkill]:
        """Skills with their free places, given the mentees allocated per sector id."""
        return [
            cls(
                capacity=s.capacity,
                free=max(0, s.capacity - allocated.get(s.sector_id, 0)),
                sector_id=s.sector_id,
            )
            for s in skills
        ]


@strawberry.type(
    description=(
        "A person who mentors entrepreneurs, for one centre or one community. Email and phone "
        "are personal data (UU PDP 27/2022): see each field."
    )
)
class Mentor(relay.Node):
    pk: relay.NodeID[int]
    name: str = strawberry.field(description="Full name.")
    active: bool = strawberry.field(description="False once deactivated.")
    row: strawberry.Private[m.Mentor]
    centre: Centre | None = strawberry.field(
        default=LAZY, description="The centre the mentor belongs to, if a centre's mentor."
    )
    community: Community | None = strawberry.field(
        default=LAZY, description="The community the mentor belongs to, if a community's mentor."
    )
    skills: list[MentorSkill] = strawberry.field(
        default=LAZY, description="Sectors the mentor mentors in, with capacity and free places."
    )

    @classmethod
    def from_model(cls, mentor: m.Mentor) -> Mentor:
        return cls(pk=mentor.id, name=mentor.name, active=mentor.active, row=mentor)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mentor | None]:
        return await load_nodes(info.context.loaders.mentor_by_id, node_ids, cls.from_model)

    async def _check_contact(self, info: Info) -> None:
        visible = mentor_contact_visible(
            info.context.viewer, self.row, await info.context.plan_mentor_ids()
        )
        if not visible:
            raise Forbidden(
                f"the contact data of mentor {self.name} is personal data, visible to admins, "
                "to their own centre or community, and to the parties of active plans they work "
                "in (of proposed ones, once their own party has accepted)"
            )

    @strawberry.field(
        description=(
            "Personal data. Visible to admins; to staff or coordinators of the mentor's own "
            "centre or community; to staff and coordinators of the other parties of active "
            "plans the mentor works in, and of proposed ones once the mentor's own centre or "
            "community has accepted; for a deactivated mentor, to admins only. "
            "Elsewhere null, with a FORBIDDEN error."
        )
    )
    async def email(self, info: Info) -> str | None:
        await self._check_contact(info)
        return self.row.email

    @strawberry.field(description="Personal data, E.164 (`+62…`). Visible as `email` is.")
    async def phone(self, info: Info) -> str | None:
        await self._check_contact(info)
        return self.row.phone


@fallback(Centre, "kecamatan")
async def _centre_kecamatan(centre: Centre, context: Context) -> KecamatanRef:
    from schema.regions.types import Kecamatan

    region = await context.loaders.region_by_id.load(centre.kecamatan_id)
    assert region is not None
    return Kecamatan.from_model(region)


@fallback(MentorSkill, "sector")
async def _skill_sector(skill: MentorSkill, context: Context) -> Sector:
    row = await context.loaders.sector_by_id.load(skill.sector_id)
    assert row is not None
    return Sector.from_model(row)


@fallback(Mentor, "centre")
async def _mentor_centre(mentor: Mentor, context: Context) -> Centre | None:
    if mentor.row.centre_id is None:
        return None
    row = await context.loaders.centre_by_id.load(mentor.row.centre_id)
    return Centre.from_model(row) if row else None


@fallback(Mentor, "community")
async def _mentor_community(mentor: Mentor, context: Context) -> Community | None:
    if mentor.row.community_id is None:
        return None
    row = await context.loaders.community_by_id.load(mentor.row.community_id)
    return Community.from_model(row) if row else None


@fallback(Mentor, "skills")
async def _mentor_skills(mentor: Mentor, context: Context) -> list[MentorSkill]:
    skills = await context.loaders.skills_by_mentor_id.load(mentor.pk)
    allocated = await context.loaders.allocated_by_mentor_id.load(mentor.pk)
    return MentorSkill.of(skills, allocated)


async def _mentors(loader: ModelsByKeyLoader[m.Mentor], key: int) -> list[Mentor]:
    return [Mentor.from_model(row) for row in await loader.load(key)]
