"""What the viewer may list of plans and trainings."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from hub.access import Viewer, visible_plans, visible_trainings
from hub.plans.rules import as_utc
from models.enums import PartyStatus, PlanStatus, Role, TrainingStatus
from models.plans import Plan, PlanParty, Training


def plan_query(
    *,
    viewer: Viewer,
    statuses: list[PlanStatus] | None = None,
    kecamatan_code: str | None = None,
    community_id: int | None = None,
    waiting_for_me: bool = False,
) -> QuerySet[Plan]:
    """The plans the viewer may see, newest first. `waiting_for_me`: proposed plans where the
    viewer's centre or community has not answered yet."""
    query = visible_plans(viewer)
    if statuses:
        query = query.filter(status__in=statuses)
    if kecamatan_code:
        query = query.filter(centre__kecamatan__code=kecamatan_code)
    if community_id is not None:
        query = query.filter(
            id__in=Subquery(PlanParty.filter(community_id=community_id).values("plan_id"))
        )
    if waiting_for_me:
        pending = PlanParty.filter(status=PartyStatus.PENDING)
        if viewer.role is Role.STAFF:
            pending = pending.filter(centre_id=viewer.centre_id)
        elif viewer.role is Role.COORDINATOR:
            pending = pending.filter(community_id=viewer.community_id)
        else:
            pending = pending.filter(id__in=[])
        query = query.filter(status=PlanStatus.PROPOSED, id__in=Subquery(pending.values("plan_id")))
    return query.order_by("-id")


def training_query(
    *,
    viewer: Viewer,
    sector_code: str | None = None,
    kota_code: str | None = None,
    kecamatan_code: str | None = None,
    community_id: int | None = None,
    statuses: list[TrainingStatus] | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    search: str | None = None,
) -> QuerySet[Training]:
    """The trainings the viewer may see, by start time."""
    query = visible_trainings(viewer)
    if sector_code:
        query = query.filter(sector__code=sector_code)
    if kecamatan_code:
        query = query.filter(centre__kecamatan__code=kecamatan_code)
    if kota_code:
        query = query.filter(centre__kecamatan__parent__code=kota_code)
    if community_id is not None:
        query = query.filter(Q(organisers__community_id=community_id)).distinct()
    if statuses:
        query = query.filter(status__in=statuses)
    # A time without a zone is Jakarta time, as everywhere in the API.
    if starts_after is not None:
        query = query.filter(starts_at__gte=as_utc(starts_after))
    if starts_before is not None:
        query = query.filter(starts_at__lt=as_utc(starts_before))
    if search and search.strip():
        query = query.filter(title__icontains=search.strip())
    return query.order_by("starts_at", "id")
