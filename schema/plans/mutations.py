"""Mutations of joint mentoring plans and their trainings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import strawberry

from hub.core import ErrorCode, HubError, HubErrors, decode_global_id
from hub.plans import service as plans
from models.plans import Plan as PlanModel
from schema.common import UserError, user_errors
from schema.context import Info
from schema.plans.types import Plan, plan_visible

Decision = strawberry.enum(plans.Decision, description="A party's answer to a proposed plan.")

_NO_PLAN_CODES = {ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN}


@strawberry.input(description="A mentor's commitment: mentees in one sector.")
class AllocationInput:
    mentor_id: strawberry.ID = strawberry.field(description="The mentor (of a party).")
    sector_code: str = strawberry.field(description="The sector, e.g. `KULINER`.")
    mentees: int = strawberry.field(description="Entrepreneurs the mentor takes on (1 or more).")


@strawberry.input(description="A training of the plan.")
class TrainingInput:
    title: str = strawberry.field(description="Title.")
    sector_code: str = strawberry.field(description="The sector it teaches.")
    starts_at: dt.datetime = strawberry.field(
        description="Start; a time without a zone is read as Jakarta time (WIB)."
    )
    ends_at: dt.datetime = strawberry.field(description="End, after the start.")
    venue: str | None = strawberry.field(default=None, description="Where it takes place.")
    capacity: int | None = strawberry.field(default=None, description="Participants at most.")
    mentor_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Mentors who teach it (of the plan's parties)."
    )
    organiser_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Communities that organise it (of the plan's); default: all of them.",
    )


@strawberry.input(description="A new joint mentoring plan.")
class ProposePlanInput:
    kecamatan_code: str = strawberry.field(description="The kecamatan whose centre it serves.")
    community_ids: list[strawberry.ID] = strawberry.field(description="Its communities.")
    title: str = strawberry.field(description="Title.")
    goals: str | None = strawberry.field(default=None, description="What it wants to achieve.")
    starts_on: dt.date = strawberry.field(description="First day.")
    ends_on: dt.date = strawberry.field(description="Last day.")
    allocations: list[AllocationInput] | None = strawberry.field(
        default=None, description="Who mentors how many in which sector."
    )
    trainings: list[TrainingInput] | None = strawberry.field(
        default=None, description="Its joint trainings."
    )


@strawberry.input(description="A party's answer to a proposed plan.")
class RespondToPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    version: int = strawberry.field(description="The version answered (the plan's current one).")
    decision: Decision = strawberry.field(description="ACCEPT or DECLINE.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(default=None, description="A word to the other parties.")
    community_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Admins only: the community party to answer for (default: the centre).",
    )


@strawberry.input(description="Changes to a proposed or declined plan; lists replace the old.")
class RevisePlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    version: int = strawberry.field(description="The version revised (the plan's current one).")
    title: str | None = strawberry.field(default=None, description="New title.")
    goals: str | None = strawberry.field(default=None, description="New goals.")
    starts_on: dt.date | None = strawberry.field(default=None, description="New first day.")
    ends_on: dt.date | None = strawberry.field(default=None, description="New last day.")
    allocations: list[AllocationInput] | None = strawberry.field(
        default=None, description="All allocations, replacing the old ones."
    )
    trainings: list[TrainingInput] | None = strawberry.field(
        default=None, description="All trainings, replacing the old ones."
    )


@strawberry.input(description="Call off a proposed or active plan.")
class CancelPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    version: int = strawberry.field(description="The plan's current version.")
    reason: str | None = strawberry.field(default=None, description="Why, for the history.")


@strawberry.input(description="Close an active plan.")
class CompletePlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    version: int = strawberry.field(description="The plan's current version.")


@strawberry.input(description="Move one training of an active plan.")
class RescheduleTrainingInput:
    training_id: strawberry.ID = strawberry.field(description="The training.")
    version: int = strawberry.field(description="The plan's current version.")
    starts_at: dt.datetime = strawberry.field(description="New start.")
    ends_at: dt.datetime = strawberry.field(description="New end.")
    venue: str | None = strawberry.field(default=None, description="New venue, if it changes.")


@strawberry.input(description="Cancel one training of an active plan.")
class CancelTrainingInput:
    training_id: strawberry.ID = strawberry.field(description="The training.")
    version: int = strawberry.field(description="The plan's current version.")
    reason: str | None = strawberry.field(default=None, description="Why, for the history.")


@strawberry.input(description="Mark one training of an active plan as done.")
class CompleteTrainingInput:
    training_id: strawberry.ID = strawberry.field(description="The training.")
    version: int = strawberry.field(description="The plan's current version.")


@strawberry.type(description="The result of a change to a plan.")
class PlanPayload:
    plan: Plan | None = strawberry.field(
        description=(
            "The plan after the change; when the change could not be made (a stale version, "
            "the wrong status, invalid content), the plan as it is now, if the viewer may see "
            "it. Null when the input itself is malformed."
        )
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


def _allocations(
    items: list[AllocationInput] | None, path: str = "allocations"
) -> list[plans.AllocationSpec] | None:
    if items is None:
        return None
    return [
        plans.AllocationSpec(
            mentor_id=decode_global_id(a.mentor_id, "Mentor", field=f"{path}.{i}.mentorId"),
            sector_code=a.sector_code.strip().upper(),
            mentees=a.mentees,
        )
        for i, a in enumerate(items)
    ]


def _trainings(items: list[TrainingInput] | None) -> list[plans.TrainingSpec] | None:
    if items is None:
        return None
    return [
        plans.TrainingSpec(
            title=t.title.strip(),
            sector_code=t.sector_code.strip().upper(),
            starts_at=t.starts_at,
            ends_at=t.ends_at,
            venue=(t.venue or "").strip(),
            capacity=t.capacity,
            mentor_ids=tuple(
                decode_global_id(m, "Mentor", field=f"trainings.{i}.mentorIds")
                for m in t.mentor_ids or []
            ),
            organiser_ids=(
                tuple(
                    decode_global_id(c, "Community", field=f"trainings.{i}.organiserIds")
                    for c in t.organiser_ids
                )
                if t.organiser_ids is not None
                else None
            ),
        )
        for i, t in enumerate(items)
    ]


async def _run(
    info: Info,
    change: Callable[[], Awaitable[PlanModel]],
    *,
    plan_id: strawberry.ID | None = None,
    training_id: strawberry.ID | None = None,
) -> PlanPayload:
    """Make the change; on an expected failure answer with the errors and, when the viewer may
    read the plan by query, the plan as it is now (DESIGN section 6: a failed change returns the
    object only to viewers who may see it).

    `change()` decodes the input before it returns the service's awaitable, so a malformed id
    is INVALID with no plan before the database is asked anything."""
    try:
        pending = change()
    except (HubError, HubErrors) as error:
        return PlanPayload(plan=None, errors=user_errors(error))
    try:
        plan: PlanModel | None = await pending
    except (HubError, HubErrors) as error:
        codes = {e.code for e in (error.errors if isinstance(error, HubErrors) else [error])}
        current = None if codes & _NO_PLAN_CODES else await _current(plan_id, training_id)
        return PlanPayload(plan=await _shown(info, current), errors=user_errors(error))
    return PlanPayload(plan=await _shown(info, plan), errors=[])


async def _shown(info: Info, plan: PlanModel | None) -> Plan | None:
    """The plan for the payload, if the viewer could read it with `node(id:)`."""
    if plan is None or not await plan_visible(info, plan):
        return None
    return Plan.from_model(plan)


async def _current(
    plan_id: strawberry.ID | None, training_id: strawberry.ID | None
) -> PlanModel | None:
    try:
        return await plans.current_plan(
            plan_id=decode_global_id(plan_id, "Plan") if plan_id else None,
            training_id=decode_global_id(training_id, "Training") if training_id else None,
        )
    except HubError:  # the id itself was malformed: there is no plan to show
        return None


@strawberry.type
class PlanMutations:
    @strawberry.mutation(
        description=(
            "Propose a joint mentoring plan: staff of the centre, or a coordinator of one of "
            "the listed communities. Version 1; the proposer's party has accepted, the others "
            "are asked. Mentors' free capacity and time are held while it is proposed."
        )
    )
    async def propose_plan(self, info: Info, input: ProposePlanInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.propose_plan(
                viewer=info.context.viewer,
                kecamatan_code=input.kecamatan_code.strip(),
                community_ids=[
                    decode_global_id(c, "Community", field="communityIds")
                    for c in input.community_ids
                ],
                title=input.title,
                goals=input.goals,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                allocations=_allocations(input.allocations) or [],
                trainings=_trainings(input.trainings) or [],
            ),
        )

    @strawberry.mutation(
        description=(
            "Answer a proposed plan for your party. When every party has accepted the plan is "
            "ACTIVE and its trainings scheduled; one refusal declines it."
        )
    )
    async def respond_to_plan(self, info: Info, input: RespondToPlanInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.respond_to_plan(
                viewer=info.context.viewer,
                plan_id=decode_global_id(input.plan_id, "Plan", field="planId"),
                version=input.version,
                decision=plans.Decision(input.decision),
                note=input.note,
                community_id=(
                    decode_global_id(input.community_id, "Community", field="communityId")
                    if input.community_id
                    else None
                ),
            ),
            plan_id=input.plan_id,
        )

    @strawberry.mutation(
        description=(
            "Change a proposed or declined plan (its proposer or the centre's staff). It is "
            "proposed again: the other parties answer anew."
        )
    )
    async def revise_plan(self, info: Info, input: RevisePlanInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.revise_plan(
                viewer=info.context.viewer,
                plan_id=decode_global_id(input.plan_id, "Plan", field="planId"),
                version=input.version,
                title=input.title,
                goals=input.goals,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                allocations=_allocations(input.allocations),
                trainings=_trainings(input.trainings),
            ),
            plan_id=input.plan_id,
        )

    @strawberry.mutation(
        description="Cancel a proposed or active plan (its proposer or the centre's staff)."
    )
    async def cancel_plan(self, info: Info, input: CancelPlanInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.cancel_plan(
                viewer=info.context.viewer,
                plan_id=decode_global_id(input.plan_id, "Plan", field="planId"),
                version=input.version,
                reason=input.reason,
            ),
            plan_id=input.plan_id,
        )

    @strawberry.mutation(
        description=(
            "Complete an active plan (the centre's staff): trainings that have started are "
            "DONE, later ones cancelled, and the mentors are free again."
        )
    )
    async def complete_plan(self, info: Info, input: CompletePlanInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.complete_plan(
                viewer=info.context.viewer,
                plan_id=decode_global_id(input.plan_id, "Plan", field="planId"),
                version=input.version,
            ),
            plan_id=input.plan_id,
        )

    @strawberry.mutation(
        description="Move one scheduled training of an active plan, without a new approval."
    )
    async def reschedule_training(self, info: Info, input: RescheduleTrainingInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.reschedule_training(
                viewer=info.context.viewer,
                training_id=decode_global_id(input.training_id, "Training", field="trainingId"),
                version=input.version,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                venue=input.venue,
            ),
            training_id=input.training_id,
        )

    @strawberry.mutation(description="Cancel one scheduled training of an active plan.")
    async def cancel_training(self, info: Info, input: CancelTrainingInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.cancel_training(
                viewer=info.context.viewer,
                training_id=decode_global_id(input.training_id, "Training", field="trainingId"),
                version=input.version,
                reason=input.reason,
            ),
            training_id=input.training_id,
        )

    @strawberry.mutation(
        description="Mark one scheduled training of an active plan as done, once it started."
    )
    async def complete_training(self, info: Info, input: CompleteTrainingInput) -> PlanPayload:
        return await _run(
            info,
            lambda: plans.complete_training(
                viewer=info.context.viewer,
                training_id=decode_global_id(input.training_id, "Training", field="trainingId"),
                version=input.version,
            ),
            training_id=input.training_id,
        )
