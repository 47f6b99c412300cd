"""Joint mentoring plans: propose, answer, revise, cancel and complete them, and change the
trainings of an active plan (DESIGN section 4).

Every change runs in one transaction that locks what it decides on (the plan row, then the
mentor rows in id order), checks the rules in the order NOT_FOUND, FORBIDDEN, CONFLICT,
INVALID_STATE, then INVALID, CAPACITY_EXCEEDED and DOUBLE_BOOKED together, writes the change,
a PlanEvent with its event in the stream (hub/integration) and the notifications, and moves the
data version forward. A failed change leaves
no trace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from hub.access import Viewer
from hub.core import (
    Conflict,
    Forbidden,
    HubError,
    HubErrors,
    Invalid,
    InvalidState,
    NotFound,
    dataversion,
    write_transaction,
)
from hub.integration import EventKind as Stream
from hub.integration import record_event, record_history
from hub.notify import NotificationKind, notify_plan_event
from hub.plans.checks import AllocationSpec, PlanContent, TrainingSpec, check_content
from hub.plans.rules import (
    Action,
    PlanSides,
    answering_side,
    as_utc,
    check_period,
    may_change_trainings,
    may_complete,
    may_propose,
    may_revise_or_cancel,
    require_status,
)
from models.accounts import Account
from models.directory import Centre, Community
from models.enums import PartyStatus, PlanStatus, TrainingStatus
from models.plans import (
    Allocation,
    Plan,
    PlanParty,
    Training,
    TrainingMentor,
    TrainingOrganiser,
)

__all__ = [
    "AllocationSpec",
    "Decision",
    "TrainingSpec",
    "cancel_plan",
    "cancel_training",
    "complete_plan",
    "complete_training",
    "propose_plan",
    "reschedule_training",
    "respond_to_plan",
    "revise_plan",
]


class Decision(StrEnum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"


@dataclass
class _Locked:
    """A plan locked for change, with its parties and who it concerns."""

    plan: Plan
    parties: list[PlanParty]
    sides: PlanSides


async def _lock_plan(plan_id: int) -> _Locked:
    plan = await Plan.select_for_update(no_key=True).get_or_none(id=plan_id)
    if plan is None:
        raise NotFound(f"no plan with id {plan_id}", field=["planId"])
    parties = await PlanParty.filter(plan_id=plan.id).order_by("id")
    proposer = await Account.get_or_none(id=plan.proposed_by_id) if plan.proposed_by_id else None
    sides = PlanSides(
        centre_id=plan.centre_id,
        community_ids=tuple(p.community_id for p in parties if p.community_id is not None),
        proposer_id=plan.proposed_by_id,
        proposer_community_id=proposer.community_id if proposer else None,
    )
    return _Locked(plan=plan, parties=parties, sides=sides)


def _check_version(plan: Plan, version: int) -> None:
    if version != plan.version:
        raise Conflict(
            f"the plan is at version {plan.version}, not {version}: someone changed it "
            "meanwhile. Reload it, check the changes, and try again with the current version.",
            field=["version"],
        )


async def _record(
    plan: Plan,
    kind: str,
    viewer: Viewer,
    details: str | None = None,
    training_id: int | None = None,
) -> None:
    """The history line and its event in the stream (hub/integration)."""
    await record_history(
        plan=plan, kind=kind, actor_id=viewer.account_id, details=details, training_id=training_id
    )


async def _record_trainings(
    plan: Plan, kind: Stream, viewer: Viewer, training_ids: Sequence[int]
) -> None:
    """Events of trainings that change with their plan (scheduled at activation, cancelled
    with it): one per training, with no history line of their own."""
    for training_id in training_ids:
        await record_event(
            kind=kind,
            plan_id=plan.id,
            training_id=training_id,
            actor_id=viewer.account_id,
            data={"version": plan.version},
        )


async def _advance(plan: Plan, **changes: object) -> None:
    """One successful change: the version moves forward by one."""
    plan.version += 1
    for name, value in changes.items():
        setattr(plan, name, value)
    await plan.save()


def _raise(errors: Sequence[HubError]) -> None:
    HubErrors.raise_if_any(list(errors))


async def _content_of(plan: Plan) -> tuple[list[AllocationSpec], list[TrainingSpec]]:
    """The plan's current allocations and live trainings, as specs to check again."""
    allocations = await Allocation.filter(plan_id=plan.id).select_related("sector").order_by("id")
    trainings = (
        await Training.filter(plan_id=plan.id)
        .exclude(status=TrainingStatus.DONE)
        .select_related("sector")
        .order_by("id")
    )
    mentors = await TrainingMentor.filter(training__plan_id=plan.id).order_by("id")
    organisers = await TrainingOrganiser.filter(training__plan_id=plan.id).order_by("id")
    return (
        [AllocationSpec(a.mentor_id, a.sector.code, a.mentees) for a in allocations],
        [
            TrainingSpec(
                title=t.title,
                sector_code=t.sector.code,
                starts_at=t.starts_at,
                ends_at=t.ends_at,
                venue=t.venue,
                capacity=t.capacity,
                mentor_ids=tuple(m.mentor_id for m in mentors if m.training_id == t.id),
                organiser_ids=tuple(o.community_id for o in organisers if o.training_id == t.id),
                training_id=t.id,
            )
            for t in trainings
        ],
    )


