"""Subscriptions over graphql-transport-ws: plan events and public training updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Callable
from typing import Annotated

import strawberry
from graphql import GraphQLError

from hub.core import HubError, decode_global_id
from hub.integration import TRAINING_KINDS, EventKind, cursor_of, position_of
from hub.integration.fanout import Delivery, SlowConsumer, current_fanout
from schema.context import Info, Loaders
from schema.integration import types as _types  # noqa: F401 - registers the EventKind enum
from schema.integration.sharing import share_results
from schema.plans.types import PlanEvent, Training


@strawberry.input(description="Which plan events to receive (all the viewer may see by default).")
class PlanEventFilter:
    plan_id: strawberry.ID | None = strawberry.field(default=None, description="Of this plan.")
    kecamatan_code: str | None = strawberry.field(
        default=None, description="Of plans of the centre of this kecamatan."
    )
    community_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of plans this community is a party of."
    )


@strawberry.type(description="A change of a public training (of an active or completed plan).")
class TrainingUpdate:
    cursor: str = strawberry.field(
        description="Its position in the event stream: resume after it with `after`."
    )
    kind: EventKind = strawberry.field(description="What changed.")
    at: dt.datetime = strawberry.field(description="When.")
    training: Annotated[Training, strawberry.lazy("schema.plans.types")] = strawberry.field(
        description="The training as it is now."
    )


def _public(error: HubError) -> GraphQLError:
    extensions: dict[str, object] = {"code": error.code.value}
    if error.field:
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


SLOW_CONSUMER = GraphQLError(
    "This subscription fell too far behind the events and was closed: subscribe again with "
    "the cursor of the last event received as `after`.",
    extensions={"code": "SLOW_CONSUMER"},
)


def _shared_loaders(delivery: Delivery) -> Loaders:
    """One set of loaders per event and process, shared by its subscribers: the loaders hold
    rows by key, never by viewer (each field checks what its viewer may see), so the plan a
    thousand subscribers' payloads name is read once, not a thousand times. They start with
    the plan and training that the fan-out read with the event."""
    loaders = delivery.memo.get("loaders")
    if not isinstance(loaders, Loaders):
        loaders = Loaders()
        if delivery.plan is not None:
            loaders.plan_by_id.prime(delivery.plan.id, delivery.plan)
        if delivery.training is not None:
            loaders.training_by_id.prime(delivery.training.id, delivery.training)
        delivery.memo["loaders"] = loaders
    return loaders


async def _deliveries(
    info: Info, after: str | None, wanted: Callable[[Delivery], bool]
) -> AsyncGenerator[Delivery, None]:
    try:
        position = (
            await position_of(after, retention_days=info.context.settings.event_retention_days)
            if after is not None
            else None
        )
    except HubError as error:
        raise _public(error) from None
    try:
        async for delivery in current_fanout().subscribe(after=position, wanted=wanted):
            info.context.read_again(_shared_loaders(delivery))  # each event as it is now
            yield delivery
    except SlowConsumer:
        raise SLOW_CONSUMER from None


@strawberry.type
class IntegrationSubscriptions:
    @strawberry.subscription(
        description=(
            "The plans' events, as the viewer may see plans (admins all; staff and "
            "coordinators those of their parties; nothing for anonymous clients and partner "
            "apps). With `after` (a cursor), first every later event in order, then live "
            "ones; without, live ones only. A subscriber that falls too far behind gets "
            "`SLOW_CONSUMER` and is closed; it resumes with its last cursor."
        )
    )
    async def plan_events(
        self, info: Info, filter: PlanEventFilter | None = None, after: str | None = None
    ) -> AsyncGenerator[PlanEvent, None]:
        viewer = info.context.viewer
        try:
            plan_pk = (
                decode_global_id(filter.plan_id, "Plan", field="planId")
                if filter and filter.plan_id
                else None
            )
            community_pk = (
                decode_global_id(filter.community_id, "Community", field="communityId")
                if filter and filter.community_id
                else None
            )
        except HubError as error:
            raise _public(error) from None
        kecamatan = filter.kecamatan_code if filter else None

        def wanted(d: Delivery) -> bool:
            kind = d.event.kind
            return (
                kind != EventKind.REGISTRATION_CHANGED
                and d.visible_to(viewer)
                and (plan_pk is None or d.event.plan_id == plan_pk)
                and (kecamatan is None or d.kecamatan_code == kecamatan)
                and (community_pk is None or any(p.community_id == community_pk for p in d.parties))
            )

        async for delivery in _deliveries(info, after, wanted):
            shared = delivery.memo.get("plan_event")
            if not isinstance(shared, PlanEvent):
                shared = PlanEvent.from_stream(delivery.event, delivery.event.history)
                delivery.memo["plan_event"] = share_results(shared, delivery.memo)
            yield shared

    @strawberry.subscription(
        description=(
            "Changes of public trainings (scheduled, changed, cancelled, registrations), for "
            "everyone, optionally of one kecamatan's centre. `after` as for `planEvents`."
        )
    )
    async def training_updates(
        self, info: Info, kecamatan_code: str | None = None, after: str | None = None
    ) -> AsyncGenerator[TrainingUpdate, None]:
        def wanted(d: Delivery) -> bool:
            kind = d.event.kind
            return (
                kind is not None
                and EventKind(kind) in TRAINING_KINDS
                and d.public_training
                and (kecamatan_code is None or d.kecamatan_code == kecamatan_code)
            )

        async for delivery in _deliveries(info, after, wanted):
            assert delivery.training is not None
            assert delivery.event.kind is not None
            update = delivery.memo.get("training_update")
            if not isinstance(update, TrainingUpdate):
                update = TrainingUpdate(
                    cursor=cursor_of(delivery.position),
                    kind=EventKind(delivery.event.kind),
                    at=delivery.event.at,
                    training=Training.from_model(delivery.training),
                )
                delivery.memo["training_update"] = share_results(update, delivery.memo)
            yield update
