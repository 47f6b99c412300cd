"""What a viewer may list of registrations (DESIGN section 11, "Reads")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from hub.access import Viewer
from models.enums import RegistrationStatus
from models.participation import Registration
from models.plans import TrainingOrganiser


def visible_registrations(viewer: Viewer) -> QuerySet[Registration]:
    """All for ADMIN; for others those they made, plus those of the trainings their centre
    hosts (STAFF) or their community organises (COORDINATOR); none for anonymous clients."""
    if viewer.is_admin:
        return Registration.all()
    if viewer.is_anonymous:
        return Registration.filter(id__in=[])
    mine = Q(registered_by_id=viewer.account_id)
    if viewer.centre_id is not None and viewer.acts_for(centre_id=viewer.centre_id):
        mine |= Q(training__centre_id=viewer.centre_id)
    if viewer.community_id is not None and viewer.acts_for(community_id=viewer.community_id):
        mine |= Q(
            training_id__in=Subquery(
                TrainingOrganiser.filter(community_id=viewer.community_id).values("training_id")
            )
        )
    return Registration.filter(mine)


def registration_query(
    *,
    viewer: Viewer,
    training_id: int | None = None,
    status: RegistrationStatus | None = None,
) -> QuerySet[Registration]:
    """The viewer's visible registrations, optionally of one training and status, oldest first
    (waitlisted ones by position)."""
    query = visible_registrations(viewer)
    if training_id is not None:
        query = query.filter(training_id=training_id)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by("training_id", "status", "position", "id")


async def registration_counts(training_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Confirmed, waitlisted and attended per training, in one statement."""
    rows: list[dict[str, Any]] = (
        await Registration.filter(training_id__in=list(training_ids))
        .exclude(status=RegistrationStatus.CANCELLED)
        .annotate(n=Count("id"))
        .group_by("training_id", "status", "attended")
        .values("training_id", "status", "attended", "n")
    )
    counts: dict[int, dict[str, int]] = {
        t: {"confirmed": 0, "waitlisted": 0, "attended": 0} for t in training_ids
    }
    for row in rows:
        mine = counts[row["training_id"]]
        if row["status"] == RegistrationStatus.CONFIRMED:
            mine["confirmed"] += row["n"]
            if row["attended"]:
                mine["attended"] += row["n"]
        else:
            mine["waitlisted"] += row["n"]
    return counts
