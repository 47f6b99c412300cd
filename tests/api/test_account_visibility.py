"""Accounts are visible to admins, to themselves, and through the plans the viewer may see;
never listed to anonymous clients or partner apps (DESIGN section 6)."""

from __future__ import annotations

import pytest

from hub.core import encode_global_id
from models.accounts import Account
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import PROPOSE, proposal
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Account { id name role } } }"


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    return await build_world("acc")


async def shown(gql: GraphQLClient, world: World, who: str | None) -> set[str]:
    """The emails' local parts of the accounts that `nodes` shows `who`, asking for all."""
    accounts = await Account.all().order_by("id")
    ids = [encode_global_id("Account", a.id) for a in accounts]
    body = await gql(NODES, {"ids": ids}, headers=world.headers(who))
    assert "errors" not in body
    by_id = {encode_global_id("Account", a.id): a.email.split(".")[0] for a in accounts}
    return {by_id[node["id"]] for node in body["data"]["nodes"] if node}


async def test_anonymous_clients_see_no_account(gql: GraphQLClient, world: World) -> None:
    assert await shown(gql, world, None) == set()


async def test_a_partner_app_sees_only_itself(gql: GraphQLClient, world: World) -> None:
    assert await shown(gql, world, "partner") == {"partner"}


async def test_admins_see_every_account(gql: GraphQLClient, world: World) -> None:
    assert await shown(gql, world, "admin") == {
        "admin",
        "staff",
        "other_staff",
        "k1",
        "k2",
        "k3",
        "partner",
    }


async def test_parties_see_the_accounts_acting_in_their_plans(
    gql: GraphQLClient, world: World
) -> None:
    assert await shown(gql, world, "staff") == {"staff"}

    body = await gql(PROPOSE, {"input": proposal(world)}, headers=world.headers("k1"))
    assert body["data"]["proposePlan"]["errors"] == []

    assert await shown(gql, world, "staff") == {"staff", "k1"}
    assert await shown(gql, world, "k2") == {"k2", "k1"}
    assert await shown(gql, world, "k3") == {"k3"}
    assert await shown(gql, world, "other_staff") == {"other_staff"}
    assert await shown(gql, world, None) == set()
