"""Queries of the directory: sectors, communities and mentors."""

from __future__ import annotations

import strawberry

from hub.core import decode_global_id
from hub.directory import queries as directory
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info
from schema.directory.types import Community, Mentor, Sector
from schema.enums import CommunityKind
from schema.prefetch import prefetch_connection


@strawberry.input(description="Which communities to list.")
class CommunityFilter:
    kind: CommunityKind | None = strawberry.field(default=None, description="Only of this kind.")
    sector_code: str | None = strawberry.field(
        default=None, description="Only those working in this sector, e.g. `KULINER`."
    )
    area_code: str | None = strawberry.field(
        default=None,
        description=(
            "Only those serving this region (a province, kota or kecamatan code): an area equal "
            "to it, containing it or inside it, and those serving anywhere."
        ),
    )
    include_anywhere: bool = strawberry.field(
        default=True,
        description="With `areaCode`: whether communities serving anywhere are included.",
    )
    search: str | None = strawberry.field(
        default=None, description="Only those whose name contains this text."
    )


@strawberry.input(description="Which mentors to list.")
class MentorFilter:
    centre_kecamatan_code: str | None = strawberry.field(
        default=None, description="Only the mentors of the centre of this kecamatan."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the mentors of this community."
    )
    sector_code: str | None = strawberry.field(
        default=None, description="Only those with a skill in this sector."
    )
    active: bool | None = strawberry.field(default=None, description="Only active, or inactive.")
    search: str | None = strawberry.field(
        default=None, description="Only those whose name contains this text."
    )


@strawberry.type
class DirectoryQueries:
    @strawberry.field(description="Every sector, in display order.")
    async def sectors(self) -> list[Sector]:
        return [Sector.from_model(s) for s in await directory.sectors()]

    @strawberry.field(
        description=(
            "PGO member communities, by name; `first` at most 100."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def communities(
        self,
        info: Info,
        filter: CommunityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Community]:
        f = filter or CommunityFilter()
        query = directory.community_query(
            kind=f.kind,
            sector_code=f.sector_code,
            area_code=f.area_code,
            include_anywhere=f.include_anywhere,
            search=f.search,
        )
        connection = await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [Community.from_model(r) for r in rows],
            count=wants_total_count(info),
        )
        return await prefetch_connection(connection, info)

    @strawberry.field(
        description=(
            "Mentors of centres and communities, by name."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def mentors(
        self,
        info: Info,
        filter: MentorFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Mentor]:
        f = filter or MentorFilter()
        community_id = (
            decode_global_id(f.community_id, "Community", field="filter.communityId")
            if f.community_id
            else None
        )
        query = directory.mentor_query(
            centre_kecamatan_code=f.centre_kecamatan_code,
            community_id=community_id,
            sector_code=f.sector_code,
            active=f.active,
            search=f.search,
        )
        connection = await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [Mentor.from_model(r) for r in rows],
            count=wants_total_count(info),
        )
        return await prefetch_connection(connection, info)