async def _write_allocations(plan: Plan, content: PlanContent) -> None:
    await Allocation.filter(plan_id=plan.id).delete()
    await Allocation.bulk_create(
        [
            Allocation(
                plan_id=plan.id,
                mentor_id=spec.mentor_id,
                sector_id=content.sectors[spec.sector_code].id,
                mentees=spec.mentees,
            )
            for spec in content.allocations
        ]
    )


async def _write_trainings(plan: Plan, content: PlanContent, status: TrainingStatus) -> None:
    await Training.filter(plan_id=plan.id).delete()
    for spec in content.trainings:
        training = await Training.create(
            plan_id=plan.id,
            centre_id=plan.centre_id,
            sector_id=content.sectors[spec.sector_code].id,
            title=spec.title,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            venue=spec.venue,
            capacity=spec.capacity,
            status=status,
        )
        organisers = spec.organiser_ids if spec.organiser_ids is not None else content.communities
        await TrainingOrganiser.bulk_create(
            [TrainingOrganiser(training_id=training.id, community_id=c) for c in organisers]
        )
        await TrainingMentor.bulk_create(
            [TrainingMentor(training_id=training.id, mentor_id=m) for m in spec.mentor_ids]
        )


async def _set_trainings(
    plan: Plan, *, where: Sequence[TrainingStatus], to: TrainingStatus, started: bool | None = None
) -> list[int]:
    """Move the plan's trainings in `where` to `to`; `started` keeps only those that have (True)
    or have not (False) started. A change of a scheduled training raises its revision (the
    calendar invite's SEQUENCE)."""
    query = Training.filter(plan_id=plan.id, status__in=list(where))
    now = dt.datetime.now(dt.UTC)
    if started is True:
        query = query.filter(starts_at__lte=now)
    elif started is False:
        query = query.filter(starts_at__gt=now)
    trainings = await query.order_by("id")
    for training in trainings:
        if training.status is TrainingStatus.SCHEDULED:
            training.revision += 1
        training.status = to
        await training.save(update_fields=["status", "revision", "updated_at"])
    return [t.id for t in trainings]


async def propose_plan(
    *,
    viewer: Viewer,
    kecamatan_code: str,
    community_ids: Sequence[int],
    title: str,
    goals: str | None,
    starts_on: dt.date,
    ends_on: dt.date,
    allocations: Sequence[AllocationSpec] = (),
    trainings: Sequence[TrainingSpec] = (),
) -> Plan:
    """A new plan of the centre of `kecamatan_code` with the listed communities, version 1.
    The proposer's own party starts ACCEPTED, the others PENDING."""
    async with write_transaction():
        centre = await Centre.get_or_none(kecamatan__code=kecamatan_code)
        if centre is None:
            raise NotFound(f"no centre in kecamatan {kecamatan_code}", field=["kecamatanCode"])
        known = {c.id for c in await Community.filter(id__in=list(community_ids)).only("id")}
        missing = [c for c in community_ids if c not in known]
        if missing:
            raise NotFound(f"no community with id {missing[0]}", field=["communityIds"])
        sides = PlanSides(centre_id=centre.id, community_ids=tuple(dict.fromkeys(community_ids)))
        if not may_propose(viewer, sides):
            raise Forbidden(
                "a plan is proposed by the centre's staff or a coordinator of one of its "
                "communities"
            )
        errors: list[HubError] = []
        if not community_ids:
            errors.append(Invalid("a plan needs at least one community", field=["communityIds"]))
        if len(set(community_ids)) != len(community_ids):
            errors.append(Invalid("a community is listed twice", field=["communityIds"]))
        if not title.strip():
            errors.append(Invalid("the title must not be empty", field=["title"]))
        errors += check_period(starts_on, ends_on)
        content, content_errors = await check_content(
            centre_id=centre.id,
            community_ids=sides.community_ids,
            starts_on=starts_on,
            ends_on=ends_on,
            allocations=allocations,
            trainings=trainings,
            plan_id=None,
        )
        _raise(errors + content_errors)

        plan = await Plan.create(
            title=title.strip(),
            goals=goals,
            starts_on=starts_on,
            ends_on=ends_on,
            centre=centre,
            proposed_by_id=viewer.account_id,
            status=PlanStatus.PROPOSED,
            version=1,
        )
        own = answering_side(viewer, sides) if not viewer.is_admin else None
        now = dt.datetime.now(dt.UTC)
        for centre_id, community_id in [
            (centre.id, None),
            *((None, c) for c in sides.community_ids),
        ]:
            mine = own == (centre_id, community_id)
            await PlanParty.create(
                plan=plan,
                centre_id=centre_id,
                community_id=community_id,
                status=PartyStatus.ACCEPTED if mine else PartyStatus.PENDING,
                responded_by_id=viewer.account_id if mine else None,
                responded_at=now if mine else None,
            )
        await _write_allocations(plan, content)
        await _write_trainings(plan, content, TrainingStatus.PLANNED)
        await _record(plan, "PROPOSED", viewer)
        await notify_plan_event(
            kind=NotificationKind.PLAN_PROPOSED, plan_id=plan.id, actor_id=viewer.account_id
        )
        await dataversion.bump()
    return plan


