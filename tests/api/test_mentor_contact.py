"""Another party's mentor's contact data shows only once that mentor's own party consents
(DESIGN section 6): in an ACTIVE plan, or a PROPOSED one their centre or community accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import RESPOND, proposal
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

PROPOSE_READING_CONTACTS = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) {
    plan { id version allocations { mentor { name email phone } } }
    errors { code message }
  }
}
"""

MENTOR = "query ($id: ID!) { node(id: $id) { ... on Mentor { email } } }"


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    return await build_world("mc")


async def email_of(gql: GraphQLClient, world: World, mentor: str, who: str) -> str | None:
    body = await gql(MENTOR, {"id": world.mentor[mentor]}, headers=world.headers(who))
    email: str | None = body["data"]["node"]["email"]
    return email


def allocations(world: World) -> list[dict[str, Any]]:
    return [
        {"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 2},
        {"mentorId": world.mentor["C0"], "sectorCode": "KULINER", "mentees": 2},
        {"mentorId": world.mentor["M3"], "sectorCode": "FESYEN", "mentees": 2},
    ]


async def test_contact_data_follows_the_owners_acceptance(gql: GraphQLClient, world: World) -> None:
    # given K1's coordinator proposes with Gambir's centre and K2, naming their mentors
    body = await gql(
        PROPOSE_READING_CONTACTS,
        {"input": proposal(world, allocations=allocations(world), trainings=[])},
        headers=world.headers("k1"),
    )
    plan = body["data"]["proposePlan"]["plan"]
    assert body["data"]["proposePlan"]["errors"] == []

    # then the proposal's payload reveals only K1's own mentor
    contacts = {a["mentor"]["name"].split()[1]: a["mentor"] for a in plan["allocations"]}
    assert contacts["M1"]["email"] == f"m1.{world.tag}@example.org"
    assert contacts["C0"]["email"] is None
    assert contacts["C0"]["phone"] is None
    assert contacts["M3"]["email"] is None
    forbidden = [e["path"][-1] for e in body["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
    assert sorted(forbidden) == ["email", "email", "phone", "phone"]

    # and the other parties see K1's mentor (K1 accepted by proposing), not K2's
    assert await email_of(gql, world, "M1", "staff") == f"m1.{world.tag}@example.org"
    assert await email_of(gql, world, "M3", "staff") is None
    assert await email_of(gql, world, "C0", "k2") is None

    # when the centre accepts, its mentor shows to the communities; K2's still does not
    answer = {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"}
    accepted = await gql(RESPOND, {"input": answer}, headers=world.headers("staff"))
    assert accepted["data"]["respondToPlan"]["plan"]["status"] == "PROPOSED"
    assert await email_of(gql, world, "C0", "k1") == f"c0.{world.tag}@example.org"
    assert await email_of(gql, world, "M3", "k1") is None

    # when K2 accepts too, the plan is ACTIVE and every party sees every mentor in it
    answer["version"] = accepted["data"]["respondToPlan"]["plan"]["version"]
    active = await gql(RESPOND, {"input": answer}, headers=world.headers("k2"))
    assert active["data"]["respondToPlan"]["plan"]["status"] == "ACTIVE"
    assert await email_of(gql, world, "M3", "k1") == f"m3.{world.tag}@example.org"
    assert await email_of(gql, world, "M3", "staff") == f"m3.{world.tag}@example.org"
    assert await email_of(gql, world, "C0", "k2") == f"c0.{world.tag}@example.org"
    # and a community that is no party still sees nothing
    assert await email_of(gql, world, "C0", "k3") is None
