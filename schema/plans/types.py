"""GraphQL types of joint mentoring plans and trainings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal

import strawberry
from strawberry import relay

from hub.access import PUBLIC_TRAINING_PLAN_STATUSES, can_see_plan
from hub.integration import EventKind as EventKindValues
from hub.integration import cursor_of
from hub.integration.events import event_kind_of
from models import plans as m
from models.integration import Event
from schema.accounts.types import Account, load_account
from schema.common import Connection, load_nodes
from schema.context import Info
from schema.directory.types import Centre, Community, Mentor, Sector, load_sector
from schema.enums import PartyStatus, PlanStatus, TrainingStatus
from schema.integration.types import EventKind as EventKind  # registers the enum
from schema.notifications.types import Notification, plan_notifications

if TYPE_CHECKING:
    from schema.participation.types import Registration


async def _centre(info: Info, centre_id: int) -> Centre:
    row = await info.context.loaders.centre_by_id.load(centre_id)
    assert row is not None
    return Centre.from_model(row)


async def plan_visible(info: Info, plan: m.Plan) -> bool:
    parties = await info.context.loaders.parties_by_plan_id.load(plan.id)
    return can_see_plan(info.context.viewer, plan, parties)


@strawberry.type(
    description=(
        "A training session on one sector, part of a plan. Trainings of active and completed "
        "plans are public, so partner apps can publish schedules."
    )
)
class Training(relay.Node):
    pk: relay.NodeID[int]
    title: str = strawberry.field(description="Title of the session.")
    starts_at: dt.datetime = strawberry.field(description="Start (UTC; shown in Asia/Jakarta).")
    ends_at: dt.datetime = strawberry.field(description="End (UTC).")
    venue: str = strawberry.field(description="Where it takes place.")
    capacity: int | None = strawberry.field(description="Participants at most.")
    status: TrainingStatus = strawberry.field(description="Planned, scheduled, cancelled or done.")
    revision: int = strawberry.field(
        description="Grows with every change of time or place (the calendar invite's SEQUENCE)."
    )
    row: strawberry.Private[m.Training]

    @classmethod
    def from_model(cls, training: m.Training) -> Training:
        return cls(
            pk=training.id,
            title=training.title,
            starts_at=training.starts_at,
            ends_at=training.ends_at,
            venue=training.venue,
            capacity=training.capacity,
            status=training.status,
            revision=training.revision,
            row=training,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Training | None]:
        trainings = await load_nodes(info.context.loaders.training_by_id, node_ids, cls.from_model)
        return [t if t and await t._visible(info) else None for t in trainings]

    async def _visible(self, info: Info) -> bool:
        plan = await info.context.loaders.plan_by_id.load(self.row.plan_id)
        assert plan is not None
        return plan.status in PUBLIC_TRAINING_PLAN_STATUSES or await plan_visible(info, plan)

    @strawberry.field(description="The sector it teaches.")
    async def sector(self, info: Info) -> Sector:
        return await load_sector(info, self.row.sector_id)

    @strawberry.field(description="The host centre.")
    async def centre(self, info: Info) -> Centre:
        return await _centre(info, self.row.centre_id)

    @strawberry.field(description="The communities that organise it.")
    async def organisers(self, info: Info) -> list[Community]:
        links = await info.context.loaders.organisers_by_training_id.load(self.pk)
        rows = await info.context.loaders.community_by_id.load_many([x.community_id for x in links])
        return [Community.from_model(r) for r in rows if r]

    @strawberry.field(description="The mentors who teach it.")
    async def mentors(self, info: Info) -> list[Mentor]:
        links = await info.context.loaders.mentor_links_by_training_id.load(self.pk)
        rows = await info.context.loaders.mentor_by_id.load_many([x.mentor_id for x in links])
        return [Mentor.from_model(r) for r in rows if r]

    @strawberry.field(description="Participants confirmed (public).")
    async def registered_count(self, info: Info) -> int:
        counts = await info.context.loaders.registration_counts_by_training_id.load(self.pk)
        return counts.confirmed

    @strawberry.field(description="Places still free (public); null without a capacity.")
    async def places_left(self, info: Info) -> int | None:
        if self.capacity is None:
            return None
        counts = await info.context.loaders.registration_counts_by_training_id.load(self.pk)
        return max(0, self.capacity - counts.confirmed)

    @strawberry.field(description="Participants on the waitlist (public).")
    async def waitlist_count(self, info: Info) -> int:
        counts = await info.context.loaders.registration_counts_by_training_id.load(self.pk)
        return counts.waitlisted

    @strawberry.field(description="Confirmed participants recorded as present (public).")
    async def attended_count(self, info: Info) -> int:
        counts = await info.context.loaders.registration_counts_by_training_id.load(self.pk)
        return counts.attended

    @strawberry.field(
        description=(
            "Its registrations the viewer may see (admins, the host centre's staff and the "
            "organisers all; other accounts those they made), confirmed first, then the "
            "waitlist by position."
        )
    )
    async def registrations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Registration, strawberry.lazy("schema.participation.types")]]:
        from schema.common import slice_connection
        from schema.participation.types import Registration

        pairs = await info.context.registrations_by_training_id().load(self.pk)
        nodes = [Registration.from_model(r, participant_visible=v) for r, v in pairs]
        return slice_connection(nodes, first=first, after=after)

    @strawberry.field(description="The plan it belongs to, when the viewer may see that plan.")
    async def plan(self, info: Info) -> Plan | None:
        row = await info.context.loaders.plan_by_id.load(self.row.plan_id)
        return Plan.from_model(row) if row and await plan_visible(info, row) else None


@strawberry.type(description="One side of a plan: its centre or one of its communities.")
class Party:
    status: PartyStatus = strawberry.field(description="Pending, accepted or declined.")
    responded_at: dt.datetime | None = strawberry.field(description="When it answered.")
    note: str | None = strawberry.field(description="What it said with its answer.")
    row: strawberry.Private[m.PlanParty]

    @strawberry.field(description="The centre, when this party is the centre.")
    async def centre(self, info: Info) -> Centre | None:
        return await _centre(info, self.row.centre_id) if self.row.centre_id else None

    @strawberry.field(description="The community, when this party is a community.")
    async def community(self, info: Info) -> Community | None:
        if self.row.community_id is None:
            return None
        row = await info.context.loaders.community_by_id.load(self.row.community_id)
        return Community.from_model(row) if row else None

    @strawberry.field(description="Who answered for this party.")
    async def responded_by(self, info: Info) -> Account | None:
        return await load_account(info, self.row.responded_by_id)


@strawberry.type(description="A mentor's commitment in a plan: mentees in one sector.")
class Allocation:
    mentees: int = strawberry.field(description="Entrepreneurs the mentor takes on.")
    row: strawberry.Private[m.Allocation]

    @strawberry.field(description="The mentor.")
    async def mentor(self, info: Info) -> Mentor:
        row = await info.context.loaders.mentor_by_id.load(self.row.mentor_id)
        assert row is not None
        return Mentor.from_model(row)

    @strawberry.field(description="The sector.")
    async def sector(self, info: Info) -> Sector:
        return await load_sector(info, self.row.sector_id)


@strawberry.type(
    description=(
        "One change in a plan's history, and its place in the event stream: history and "
        "stream are one source. `kind` keeps the history's words; `event` is its `EventKind` "
        "(PROPOSED: PLAN_PROPOSED, ACCEPTED: PLAN_ANSWERED, DECLINED: PLAN_DECLINED, "
        "REVISED: PLAN_REVISED, ACTIVATED: PLAN_ACTIVATED, CANCELLED: PLAN_CANCELLED, "
        "COMPLETED: PLAN_COMPLETED, TRAINING_RESCHEDULED: TRAINING_CHANGED, "
        "TRAINING_CANCELLED: TRAINING_CANCELLED; TRAINING_DONE is history only, with a null "
        "`event`). A training scheduled at activation or cancelled with its plan is an event "
        "of its own in `planEvents`, with `kind` equal to its `event`."
    )
)
class PlanEvent:
    kind: str = strawberry.field(description="What happened, e.g. `PROPOSED`, `ACCEPTED`.")
    at: dt.datetime = strawberry.field(description="When.")
    details: str | None = strawberry.field(description="Particulars, such as a note or reason.")
    version: int = strawberry.field(description="The plan's version after the change.")
    event: EventKindValues | None = strawberry.field(
        description="Its kind in the event stream; null for history-only kinds (TRAINING_DONE)."
    )
    actor_id: strawberry.Private[int | None]
    plan_id: strawberry.Private[int]
    position: strawberry.Private[int]
    training_id: strawberry.Private[int | Literal["unknown"] | None]

    @classmethod
    def from_history(cls, row: m.PlanEvent) -> PlanEvent:
        return cls(
            kind=row.kind,
            at=row.at,
            details=row.details,
            version=row.version,
            event=event_kind_of(row.kind),
            actor_id=row.actor_id,
            plan_id=row.plan_id,
            position=row.position or 0,
            training_id="unknown",
        )

    @classmethod
    def from_stream(cls, event: Event, history: m.PlanEvent | None) -> PlanEvent:
        """A stream event as a plan event: its history line, or (a training scheduled or
        cancelled with its plan) the event alone."""
        kind = EventKindValues(event.kind) if event.kind else None
        return cls(
            kind=history.kind if history else (kind.value if kind else ""),
            at=event.at,
            details=history.details if history else None,
            version=history.version if history else int(event.data.get("version", 0)),
            event=kind,
            actor_id=event.actor_id,
            plan_id=event.plan_id or 0,
            position=event.position,
            training_id=event.training_id,
        )

    @strawberry.field(
        description=(
            "Its position in the event stream (opaque): give it as `after` to a subscription "
            "to receive what came after it."
        )
    )
    def cursor(self) -> str:
        return cursor_of(self.position)

    @strawberry.field(description="Who made the change.")
    async def actor(self, info: Info) -> Account | None:
        return await load_account(info, self.actor_id)

    @strawberry.field(description="The plan it belongs to.")
    async def plan(self, info: Info) -> Plan:
        row = await info.context.loaders.plan_by_id.load(self.plan_id)
        assert row is not None
        return Plan.from_model(row)

    @strawberry.field(description="The training it concerns, if one (and it still exists).")
    async def training(self, info: Info) -> Training | None:
        training_id = self.training_id
        if training_id == "unknown":
            event = await info.context.loaders.event_by_position.load(self.position)
            training_id = event.training_id if event else None
        if training_id is None:
            return None
        row = await info.context.loaders.training_by_id.load(training_id)
        return Training.from_model(row) if row else None


@strawberry.type(
    description=(
        "A joint mentoring plan (rencana pendampingan bersama): a centre and communities agree "
        "who mentors how many entrepreneurs in which sector, and which trainings they run. "
        "Visible to admins and to the staff and coordinators of its parties."
    )
)
class Plan(relay.Node):
    pk: relay.NodeID[int]
    title: str = strawberry.field(description="Title.")
    goals: str | None = strawberry.field(description="What the plan wants to achieve.")
    status: PlanStatus = strawberry.field(description="Where the plan stands.")
    version: int = strawberry.field(
        description="Grows with every change; every change must name the version it was made on."
    )
    starts_on: dt.date = strawberry.field(description="First day.")
    ends_on: dt.date = strawberry.field(description="Last day.")
    created_at: dt.datetime = strawberry.field(description="When it was proposed.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")
    row: strawberry.Private[m.Plan]

    @classmethod
    def from_model(cls, plan: m.Plan) -> Plan:
        return cls(
            pk=plan.id,
            title=plan.title,
            goals=plan.goals,
            status=plan.status,
            version=plan.version,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            created_at=plan.created_at,
            updated_at=plan.updated_at,
            row=plan,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Plan | None]:
        plans = await load_nodes(info.context.loaders.plan_by_id, node_ids, cls.from_model)
        return [p if p and await plan_visible(info, p.row) else None for p in plans]

    @strawberry.field(description="The centre whose kecamatan the plan serves.")
    async def centre(self, info: Info) -> Centre:
        return await _centre(info, self.row.centre_id)

    @strawberry.field(description="Who proposed it.")
    async def proposed_by(self, info: Info) -> Account | None:
        return await load_account(info, self.row.proposed_by_id)

    @strawberry.field(description="The centre and the communities, with their answers.")
    async def parties(self, info: Info) -> list[Party]:
        rows = await info.context.loaders.parties_by_plan_id.load(self.pk)
        return [
            Party(status=p.status, responded_at=p.responded_at, note=p.note, row=p) for p in rows
        ]

    @strawberry.field(description="Who mentors how many entrepreneurs in which sector.")
    async def allocations(self, info: Info) -> list[Allocation]:
        rows = await info.context.loaders.allocations_by_plan_id.load(self.pk)
        return [Allocation(mentees=a.mentees, row=a) for a in rows]

    @strawberry.field(description="Its trainings, by start.")
    async def trainings(self, info: Info) -> list[Training]:
        rows = await info.context.loaders.trainings_by_plan_id.load(self.pk)
        return [Training.from_model(t) for t in rows]

    @strawberry.field(description="Its history, oldest first.")
    async def events(self, info: Info) -> list[PlanEvent]:
        rows = await info.context.loaders.events_by_plan_id.load(self.pk)
        return [PlanEvent.from_history(e) for e in rows]

    @strawberry.field(
        description="Its emails, newest first, with their delivery status, attempts and errors."
        " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
    )
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Notification]:
        return await plan_notifications(info, self.row, first=first, after=after)