async def respond_to_plan(
    *,
    viewer: Viewer,
    plan_id: int,
    version: int,
    decision: Decision,
    note: str | None = None,
    community_id: int | None = None,
) -> Plan:
    """Answer for the viewer's party (ADMIN: for `community_id`, or else the centre). The last
    acceptance activates the plan and schedules its trainings; a refusal declines it, releasing
    its mentors and cancelling its trainings."""
    async with write_transaction():
        locked = await _lock_plan(plan_id)
        plan, sides = locked.plan, locked.sides
        side = answering_side(viewer, sides, community_id)
        if side is None:
            raise Forbidden(
                "only the staff of the plan's centre or a coordinator of one of its communities "
                "answer for their party"
            )
        _check_version(plan, version)
        require_status(plan.status, Action.RESPOND)
        party = next(p for p in locked.parties if (p.centre_id, p.community_id) == side)
        if decision is Decision.ACCEPT and party.status is PartyStatus.ACCEPTED:
            raise InvalidState(f"this party has already accepted version {plan.version}")
        party.status = PartyStatus.ACCEPTED if decision is Decision.ACCEPT else PartyStatus.DECLINED
        party.responded_by_id = viewer.account_id
        party.responded_at = dt.datetime.now(dt.UTC)
        party.note = note
        await party.save()

        if decision is Decision.DECLINE:
            await _advance(plan, status=PlanStatus.DECLINED)
            await _record(plan, "DECLINED", viewer, note)
            await _set_trainings(plan, where=[TrainingStatus.PLANNED], to=TrainingStatus.CANCELLED)
            await notify_plan_event(
                kind=NotificationKind.PLAN_DECLINED,
                plan_id=plan.id,
                actor_id=viewer.account_id,
                details=note,
            )
        elif all(p.status is PartyStatus.ACCEPTED for p in locked.parties):
            await _advance(plan, status=PlanStatus.ACTIVE)
            await _record(plan, "ACCEPTED", viewer, note)
            scheduled = await _set_trainings(
                plan, where=[TrainingStatus.PLANNED], to=TrainingStatus.SCHEDULED
            )
            await _record(plan, "ACTIVATED", viewer)
            await notify_plan_event(
                kind=NotificationKind.PLAN_ACTIVATED, plan_id=plan.id, actor_id=viewer.account_id
            )
            await _record_trainings(plan, Stream.TRAINING_SCHEDULED, viewer, scheduled)
            if scheduled:
                await notify_plan_event(
                    kind=NotificationKind.TRAINING_SCHEDULED,
                    plan_id=plan.id,
                    actor_id=viewer.account_id,
                    training_ids=scheduled,
                )
        else:
            await _advance(plan)
            await _record(plan, "ACCEPTED", viewer, note)
            await notify_plan_event(
                kind=NotificationKind.PLAN_ANSWERED,
                plan_id=plan.id,
                actor_id=viewer.account_id,
                details=note,
            )
        await dataversion.bump()
    return plan


