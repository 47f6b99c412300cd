"""Who may see what: plans, trainings and personal data (DESIGN sections 4 and 6)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from hub.access.auth import Viewer
from models.directory import Mentor
from models.enums import OPEN_PLAN_STATUSES, PartyStatus, PlanStatus, Role
from models.plans import Allocation, Plan, PlanEvent, PlanParty, Training, TrainingMentor

PUBLIC_TRAINING_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.COMPLETED)


def party_filter(viewer: Viewer, prefix: str = "") -> Q | None:
    """A filter on plans where the viewer's centre or community is a party; None: no such plan."""
    lookup: dict[str, Any] = {}
    if viewer.role is Role.STAFF and viewer.centre_id is not None:
        lookup = {f"{prefix}centre_id": viewer.centre_id}
    elif viewer.role is Role.COORDINATOR and viewer.community_id is not None:
        lookup = {f"{prefix}parties__community_id": viewer.community_id}
    return Q(**lookup) if lookup else None


def visible_plans(viewer: Viewer) -> QuerySet[Plan]:
    """Plans the viewer may see: all for ADMIN, their parties' plans for STAFF/COORDINATOR."""
    if viewer.is_admin:
        return Plan.all()
    condition = party_filter(viewer)
    if condition is None:
        return Plan.filter(id__in=[])
    return Plan.filter(condition).distinct()


def can_see_plan(viewer: Viewer, plan: Plan, parties: list[PlanParty]) -> bool:
    if viewer.is_admin:
        return True
    return any(viewer.acts_for(centre_id=p.centre_id, community_id=p.community_id) for p in parties)


def visible_trainings(viewer: Viewer) -> QuerySet[Training]:
    """Trainings of ACTIVE and COMPLETED plans for everyone; the rest to who sees the plan."""
    public = Q(plan__status__in=PUBLIC_TRAINING_PLAN_STATUSES)
    if viewer.is_admin:
        return Training.all()
    condition = party_filter(viewer, prefix="plan__")
    if condition is None:
        return Training.filter(public)
    return Training.filter(public | condition).distinct()


async def mentors_in_open_plans_of(viewer: Viewer) -> set[int]:
    """Mentors of other parties whose contact data the viewer sees through plans the viewer is a
    party of (DESIGN section 6): those allocated in or teaching for an ACTIVE plan, or a
    PROPOSED plan in which the mentor's own party (their centre or community) has accepted. A
    one-sided proposal naming someone else's mentors reveals nothing. Three queries."""
    condition = party_filter(viewer, prefix="plan__")
    training_condition = party_filter(viewer, prefix="training__plan__")
    if condition is None or training_condition is None:
        return set()
    columns = ("mentor_id", "mentor__centre_id", "mentor__community_id")
    allocated = await Allocation.filter(condition, plan__status__in=OPEN_PLAN_STATUSES).values_list(
        "plan_id", "plan__status", *columns
    )
    teaching = await TrainingMentor.filter(
        training_condition, training__plan__status__in=OPEN_PLAN_STATUSES
    ).values_list("training__plan_id", "training__plan__status", *columns)
    working = [
        cast(tuple[int, str, int, int | None, int | None], row) for row in [*allocated, *teaching]
    ]
    proposed = {plan_id for plan_id, status, *_ in working if status == PlanStatus.PROPOSED}
    accepted: set[tuple[int, int | None, int | None]] = set()
    if proposed:
        accepted = {
            cast(tuple[int, int | None, int | None], row)
            for row in await PlanParty.filter(
                plan_id__in=proposed, status=PartyStatus.ACCEPTED
            ).values_list("plan_id", "centre_id", "community_id")
        }
    visible: set[int] = set()
    for plan_id, status, mentor_id, centre_id, community_id in working:
        own_party = (plan_id, centre_id, None) if centre_id else (plan_id, None, community_id)
        if status == PlanStatus.ACTIVE or own_party in accepted:
            visible.add(int(mentor_id))
    return visible


def mentor_contact_visible(viewer: Viewer, mentor: Mentor, plan_mentor_ids: set[int]) -> bool:
    """UU PDP 27/2022: a mentor's email and phone go to ADMIN, to their own centre's STAFF or
    community's COORDINATORs, to the other parties of plans they work in once their own party
    has accepted (`mentors_in_open_plans_of`); once deactivated, to ADMIN only."""
    if viewer.is_admin:
        return True
    if not mentor.active:
        return False
    if viewer.acts_for(centre_id=mentor.centre_id, community_id=mentor.community_id):
        return True
    return mentor.id in plan_mentor_ids


def account_contact_visible(
    viewer: Viewer, *, account_id: int, centre_id: int | None, community_id: int | None
) -> bool:
    if viewer.is_admin or viewer.account_id == account_id:
        return True
    return viewer.acts_for(centre_id=centre_id, community_id=community_id)


async def visible_account_ids(viewer: Viewer, account_ids: Iterable[int]) -> set[int]:
    """Which of `account_ids` the viewer may see as objects (DESIGN section 6): every account
    for ADMIN; their own; and those that proposed, answered or acted in plans the viewer may
    see. Never listed to anonymous clients or partner apps. At most three queries."""
    wanted = set(account_ids)
    if viewer.is_admin:
        return wanted
    seen = {viewer.account_id} & wanted if viewer.account_id is not None else set()
    rest = wanted - seen
    plans = party_filter(viewer)
    if not rest or plans is None:
        return seen
    in_plans = Subquery(Plan.filter(plans).values("id"))
    proposers = await Plan.filter(plans, proposed_by_id__in=rest).values_list(
        "proposed_by_id", flat=True
    )
    responders = await PlanParty.filter(plan_id__in=in_plans, responded_by_id__in=rest).values_list(
        "responded_by_id", flat=True
    )
    actors = await PlanEvent.filter(plan_id__in=in_plans, actor_id__in=rest).values_list(
        "actor_id", flat=True
    )
    return seen | {int(cast(int, a)) for a in [*proposers, *responders, *actors]}


HIDDEN_ADDRESS = "[address hidden]"
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def redact_addresses(text: str | None, address: str | None) -> str | None:
    """`text` (a delivery error) without the address it may quote, nor any other: for viewers
    from whom that address is hidden (DESIGN section 6)."""
    if text is None:
        return None
    if address:
        text = re.sub(re.escape(address), HIDDEN_ADDRESS, text, flags=re.IGNORECASE)
    return _ADDRESS.sub(HIDDEN_ADDRESS, text)
