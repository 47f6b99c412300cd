"""Global ids and cursors have one canonical form; anything else is INVALID, never INTERNAL."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hub.core import encode_global_id
from models.directory import Mentor
from tests.conftest import GraphQLClient, Tokens, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

NODE = "query ($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
MENTORS_AFTER = "query ($after: String) { mentors(first: 2, after: $after) { totalCount } }"
UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) { mentor { name } errors { code field message } }
}
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def invalid_at(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


@pytest.fixture(scope="module")
async def mentor(demo_data: None) -> Mentor:
    row = await Mentor.filter(active=True).order_by("id").first()
    assert row is not None
    return row


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    return await make_tokens()


async def test_a_canonical_id_resolves(gql: GraphQLClient, mentor: Mentor) -> None:
    body = await gql(NODE, {"id": encode_global_id("Mentor", mentor.id)})
    assert body["data"]["node"] == {
        "__typename": "Mentor",
        "id": encode_global_id("Mentor", mentor.id),
    }


@pytest.mark.parametrize(
    "spelling",
    [
        "Mentor: {pk}",  # a space
        "Mentor:+{pk}",  # a sign
        "Mentor:0{pk}",  # a leading zero
        "Mentor:{pk} ",  # a trailing space
        "Mentor:{arabic}",  # Arabic-Indic digits
        "mentor:{pk}",  # another spelling of the type
    ],
)
async def test_other_spellings_of_an_id_are_invalid(
    gql: GraphQLClient, mentor: Mentor, spelling: str
) -> None:
    arabic = str(mentor.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    body = await gql(NODE, {"id": b64(spelling.format(pk=mentor.id, arabic=arabic))})
    assert body["data"] == {"node": None}
    assert invalid_at(body) == [("INVALID", ["id"])]


@pytest.mark.parametrize(
    "value",
    [
        b64("Nope:1"),  # no such type
        b64("Mentor:2147483648"),  # past PostgreSQL's integer
        b64("Mentor:9223372036854775808"),  # past SQLite's integer
        b64("Mentor:0"),
        encode_global_id("Mentor", 1).rstrip("=") + "x=",  # base64 with other trailing bits
        "x" * 10_000,
    ],
)
async def test_ids_out_of_range_or_of_no_type_are_invalid(gql: GraphQLClient, value: str) -> None:
    body = await gql(NODE, {"id": value})
    assert body["data"] == {"node": None}
    assert invalid_at(body) == [("INVALID", ["id"])]


async def test_nodes_names_the_position_of_the_bad_id(gql: GraphQLClient, mentor: Mentor) -> None:
    good = encode_global_id("Mentor", mentor.id)
    body = await gql(NODES, {"ids": [good, b64("Mentor:99999999999999999999")]})
    assert body["data"] is None
    assert invalid_at(body) == [("INVALID", ["ids", "1"])]


async def test_a_well_formed_id_of_nothing_is_null(gql: GraphQLClient) -> None:
    body = await gql(NODES, {"ids": [encode_global_id("Mentor", 2**31 - 1)]})
    assert body["data"] == {"nodes": [None]}
    assert "errors" not in body


@pytest.mark.parametrize(
    "cursor",
    [b64("cursor:9223372036854775808"), b64("cursor:2147483648"), b64("cursor:01"), "%%"],
)
async def test_cursors_out_of_range_or_malformed_are_invalid(
    gql: GraphQLClient, cursor: str
) -> None:
    body = await gql(MENTORS_AFTER, {"after": cursor})
    assert body["data"] is None
    assert invalid_at(body) == [("INVALID", ["after"])]


async def test_a_cursor_far_past_the_end_is_an_empty_page(gql: GraphQLClient) -> None:
    body = await gql(MENTORS_AFTER, {"after": b64("cursor:2147483647")})
    assert "errors" not in body
    assert body["data"]["mentors"]["totalCount"] > 0


async def test_a_mutation_refuses_an_id_spelled_otherwise(
    gql: GraphQLClient, tokens: Tokens, mentor: Mentor
) -> None:
    body = await gql(
        UPDATE_MENTOR,
        {"input": {"mentorId": b64(f"Mentor: {mentor.id}"), "name": "Renamed"}},
        headers=tokens.headers("admin"),
    )
    payload = body["data"]["updateMentor"]
    assert payload["mentor"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["mentorId"])]
    assert (await Mentor.get(id=mentor.id)).name == mentor.name