async def revise_plan(
    *,
    viewer: Viewer,
    plan_id: int,
    version: int,
    title: str | None = None,
    goals: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    allocations: Sequence[AllocationSpec] | None = None,
    trainings: Sequence[TrainingSpec] | None = None,
) -> Plan:
    """Change a proposed or declined plan; given lists replace the old ones whole. The plan is
    PROPOSED again and every other party must answer anew."""
    async with write_transaction():
        locked = await _lock_plan(plan_id)
        plan, sides = locked.plan, locked.sides
        if not may_revise_or_cancel(viewer, sides):
            raise Forbidden("a plan is revised by its proposer or the staff of its centre")
        _check_version(plan, version)
        require_status(plan.status, Action.REVISE)
        errors: list[HubError] = []
        if title is not None and not title.strip():
            errors.append(Invalid("the title must not be empty", field=["title"]))
        new_start = starts_on or plan.starts_on
        new_end = ends_on or plan.ends_on
        errors += check_period(new_start, new_end)
        current_allocations, current_trainings = await _content_of(plan)
        content, content_errors = await check_content(
            centre_id=plan.centre_id,
            community_ids=sides.community_ids,
            starts_on=new_start,
            ends_on=new_end,
            allocations=current_allocations if allocations is None else allocations,
            trainings=current_trainings if trainings is None else trainings,
            plan_id=plan.id,
        )
        _raise(errors + content_errors)

        await _advance(
            plan,
            status=PlanStatus.PROPOSED,
            title=title.strip() if title is not None else plan.title,
            goals=goals if goals is not None else plan.goals,
            starts_on=new_start,
            ends_on=new_end,
        )
        if allocations is not None:
            await _write_allocations(plan, content)
        if trainings is not None:
            await _write_trainings(plan, content, TrainingStatus.PLANNED)
        else:
            await _set_trainings(plan, where=[TrainingStatus.CANCELLED], to=TrainingStatus.PLANNED)
        own = answering_side(viewer, sides) if not viewer.is_admin else None
        now = dt.datetime.now(dt.UTC)
        for party in locked.parties:
            mine = own == (party.centre_id, party.community_id)
            party.status = PartyStatus.ACCEPTED if mine else PartyStatus.PENDING
            party.responded_by_id = viewer.account_id if mine else None
            party.responded_at = now if mine else None
            party.note = None
            await party.save()
        await _record(plan, "REVISED", viewer)
        await notify_plan_event(
            kind=NotificationKind.PLAN_REVISED, plan_id=plan.id, actor_id=viewer.account_id
        )
        await dataversion.bump()
    return plan


async def cancel_plan(
    *, viewer: Viewer, plan_id: int, version: int, reason: str | None = None
) -> Plan:
    """Call off a proposed or active plan: its mentors are released, its trainings cancelled."""
    async with write_transaction():
        locked = await _lock_plan(plan_id)
        plan = locked.plan
        if not may_revise_or_cancel(viewer, locked.sides):
            raise Forbidden("a plan is cancelled by its proposer or the staff of its centre")
        _check_version(plan, version)
        require_status(plan.status, Action.CANCEL)
        await _advance(plan, status=PlanStatus.CANCELLED)
        cancelled = await _set_trainings(
            plan,
            where=[TrainingStatus.PLANNED, TrainingStatus.SCHEDULED],
            to=TrainingStatus.CANCELLED,
        )
        await _record(plan, "CANCELLED", viewer, reason)
        await notify_plan_event(
            kind=NotificationKind.PLAN_CANCELLED,
            plan_id=plan.id,
            actor_id=viewer.account_id,
            details=reason,
        )
        await _notify_cancelled_trainings(plan, viewer, cancelled, reason)
        await dataversion.bump()
    return plan


async def _notify_cancelled_trainings(
    plan: Plan, viewer: Viewer, training_ids: list[int], details: str | None = None
) -> None:
    """Calendar cancellations for the trainings that had been scheduled (and so invited)."""
    invited = await Training.filter(id__in=training_ids, revision__gt=0).only("id")
    await _record_trainings(plan, Stream.TRAINING_CANCELLED, viewer, [t.id for t in invited])
    if invited:
        await notify_plan_event(
            kind=NotificationKind.TRAINING_CANCELLED,
            plan_id=plan.id,
            actor_id=viewer.account_id,
            training_ids=[t.id for t in invited],
            details=details,
        )


