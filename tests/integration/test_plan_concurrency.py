"""Plan rules hold under concurrent requests: exactly one of many conflicting changes wins.

On PostgreSQL the requests really run at once (a pool of connections, row locks decide); on
SQLite the database serialises them. The same assertions hold on both."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any

import pytest
from tortoise.functions import Sum

from models.enums import OPEN_PLAN_STATUSES, PlanStatus
from models.plans import Allocation, Plan, PlanParty, TrainingMentor
from tests.api.plan_fixtures import World, at, build_world, day
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

REQUESTS = 24

PROPOSE = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id version } errors { code message } }
}
"""

RESPOND = """
mutation ($input: RespondToPlanInput!) {
  respondToPlan(input: $input) { plan { id version status } errors { code message } }
}
"""

_worlds = itertools.count()


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"race{next(_worlds)}")


def _proposal(world: World, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"]],
        "title": title,
        "startsOn": day(0),
        "endsOn": day(30),
        **extra,
    }


async def _all(
    gql: GraphQLClient, calls: list[tuple[str, dict[str, Any], str]], world: World
) -> list[dict]:
    bodies = await asyncio.gather(
        *(gql(query, variables, headers=world.headers(who)) for query, variables, who in calls)
    )
    return [next(iter(body["data"].values())) for body in bodies]


def _outcomes(payloads: list[dict]) -> Counter[str]:
    return Counter(p["errors"][0]["code"] if p["errors"] else "OK" for p in payloads)


async def test_the_same_version_answered_many_times_wins_once(
    gql: GraphQLClient, world: World
) -> None:
    proposed = await gql(
        PROPOSE, {"input": _proposal(world, "Satu versi")}, headers=world.headers("k1")
    )
    plan = proposed["data"]["proposePlan"]["plan"]
    respond = {"input": {"planId": plan["id"], "version": 1, "decision": "ACCEPT"}}

    payloads = await _all(gql, [(RESPOND, respond, "staff")] * REQUESTS, world)

    assert _outcomes(payloads) == {"OK": 1, "CONFLICT": REQUESTS - 1}
    rows = await Plan.filter(
        title="Satu versi",
        centre__kecamatan__code="31.71.01",
        parties__community_id=world.community_pk["K1"],
    )
    assert [(p.version, p.status) for p in rows] == [(2, PlanStatus.ACTIVE)]
    assert await PlanParty.filter(plan_id=rows[0].id, responded_by_id__isnull=False).count() == 2


async def test_a_mentors_last_free_places_go_to_one_plan(gql: GraphQLClient, world: World) -> None:
    allocation = {"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 8}
    calls = [
        (PROPOSE, {"input": _proposal(world, f"Rebutan {i}", allocations=[allocation])}, "k1")
        for i in range(REQUESTS)
    ]

    payloads = await _all(gql, calls, world)

    assert _outcomes(payloads) == {"OK": 1, "CAPACITY_EXCEEDED": REQUESTS - 1}
    held = (
        await Allocation.filter(
            mentor_id=world.mentor_pk["M1"], plan__status__in=OPEN_PLAN_STATUSES
        )
        .annotate(total=Sum("mentees"))
        .first()
        .values("total")
    )
    assert held == {"total": 8}  # capacity 8: never more


async def test_a_mentors_hour_goes_to_one_training(gql: GraphQLClient, world: World) -> None:
    calls = []
    for i in range(REQUESTS):
        training = {
            "title": f"Jam yang sama {i}",
            "sectorCode": "KULINER",
            # Different, overlapping slots: 09:00-11:00, 09:05-11:05, ...
            "startsAt": at(12, 9, i % 50),
            "endsAt": at(12, 11, i % 50),
            "mentorIds": [world.mentor["M2"]],
        }
        calls.append(
            (PROPOSE, {"input": _proposal(world, f"Bentrok {i}", trainings=[training])}, "k1")
        )

    payloads = await _all(gql, calls, world)

    assert _outcomes(payloads) == {"OK": 1, "DOUBLE_BOOKED": REQUESTS - 1}
    assert await TrainingMentor.filter(mentor_id=world.mentor_pk["M2"]).count() == 1
