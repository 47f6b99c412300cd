"""Queries of plans and trainings."""

from __future__ import annotations

import datetime as dt

import strawberry

from hub.core import decode_global_id
from hub.plans import plan_query, training_query
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info
from schema.enums import PlanStatus, TrainingStatus
from schema.plans.types import Plan, Training


def _community_pk(value: strawberry.ID | None, field: str) -> int | None:
    return decode_global_id(value, "Community", field=field) if value else None


@strawberry.input(description="Which trainings to list.")
class TrainingFilter:
    sector_code: str | None = strawberry.field(default=None, description="Only in this sector.")
    kota_code: str | None = strawberry.field(
        default=None, description="Only hosted by centres of this kota."
    )
    kecamatan_code: str | None = strawberry.field(
        default=None, description="Only hosted by the centre of this kecamatan."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only organised by this community."
    )
    statuses: list[TrainingStatus] | None = strawberry.field(
        default=None, description="Only with one of these statuses."
    )
    starts_after: dt.datetime | None = strawberry.field(
        default=None, description="Only starting at or after this time."
    )
    starts_before: dt.datetime | None = strawberry.field(
        default=None, description="Only starting before this time."
    )
    search: str | None = strawberry.field(
        default=None, description="Only those whose title contains this text."
    )


@strawberry.input(description="Which plans to list.")
class PlanFilter:
    statuses: list[PlanStatus] | None = strawberry.field(
        default=None, description="Only with one of these statuses."
    )
    kecamatan_code: str | None = strawberry.field(
        default=None, description="Only plans of the centre of this kecamatan."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only plans this community is a party of."
    )
    waiting_for_me: bool = strawberry.field(
        default=False,
        description="Only proposed plans that wait for the signed-in account's answer.",
    )


@strawberry.type
class PlanQueries:
    @strawberry.field(
        description=(
            "Trainings by start time. Everyone sees those of active and completed plans; the "
            "parties of a plan also see its planned ones."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def trainings(
        self,
        info: Info,
        filter: TrainingFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Training]:
        f = filter or TrainingFilter()
        query = training_query(
            viewer=info.context.viewer,
            sector_code=f.sector_code,
            kota_code=f.kota_code,
            kecamatan_code=f.kecamatan_code,
            community_id=_community_pk(f.community_id, "filter.communityId"),
            statuses=f.statuses,
            starts_after=f.starts_after,
            starts_before=f.starts_before,
            search=f.search,
        )
        return await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [Training.from_model(r) for r in rows],
            count=wants_total_count(info),
        )

    @strawberry.field(
        description=(
            "Joint mentoring plans the viewer may see, newest first: all for admins, their "
            "parties' plans for staff and coordinators, none for anonymous clients."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def plans(
        self,
        info: Info,
        filter: PlanFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Plan]:
        f = filter or PlanFilter()
        query = plan_query(
            viewer=info.context.viewer,
            statuses=f.statuses,
            kecamatan_code=f.kecamatan_code,
            community_id=_community_pk(f.community_id, "filter.communityId"),
            waiting_for_me=f.waiting_for_me,
        )
        return await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [Plan.from_model(r) for r in rows],
            count=wants_total_count(info),
        )