async def complete_plan(*, viewer: Viewer, plan_id: int, version: int) -> Plan:
    """Close an active plan: trainings that have started are DONE, later ones cancelled; its
    mentors are released."""
    async with write_transaction():
        locked = await _lock_plan(plan_id)
        plan = locked.plan
        if not may_complete(viewer, locked.sides):
            raise Forbidden("a plan is completed by the staff of its centre")
        _check_version(plan, version)
        require_status(plan.status, Action.COMPLETE)
        await _advance(plan, status=PlanStatus.COMPLETED)
        await _set_trainings(
            plan, where=[TrainingStatus.SCHEDULED], to=TrainingStatus.DONE, started=True
        )
        cancelled = await _set_trainings(
            plan,
            where=[TrainingStatus.SCHEDULED, TrainingStatus.PLANNED],
            to=TrainingStatus.CANCELLED,
            started=False,
        )
        await _record(plan, "COMPLETED", viewer)
        await notify_plan_event(
            kind=NotificationKind.PLAN_COMPLETED, plan_id=plan.id, actor_id=viewer.account_id
        )
        await _notify_cancelled_trainings(plan, viewer, cancelled)
        await dataversion.bump()
    return plan


async def _lock_training(
    training_id: int, version: int, viewer: Viewer
) -> tuple[_Locked, Training]:
    training = await Training.get_or_none(id=training_id)
    if training is None:
        raise NotFound(f"no training with id {training_id}", field=["trainingId"])
    locked = await _lock_plan(training.plan_id)
    if not may_change_trainings(viewer, locked.sides):
        raise Forbidden("a training is changed by the plan's proposer or the staff of its centre")
    _check_version(locked.plan, version)
    require_status(locked.plan.status, Action.CHANGE_TRAINING)
    training = await Training.select_for_update(no_key=True).get(id=training_id)
    if training.status is not TrainingStatus.SCHEDULED:
        raise InvalidState(
            f"training {training.title!r} is {training.status.value}; only a scheduled "
            "training can be changed"
        )
    return locked, training


async def reschedule_training(
    *,
    viewer: Viewer,
    training_id: int,
    version: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue: str | None = None,
) -> Plan:
    """Move one training of an active plan, without a new approval; its mentors must be free."""
    async with write_transaction():
        locked, training = await _lock_training(training_id, version, viewer)
        plan = locked.plan
        _, trainings = await _content_of(plan)
        moved = [
            replace(t, starts_at=as_utc(starts_at), ends_at=as_utc(ends_at))
            for t in trainings
            if t.training_id == training.id
        ]
        _, errors = await check_content(
            centre_id=plan.centre_id,
            community_ids=locked.sides.community_ids,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            allocations=(),
            trainings=moved,
            plan_id=None,
            training_id=training.id,
            path="training",
        )
        _raise(errors)
        training.starts_at = as_utc(starts_at)
        training.ends_at = as_utc(ends_at)
        if venue is not None:
            training.venue = venue
        training.revision += 1
        await training.save()
        await _advance(plan)
        await _record(plan, "TRAINING_RESCHEDULED", viewer, training.title, training.id)
        await notify_plan_event(
            kind=NotificationKind.TRAINING_CHANGED,
            plan_id=plan.id,
            actor_id=viewer.account_id,
            training_ids=[training.id],
        )
        await dataversion.bump()
    return plan


async def cancel_training(
    *, viewer: Viewer, training_id: int, version: int, reason: str | None = None
) -> Plan:
    """Cancel one training of an active plan."""
    async with write_transaction():
        locked, training = await _lock_training(training_id, version, viewer)
        training.status = TrainingStatus.CANCELLED
        training.revision += 1
        await training.save()
        await _advance(locked.plan)
        await _record(
            locked.plan, "TRAINING_CANCELLED", viewer, reason or training.title, training.id
        )
        await notify_plan_event(
            kind=NotificationKind.TRAINING_CANCELLED,
            plan_id=locked.plan.id,
            actor_id=viewer.account_id,
            training_ids=[training.id],
            details=reason,
        )
        await dataversion.bump()
    return locked.plan


async def complete_training(*, viewer: Viewer, training_id: int, version: int) -> Plan:
    """Mark one training of an active plan as done, once it has started."""
    async with write_transaction():
        locked, training = await _lock_training(training_id, version, viewer)
        if training.starts_at > dt.datetime.now(dt.UTC):
            raise InvalidState(
                f"training {training.title!r} has not started yet; cancel or reschedule it"
            )
        training.status = TrainingStatus.DONE
        await training.save()
        await _advance(locked.plan)
        await _record(locked.plan, "TRAINING_DONE", viewer, training.title, training.id)
        await dataversion.bump()
    return locked.plan


async def current_plan(
    *, plan_id: int | None = None, training_id: int | None = None
) -> Plan | None:
    """The plan as it is now (by its id or one of its trainings'), for answers to a change
    that could not be made."""
    if training_id is not None:
        training = await Training.get_or_none(id=training_id)
        plan_id = training.plan_id if training else None
    return await Plan.get_or_none(id=plan_id) if plan_id is not None else None
