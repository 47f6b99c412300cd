"""Every list field loads in a number of SQL statements that does not grow with its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise import connections

from hub.app import create_app
from hub.core.database import is_postgres
from hub.core.settings import Settings
from models.directory import Community
from tests.conftest import GraphQLClient, Tokens, count_statements, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

DASHBOARD = """
query ($first: Int) {
  kecamatans(first: $first) {
    totalCount
    edges { node { code name kota { name } centre { name mentors { totalCount edges { node {
      name active skills { capacity free sector { code name } } } } } } } }
  }
}
"""

KOTAS = """
query ($first: Int) { kotas { name kecamatans(first: $first) { edges { node { name centre { name } } } } } }
"""

COMMUNITIES = """
query ($first: Int) {
  communities(first: $first) { edges { node { name kind sectors { code } areas { code }
    servesAnywhere mentors { totalCount edges { node { name email skills { free sector { code } } } } } } } }
}
"""

MENTORS = """
query ($first: Int) {
  mentors(first: $first) { totalCount edges { node { name email phone centre { name }
    community { name } skills { capacity free sector { code } } } } }
}
"""

TRAININGS = """
query ($first: Int) {
  trainings(first: $first) { edges { node { title status sector { code } centre { name }
    organisers { name } mentors { name email } plan { title } } } }
}
"""

PLANS = """
query ($first: Int) {
  plans(first: $first) { totalCount edges { node { title status version centre { name }
    proposedBy { name } parties { status centre { name } community { name } respondedBy { name } }
    allocations { mentees mentor { name email } sector { code } }
    trainings { title organisers { name } mentors { name } }
    events { kind actor { name } } } } }
}
"""


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    community = await Community.get(name="Komunitas Kuliner Nusantara")
    return await make_tokens(community=community)


async def _statements(
    gql: GraphQLClient, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    with count_statements() as counter:
        body = await gql(query, variables, headers=headers)
    assert body.get("data") is not None, body
    return counter.count, body


def _objects(value: Any) -> int:
    """How many objects a response holds: it grows with the rows loaded."""
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


@pytest.mark.parametrize(
    ("name", "query", "few", "many", "who"),
    [
        ("kecamatans with centre, mentors, skills", DASHBOARD, 2, 44, None),
        ("kotas with their kecamatan", KOTAS, 1, 10, None),
        ("communities with sectors, areas, mentors", COMMUNITIES, 2, 33, "admin"),
        ("mentors with homes and skills", MENTORS, 30, 100, "admin"),
        ("mentors seen by a coordinator", MENTORS, 30, 100, "coordinator"),
        ("trainings with organisers, mentors, plan", TRAININGS, 1, 4, "admin"),
        ("plans with parties, allocations, trainings, events", PLANS, 1, 4, "admin"),
    ],
)
async def test_statements_do_not_grow_with_rows(
    uncached_gql: GraphQLClient,
    tokens: Tokens,
    name: str,
    query: str,
    few: int,
    many: int,
    who: str | None,
) -> None:
    headers = tokens.headers(who)
    # Warm up once: the first authenticated request records the token's last use.
    await uncached_gql(query, {"first": few}, headers=headers)

    few_count, few_body = await _statements(uncached_gql, query, {"first": few}, headers)
    many_count, many_body = await _statements(uncached_gql, query, {"first": many}, headers)

    assert _objects(many_body) > 1.5 * _objects(few_body), name
    assert many_count == few_count, (name, few_count, many_count)
    assert many_count <= 16, name


@pytest.fixture
async def executor_gql(app: Starlette, settings: Settings) -> AsyncIterator[GraphQLClient]:
    """A client of an app without the cache and without compiled reads: the executor."""
    executor = create_app(replace(settings, cache_enabled=False, compiled_reads=False))
    transport = httpx.ASGITransport(app=executor)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield GraphQLClient(http)


def _tables(statements: list[str]) -> list[str]:
    return [statement.split(" FROM ")[1].split()[0].strip('"') for statement in statements]


async def test_the_dashboard_is_loaded_level_by_level(executor_gql: GraphQLClient) -> None:
    """Planned loading: one statement per level of the selection, none per object."""
    with count_statements() as counter:
        body = await executor_gql(DASHBOARD, {"first": 44})

    assert len(body["data"]["kecamatans"]["edges"]) == 44
    tables = _tables(counter.statements)
    assert tables == [
        "region",  # the page of kecamatan
        "region",  # their total count
        "region",  # their kota
        "centre",
        "mentor",
        "mentor_skill",
        "allocation",  # for the free places
        "sector",
    ]


async def test_compiled_reads_load_the_dashboard_level_by_level(
    uncached_gql: GraphQLClient,
) -> None:
    """The compiled path (schema/compiled/) reads the same levels on SQLite; a level's
    relations run side by side, so their order is not fixed. On PostgreSQL the database
    builds the whole answer in one statement (schema/compiled/jsonsql.py)."""
    with count_statements() as counter:
        body = await uncached_gql(DASHBOARD, {"first": 44})

    assert len(body["data"]["kecamatans"]["edges"]) == 44
    if is_postgres(connections.get("default")):
        assert len(counter.statements) == 1
        assert counter.statements[0].startswith("SELECT (SELECT json_build_object(")
        return
    assert sorted(_tables(counter.statements)) == [
        "allocation",  # the skills with their sectors and held places (a subquery comes first)
        "centre",
        "mentor",
        "region",  # the page of kecamatan
        "region",  # their total count
        "region",  # their kota
    ]
