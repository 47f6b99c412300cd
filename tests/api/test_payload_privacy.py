"""A mutation's payload shows only what the same viewer could read with a query (DESIGN 6, 9)."""

from __future__ import annotations

import itertools

import pytest

from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import PROPOSE, RESPOND, REVISE, proposal
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"pp{next(_worlds)}")


async def proposed(gql: GraphQLClient, world: World) -> dict:
    body = await gql(PROPOSE, {"input": proposal(world)}, headers=world.headers("k1"))
    plan: dict = body["data"]["proposePlan"]["plan"]
    assert plan["status"] == "PROPOSED"
    return plan


@pytest.mark.parametrize("who", [None, "partner", "k3", "other_staff"])
async def test_a_malformed_id_in_an_answer_shows_no_plan(
    gql: GraphQLClient, world: World, who: str | None
) -> None:
    plan = await proposed(gql, world)
    variables = {
        "input": {
            "planId": plan["id"],
            "version": 1,
            "decision": "ACCEPT",
            "communityId": "bukan-id",
        }
    }

    body = await gql(RESPOND, variables, headers=world.headers(who))

    payload = body["data"]["respondToPlan"]
    assert payload["plan"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["communityId"])]


@pytest.mark.parametrize("who", [None, "partner", "k3", "other_staff"])
async def test_a_malformed_id_in_a_revision_shows_no_plan(
    gql: GraphQLClient, world: World, who: str | None
) -> None:
    plan = await proposed(gql, world)
    variables = {
        "input": {
            "planId": plan["id"],
            "version": 1,
            "allocations": [{"mentorId": "bukan-id", "sectorCode": "KULINER", "mentees": 1}],
        }
    }

    body = await gql(REVISE, variables, headers=world.headers(who))

    payload = body["data"]["revisePlan"]
    assert payload["plan"] is None
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]


async def test_a_stranger_with_a_stale_version_sees_no_plan(
    gql: GraphQLClient, world: World
) -> None:
    plan = await proposed(gql, world)
    for who in [None, "partner", "k3", "other_staff"]:
        variables = {"input": {"planId": plan["id"], "version": 7, "title": "Diambil alih"}}

        body = await gql(REVISE, variables, headers=world.headers(who))

        payload = body["data"]["revisePlan"]
        assert payload["plan"] is None, who
        assert payload["errors"], who


async def test_a_party_still_gets_the_plan_as_it_is_after_a_conflict(
    gql: GraphQLClient, world: World
) -> None:
    plan = await proposed(gql, world)
    variables = {"input": {"planId": plan["id"], "version": 7, "decision": "ACCEPT"}}

    body = await gql(RESPOND, variables, headers=world.headers("staff"))

    payload = body["data"]["respondToPlan"]
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
    assert payload["plan"]["id"] == plan["id"]
    assert payload["plan"]["version"] == 1
