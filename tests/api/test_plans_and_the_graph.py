"""The graph's answers change with plans: a plan's mentors leave the free capacity, an active
plan fills the gap, and cancelling or completing gives both back."""

from __future__ import annotations

import pytest

from hub.core import dataversion
from models.directory import Centre, Demand, Sector
from tests.api.plan_fixtures import World, build_world, day
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

GAMBIR = """
query {
  kecamatan(code: "31.71.01") {
    needs { sector { code } demand supply gap }
    complements(first: 20, sectors: ["KULINER"]) { community { name } filled
      sectors { sector { code } gap free filled } }
  }
}
"""

PROPOSE = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id version status } errors { code message } }
}
"""
RESPOND = """
mutation ($input: RespondToPlanInput!) {
  respondToPlan(input: $input) { plan { id version status } errors { code message } }
}
"""
CANCEL = """
mutation ($input: CancelPlanInput!) {
  cancelPlan(input: $input) { plan { id version status } errors { code message } }
}
"""
COMPLETE = """
mutation ($input: CompletePlanInput!) {
  completePlan(input: $input) { plan { id version status } errors { code message } }
}
"""


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    world = await build_world("graph")
    gambir = await Centre.get(kecamatan__code="31.71.01")
    await Demand.create(centre=gambir, sector=await Sector.get(code="KULINER"), demand=40)
    await dataversion.bump()
    return world


async def _state(gql: GraphQLClient, world: World) -> tuple[int, int, int]:
    """Gambir's KULINER supply and gap, and the free KULINER places of community K1."""
    body = await gql(GAMBIR)
    kecamatan = body["data"]["kecamatan"]
    need = next(n for n in kecamatan["needs"] if n["sector"]["code"] == "KULINER")
    k1 = next(c for c in kecamatan["complements"] if c["community"]["name"] == f"K1 {world.tag}")
    free = next(s["free"] for s in k1["sectors"] if s["sector"]["code"] == "KULINER")
    return need["supply"], need["gap"], free


async def _active_plan(gql: GraphQLClient, world: World, title: str) -> dict:
    allocation = {"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 6}
    proposal = {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"]],
        "title": title,
        "startsOn": day(-1),
        "endsOn": day(30),
        "allocations": [allocation],
    }
    body = await gql(PROPOSE, {"input": proposal}, headers=world.headers("k1"))
    plan = body["data"]["proposePlan"]["plan"]
    return plan


async def test_an_active_plan_fills_the_gap_until_it_is_cancelled(
    gql: GraphQLClient, world: World
) -> None:
    # Given Gambir: demand 40, its mentor C0 offers 10 places; K1 has M1 (8) and M2 (5) free.
    supply, gap, free = await _state(gql, world)
    assert (supply, gap, free) == (10, 30, 13)

    # When K1 proposes M1 for 6 mentees, M1's places are held but the gap stays.
    plan = await _active_plan(gql, world, "Gap plan")
    assert await _state(gql, world) == (10, 30, 7)

    # When the centre accepts, the plan is active: the centre's supply grows by 6.
    body = await gql(
        RESPOND,
        {"input": {"planId": plan["id"], "version": 1, "decision": "ACCEPT"}},
        headers=world.headers("staff"),
    )
    assert body["data"]["respondToPlan"]["plan"]["status"] == "ACTIVE"
    assert await _state(gql, world) == (16, 24, 7)

    # When it is cancelled, both come back.
    body = await gql(
        CANCEL, {"input": {"planId": plan["id"], "version": 2}}, headers=world.headers("staff")
    )
    assert body["data"]["cancelPlan"]["plan"]["status"] == "CANCELLED"
    assert await _state(gql, world) == (10, 30, 13)


async def test_completing_a_plan_gives_the_places_back(gql: GraphQLClient, world: World) -> None:
    plan = await _active_plan(gql, world, "Complete plan")
    await gql(
        RESPOND,
        {"input": {"planId": plan["id"], "version": 1, "decision": "ACCEPT"}},
        headers=world.headers("staff"),
    )
    assert await _state(gql, world) == (16, 24, 7)

    body = await gql(
        COMPLETE, {"input": {"planId": plan["id"], "version": 2}}, headers=world.headers("staff")
    )

    assert body["data"]["completePlan"]["plan"]["status"] == "COMPLETED"
    assert await _state(gql, world) == (10, 30, 13)


async def test_a_declined_plan_releases_its_mentors(gql: GraphQLClient, world: World) -> None:
    plan = await _active_plan(gql, world, "Declined plan")
    assert await _state(gql, world) == (10, 30, 7)

    await gql(
        RESPOND,
        {"input": {"planId": plan["id"], "version": 1, "decision": "DECLINE"}},
        headers=world.headers("staff"),
    )

    assert await _state(gql, world) == (10, 30, 13)
