"""The event stream (DESIGN section 10): a row per change in the change's transaction, in
commit order, behind opaque cursors; PlanEvent's place in it; latestEventCursor; retention."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from hub.core import Invalid, decode_global_id
from hub.core.ids import encode_cursor
from hub.integration import events_after, latest_position, position_of, purge_events
from models.integration import Event
from models.plans import PlanEvent, Training
from tests.api.participation_world import build_participation_world
from tests.api.plan_fixtures import World, build_world
from tests.api.test_participation import CANCEL, CONSENT, REGISTER, resident
from tests.api.test_plans import (
    CANCEL_TRAINING,
    COMPLETE_TRAINING,
    RESCHEDULE,
    active_plan,
    answer,
    at,
    propose,
)
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

LATEST = "query { latestEventCursor }"

HISTORY = """
query ($id: ID!) {
  node(id: $id) {
    ... on Plan {
      events { kind event cursor version plan { id } training { title } actor { email } }
    }
  }
}
"""


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"e{next(_worlds)}")


async def latest(gql: GraphQLClient) -> str | None:
    cursor: str | None = (await gql(LATEST))["data"]["latestEventCursor"]
    return cursor


async def stream_since(position: int) -> list[tuple[str | None, str | None, int | None]]:
    """(event kind, history kind, training) of every event after `position`, in order."""
    return [
        (e.kind, e.history.kind if e.history else None, e.training_id)
        for e in await events_after(position, limit=1000)
    ]


async def test_a_plans_life_writes_its_events_in_order(gql: GraphQLClient, world: World) -> None:
    # Given the stream as it is
    start = await latest_position()

    # When a plan is proposed, answered twice (activating it), a training rescheduled and done
    plan = (await propose(gql, world))["plan"]
    plan = (await answer(gql, world, plan, "staff"))["plan"]
    plan = (await answer(gql, world, plan, "k2"))["plan"]
    (training,) = plan["trainings"]
    training_pk = int(
        (await Event.filter(kind="TRAINING_SCHEDULED").order_by("-position").first()).training_id  # type: ignore[union-attr]
    )
    moved = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": training["id"],
                "version": plan["version"],
                "startsAt": at(11, 9),
                "endsAt": at(11, 12),
            }
        },
        headers=world.headers("staff"),
    )
    assert moved["data"]["rescheduleTraining"]["errors"] == []

    # Then every change is in the stream, in commit order, with its history line
    assert await stream_since(start) == [
        ("PLAN_PROPOSED", "PROPOSED", None),
        ("PLAN_ANSWERED", "ACCEPTED", None),
        ("PLAN_ANSWERED", "ACCEPTED", None),
        ("PLAN_ACTIVATED", "ACTIVATED", None),
        ("TRAINING_SCHEDULED", None, training_pk),
        ("TRAINING_CHANGED", "TRAINING_RESCHEDULED", training_pk),
    ]
    positions = [e.position for e in await events_after(start, limit=1000)]
    assert positions == list(range(positions[0], positions[0] + 6))

    # And the history shows each line's event kind, cursor, plan and training
    body = await gql(HISTORY, {"id": plan["id"]}, headers=world.headers("staff"))
    events = body["data"]["node"]["events"]
    assert [(e["kind"], e["event"]) for e in events] == [
        ("PROPOSED", "PLAN_PROPOSED"),
        ("ACCEPTED", "PLAN_ANSWERED"),
        ("ACCEPTED", "PLAN_ANSWERED"),
        ("ACTIVATED", "PLAN_ACTIVATED"),
        ("TRAINING_RESCHEDULED", "TRAINING_CHANGED"),
    ]
    assert [e["cursor"] for e in events] == [encode_cursor(positions[i]) for i in (0, 1, 2, 3, 5)]
    assert {e["plan"]["id"] for e in events} == {plan["id"]}
    assert [e["training"] for e in events] == [None] * 4 + [{"title": "Foto produk kuliner"}]
    assert events[0]["actor"] is not None

    # And latestEventCursor names the last one
    assert await latest(gql) == encode_cursor(positions[5])


async def test_a_history_only_line_has_a_cursor_and_no_event(
    gql: GraphQLClient, world: World
) -> None:
    # Given an active plan whose training has started
    plan = await active_plan(gql, world)
    (training,) = plan["trainings"]
    now = dt.datetime.now(dt.UTC)
    await Training.filter(id=decode_global_id(training["id"], "Training")).update(
        starts_at=now - dt.timedelta(hours=1)
    )
    start = await latest_position()

    # When it is marked done (a change the hub does not email about)
    done = await gql(
        COMPLETE_TRAINING,
        {"input": {"trainingId": training["id"], "version": plan["version"]}},
        headers=world.headers("staff"),
    )

    # Then it is a line of the history with a position, and no event kind
    assert done["data"]["completeTraining"]["errors"] == []
    ((kind, history, _),) = await stream_since(start)
    assert (kind, history) == (None, "TRAINING_DONE")
    body = await gql(HISTORY, {"id": plan["id"]}, headers=world.headers("staff"))
    last = body["data"]["node"]["events"][-1]
    assert (last["kind"], last["event"], last["cursor"]) == (
        "TRAINING_DONE",
        None,
        encode_cursor(await latest_position()),
    )
    assert last["training"] == {"title": training["title"]}


async def test_a_refused_change_writes_no_event(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]
    start = await latest_position()

    stale = await answer(gql, world, {**plan, "version": 7}, "staff")

    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    assert await latest_position() == start
    assert await Event.filter(position__gt=start).count() == 0


async def test_cancelling_a_training_and_its_plan(gql: GraphQLClient, world: World) -> None:
    plan = await active_plan(gql, world)
    (training,) = plan["trainings"]
    start = await latest_position()

    cancelled = await gql(
        CANCEL_TRAINING,
        {"input": {"trainingId": training["id"], "version": plan["version"], "reason": "Banjir"}},
        headers=world.headers("staff"),
    )
    done = await gql(
        COMPLETE_TRAINING,
        {"input": {"trainingId": training["id"], "version": plan["version"] + 1}},
        headers=world.headers("staff"),
    )

    assert cancelled["data"]["cancelTraining"]["errors"] == []
    assert [e["code"] for e in done["data"]["completeTraining"]["errors"]] == ["INVALID_STATE"]
    ((kind, history, training_pk),) = await stream_since(start)
    assert (kind, history) == ("TRAINING_CANCELLED", "TRAINING_CANCELLED")
    assert training_pk is not None


async def test_a_cancelled_plan_cancels_its_scheduled_trainings_in_the_stream(
    gql: GraphQLClient, world: World
) -> None:
    plan = await active_plan(gql, world)
    start = await latest_position()

    body = await gql(
        """mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) { errors { code } } }""",
        {"input": {"planId": plan["id"], "version": plan["version"], "reason": "Dana habis"}},
        headers=world.headers("staff"),
    )

    assert body["data"]["cancelPlan"]["errors"] == []
    kinds = [(k, h) for k, h, _ in await stream_since(start)]
    assert kinds == [("PLAN_CANCELLED", "CANCELLED"), ("TRAINING_CANCELLED", None)]


async def test_registrations_raise_registration_changed_with_counts(
    gql: GraphQLClient,
) -> None:
    # Given an open training with two places
    world = await build_participation_world(f"r{next(_worlds)}")
    start = await latest_position()

    # When three residents register (two confirmed, one waitlisted) and the first cancels
    made: list[dict[str, Any]] = []
    for n in range(3):
        body = await gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training("open"),
                    "participant": resident(n),
                    "consent": CONSENT,
                }
            },
            headers=world.headers("partner"),
        )
        made.append(body["data"]["registerForTraining"]["registration"])
    cancel = await gql(
        CANCEL, {"input": {"registrationId": made[0]["id"]}}, headers=world.headers("partner")
    )
    assert cancel["data"]["cancelRegistration"]["errors"] == []

    # Then each change is a REGISTRATION_CHANGED event of the training, with its counts
    events = await events_after(start, limit=100)
    assert [e.kind for e in events] == ["REGISTRATION_CHANGED"] * 4
    assert {e.training_id for e in events} == {world.trainings["open"]}
    assert {e.plan_id for e in events} == {world.plan_id}
    assert [(e.data["confirmed"], e.data["waitlisted"]) for e in events] == [
        (1, 0),
        (2, 0),
        (2, 1),
        (2, 0),
    ]
    # the cancellation names the cancelled registration and the promoted one
    assert [r["status"] for r in events[3].data["registrations"]] == ["CANCELLED", "CONFIRMED"]
    assert all(r["registeredBy"] is not None for r in events[3].data["registrations"])


async def test_cursors_are_checked(gql: GraphQLClient, world: World) -> None:
    await propose(gql, world)
    last = await latest_position()

    assert await position_of(encode_cursor(last), retention_days=30) == last
    assert await position_of(encode_cursor(last - 1), retention_days=30) == last - 1
    for bad in ["nonsense", encode_cursor(last + 1), "Y3Vyc29yOjAx"]:  # last: "cursor:01"
        with pytest.raises(Invalid) as refused:
            await position_of(bad, retention_days=30)
        assert refused.value.field == ["after"]


async def test_an_older_cursor_than_the_retention_is_invalid(
    gql: GraphQLClient, world: World
) -> None:
    # Given events of which all but the latest are 31 days old
    await propose(gql, world)
    await propose(gql, world, title="Kedua")
    last = await latest_position()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    await Event.filter(position__lt=last).update(at=old)

    # Then a cursor before the last kept event is refused, naming the way back
    with pytest.raises(Invalid) as refused:
        await position_of(encode_cursor(last - 2), retention_days=30)
    assert "latestEventCursor" in refused.value.message
    # and the one just before the oldest kept event still replays it
    assert await position_of(encode_cursor(last - 1), retention_days=30) == last - 1

    # And the purge deletes old stream-only events, never history lines nor the latest
    stream_only = await Event.create(kind="TRAINING_SCHEDULED", at=old)
    newest = await Event.create(kind="TRAINING_SCHEDULED", at=old)
    deleted = await purge_events(retention_days=30)
    assert deleted >= 1
    assert not await Event.filter(position=stream_only.position).exists()
    assert await Event.filter(position=newest.position).exists()
    assert await PlanEvent.filter(position__isnull=True).count() == 0
