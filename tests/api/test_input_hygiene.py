"""Input hygiene at the edge (DESIGN section 9): control characters, line breaks, lengths and
surrogates are INVALID with the field path, for queries and mutations, never INTERNAL."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from models.accounts import Account
from models.directory import Mentor
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import PROPOSE, proposal
from tests.conftest import GRAPHQL, GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

COMMUNITIES = """
query ($filter: CommunityFilter) { communities(filter: $filter, first: 5) { totalCount } }
"""
KECAMATAN = "query ($code: String!) { kecamatan(code: $code) { name } }"
UPDATE_VIEWER = """
mutation ($input: UpdateViewerInput!) {
  updateViewer(input: $input) { account { name } errors { code field message } }
}
"""
CREATE_MENTOR = """
mutation ($input: CreateMentorInput!) {
  createMentor(input: $input) { mentor { name } errors { code field message } }
}
"""


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    return await build_world("hy")


def top_level(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


def user_errors(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    "search",
    [
        "kopi\x00",  # NUL: PostgreSQL refuses it in text
        "kopi\x1b[2J",  # another control character
        "kopi\nteh",  # a line break in a single-line value
        "kopi\tteh",
        "kopi\u2028teh",
        "k" * 100_001,  # far past the documented length
        "k" * 101,
    ],
)
async def test_a_bad_search_is_invalid_with_its_argument_path(
    gql: GraphQLClient, search: str
) -> None:
    body = await gql(COMMUNITIES, {"filter": {"search": search}})
    assert body["data"] is None
    assert top_level(body) == [("INVALID", ["filter", "search"])]


async def test_a_search_at_the_documented_length_is_answered(gql: GraphQLClient) -> None:
    body = await gql(COMMUNITIES, {"filter": {"search": "k" * 100}})
    assert body["data"] == {"communities": {"totalCount": 0}}
    assert "errors" not in body


async def test_a_lone_surrogate_is_invalid(client: httpx.AsyncClient) -> None:
    # JSON may carry a lone surrogate as an escape; it is no text at all.
    raw = json.dumps({"query": KECAMATAN, "variables": {"code": "31.71\ud800"}})
    assert "\\ud800" in raw
    response = await client.post(GRAPHQL, content=raw, headers={"Content-Type": "application/json"})
    body = response.json()
    assert top_level(body) == [("INVALID", ["code"])]


async def test_an_over_long_code_is_invalid_not_internal(gql: GraphQLClient) -> None:
    body = await gql(KECAMATAN, {"code": "3" * 10_000})
    assert top_level(body) == [("INVALID", ["code"])]


async def test_a_mutation_reports_every_bad_text_with_its_path_and_no_object(
    gql: GraphQLClient, world: World
) -> None:
    values = proposal(world, title="x\r\nReply-To : attacker@evil.example", goals="a\x00b")
    values["trainings"][0]["venue"] = "Aula\nGambir"
    values["communityIds"] = [world.community["K2"], "bukan-id"]

    body = await gql(PROPOSE, {"input": values}, headers=world.headers("k1"))

    payload = body["data"]["proposePlan"]
    assert payload["plan"] is None
    assert user_errors(payload) == [
        ("INVALID", ["communityIds", "1"]),
        ("INVALID", ["title"]),
        ("INVALID", ["goals"]),
        ("INVALID", ["trainings", "0", "venue"]),
    ]


async def test_multi_line_text_keeps_its_line_breaks(gql: GraphQLClient, world: World) -> None:
    values = proposal(world, goals="Satu.\r\nDua.\n\tTiga.", trainings=[], allocations=[])
    body = await gql(PROPOSE, {"input": values}, headers=world.headers("k1"))
    assert body["data"]["proposePlan"]["errors"] == []


async def test_an_account_name_with_a_line_break_is_refused(
    gql: GraphQLClient, world: World
) -> None:
    body = await gql(
        UPDATE_VIEWER,
        {"input": {"name": "Siti\r\nBcc: x@evil.example"}},
        headers=world.headers("k1"),
    )
    payload = body["data"]["updateViewer"]
    assert payload == {
        "account": None,
        "errors": [
            {
                "code": "INVALID",
                "field": ["name"],
                "message": "name must be a single line, without line breaks or tabs",
            }
        ],
    }
    account = await Account.get(email=f"k1.{world.tag}@test.example.org")
    assert "\n" not in account.name


async def test_a_nul_in_a_mentor_name_is_invalid_on_every_database(
    gql: GraphQLClient, world: World
) -> None:
    values = {
        "name": "Mentor\x00Baru",
        "email": "baru\x00@example.org",
        "communityId": world.community["K1"],
        "skills": [{"sectorCode": "KULINER\x00", "capacity": 1}],
    }
    mentors = await Mentor.filter(community_id=world.community_pk["K1"]).count()

    body = await gql(CREATE_MENTOR, {"input": values}, headers=world.headers("k1"))

    payload = body["data"]["createMentor"]
    assert payload["mentor"] is None
    assert user_errors(payload) == [
        ("INVALID", ["name"]),
        ("INVALID", ["email"]),
        ("INVALID", ["skills", "0", "sectorCode"]),
    ]
    assert await Mentor.filter(community_id=world.community_pk["K1"]).count() == mentors


async def test_dates_far_from_any_plan_are_invalid_not_internal(
    gql: GraphQLClient, world: World
) -> None:
    values = proposal(world, startsOn="0001-01-01", allocations=[])
    values["trainings"][0]["startsAt"] = "0001-01-01T00:00:00"
    values["trainings"][0]["endsAt"] = "9999-12-31T23:59:00-12:00"

    body = await gql(PROPOSE, {"input": values}, headers=world.headers("k1"))

    payload = body["data"]["proposePlan"]
    assert payload["plan"] is None
    assert user_errors(payload) == [
        ("INVALID", ["startsOn"]),
        ("INVALID", ["trainings", "0", "startsAt"]),
        ("INVALID", ["trainings", "0", "endsAt"]),
    ]
