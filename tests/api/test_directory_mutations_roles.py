"""Who may change the directory: every mutation against every role.

ADMIN everything; COORDINATOR their own community and its mentors; STAFF their own centre's
mentors and demand; PARTNER apps and anonymous clients nothing."""

from __future__ import annotations

from typing import Any

import pytest

from models.directory import Community, Demand, Mentor
from tests.api.directory_fixtures import (
    ROLES,
    Directory,
    audit_count,
    directory_world,
    mentor_id,
    new_mentor,
    unique,
)
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("demo_data")

CREATE_COMMUNITY = """
mutation ($input: CreateCommunityInput!) {
  createCommunity(input: $input) { community { name } errors { code field message } }
}
"""

UPDATE_COMMUNITY = """
mutation ($input: UpdateCommunityInput!) {
  updateCommunity(input: $input) { community { name description } errors { code field message } }
}
"""

CREATE_MENTOR = """
mutation ($input: CreateMentorInput!) {
  createMentor(input: $input) { mentor { name active } errors { code field message } }
}
"""

UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) { mentor { name } errors { code field message } }
}
"""

DEACTIVATE_MENTOR = """
mutation ($input: DeactivateMentorInput!) {
  deactivateMentor(input: $input) { mentor { active } errors { code field message } }
}
"""

SET_DEMAND = """
mutation ($input: SetDemandInput!) {
  setDemand(input: $input) { need { demand } errors { code field message } }
}
"""

ROLE_IDS = [who or "anonymous" for who in ROLES]


@pytest.fixture(scope="module")
async def world(demo_data: None) -> Directory:
    return await directory_world()


def _payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_create_community_is_for_admins_only(
    gql: GraphQLClient, world: Directory, who: str | None
) -> None:
    name = unique("Komunitas Baru")
    before = await audit_count()

    body = await gql(
        CREATE_COMMUNITY,
        {"input": {"name": name, "kind": "SECTOR", "sectorCodes": ["KULINER"], "areaCodes": []}},
        headers=world.headers(who),
    )

    payload = _payload(body, "createCommunity")
    if who == "admin":
        assert payload == {"community": {"name": name}, "errors": []}
        assert await Community.exists(name=name)
    else:
        assert payload["community"] is None
        assert _codes(payload) == ["FORBIDDEN"]
        assert not await Community.exists(name=name)
        assert await audit_count() == before


@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_update_community_is_for_admins_and_its_coordinators(
    gql: GraphQLClient, world: Directory, who: str | None
) -> None:
    description = unique(f"Diubah oleh {who}")

    body = await gql(
        UPDATE_COMMUNITY,
        {"input": {"communityId": world.community_id, "description": description}},
        headers=world.headers(who),
    )

    payload = _payload(body, "updateCommunity")
    stored = await Community.get(id=world.community.id)
    if who in {"admin", "coordinator"}:
        assert payload["errors"] == []
        assert payload["community"]["description"] == description
        assert stored.description == description
    else:
        assert (payload["community"], _codes(payload)) == (None, ["FORBIDDEN"])
        assert stored.description != description


ALLOWED_FOR_HOME = {"centre": {"admin", "staff"}, "community": {"admin", "coordinator"}}


@pytest.mark.parametrize("home", ["centre", "community"])
@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_create_mentor_for_own_centre_or_community(
    gql: GraphQLClient, world: Directory, who: str | None, home: str
) -> None:
    name = unique("Mentor Baru")
    where = (
        {"centreKecamatanCode": "31.71.01"}
        if home == "centre"
        else {"communityId": world.community_id}
    )

    body = await gql(
        CREATE_MENTOR,
        {"input": {"name": name, **where, "skills": [{"sectorCode": "KULINER", "capacity": 5}]}},
        headers=world.headers(who),
    )

    payload = _payload(body, "createMentor")
    if who in ALLOWED_FOR_HOME[home]:
        assert payload == {"mentor": {"name": name, "active": True}, "errors": []}
        assert await Mentor.exists(name=name)
    else:
        assert (payload["mentor"], _codes(payload)) == (None, ["FORBIDDEN"])
        assert not await Mentor.exists(name=name)


@pytest.mark.parametrize("home", ["centre", "community"])
@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_update_mentor_of_own_centre_or_community(
    gql: GraphQLClient, world: Directory, who: str | None, home: str
) -> None:
    mentor = await new_mentor(world, home)
    name = unique("Nama Baru")

    body = await gql(
        UPDATE_MENTOR,
        {"input": {"mentorId": mentor_id(mentor), "name": name}},
        headers=world.headers(who),
    )

    payload = _payload(body, "updateMentor")
    stored = await Mentor.get(id=mentor.id)
    if who in ALLOWED_FOR_HOME[home]:
        assert payload == {"mentor": {"name": name}, "errors": []}
        assert stored.name == name
    else:
        assert (payload["mentor"], _codes(payload)) == (None, ["FORBIDDEN"])
        assert stored.name == mentor.name


@pytest.mark.parametrize("home", ["centre", "community"])
@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_deactivate_mentor_of_own_centre_or_community(
    gql: GraphQLClient, world: Directory, who: str | None, home: str
) -> None:
    mentor = await new_mentor(world, home)

    body = await gql(
        DEACTIVATE_MENTOR, {"input": {"mentorId": mentor_id(mentor)}}, headers=world.headers(who)
    )

    payload = _payload(body, "deactivateMentor")
    stored = await Mentor.get(id=mentor.id)
    if who in ALLOWED_FOR_HOME[home]:
        assert payload == {"mentor": {"active": False}, "errors": []}
        assert stored.active is False
    else:
        assert (payload["mentor"], _codes(payload)) == (None, ["FORBIDDEN"])
        assert stored.active is True


@pytest.mark.parametrize("who", ROLES, ids=ROLE_IDS)
async def test_set_demand_is_for_admins_and_the_centres_staff(
    gql: GraphQLClient, world: Directory, who: str | None
) -> None:
    stored = await Demand.get(centre_id=world.gambir.id, sector__code="FESYEN")
    figure = stored.demand + 1

    body = await gql(
        SET_DEMAND,
        {"input": {"kecamatanCode": "31.71.01", "sectorCode": "FESYEN", "demand": figure}},
        headers=world.headers(who),
    )

    payload = _payload(body, "setDemand")
    now = await Demand.get(id=stored.id)
    if who in {"admin", "staff"}:
        assert payload == {"need": {"demand": figure}, "errors": []}
        assert now.demand == figure
    else:
        assert (payload["need"], _codes(payload)) == (None, ["FORBIDDEN"])
        assert now.demand == stored.demand
