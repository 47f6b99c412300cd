"""Needs, complements, coalitions and coverage load in a number of SQL statements that does not
grow with the number of kecamatan asked for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, count_statements

pytestmark = pytest.mark.usefixtures("demo_data")

MATCHING = """
query ($first: Int) {
  kecamatans(first: $first) { edges { node {
    code
    needs { sector { code } demand supply gap }
    complements(first: 3) { community { name } score reach filled sectors { sector { code } gap free filled } }
    coalition { gap covered coverage members { community { name } filled sectors { sector { code } filled } } }
  } } }
}
"""

FILTERED = """
query ($first: Int) {
  kecamatans(first: $first) { edges { node {
    kuliner: complements(sectors: ["KULINER"]) { community { name } score }
    all: complements(first: 10) { community { name } score }
    small: coalition(maxCommunities: 2) { covered }
  } } }
}
"""

BY_KOTA = """
query { kotas { kecamatans(first: 100) { edges { node { complements { score } } } } } }
"""

COVERAGE = """
query ($kota: String) {
  coverage(kotaCode: $kota) { kecamatan { code kota { name } centre { name } } demand supply gap coalitionCoverage }
}
"""


async def _run(gql: GraphQLClient, query: str, variables: dict[str, Any]) -> tuple[int, Any]:
    with count_statements() as counter:
        body = await gql(query, variables)
    assert body.get("errors") is None, body
    return counter.count, body["data"]


@pytest.mark.parametrize("query", [MATCHING, FILTERED], ids=["matching", "filtered"])
async def test_matching_of_many_kecamatan_loads_in_constant_statements(
    uncached_gql: GraphQLClient, query: str
) -> None:
    few_count, few = await _run(uncached_gql, query, {"first": 2})
    many_count, many = await _run(uncached_gql, query, {"first": 44})

    assert len(few["kecamatans"]["edges"]) == 2
    assert len(many["kecamatans"]["edges"]) == 44
    assert sum(len(str(e)) for e in many["kecamatans"]["edges"]) > 10 * sum(
        len(str(e)) for e in few["kecamatans"]["edges"]
    )
    assert many_count == few_count
    assert many_count <= 10


async def test_matching_under_every_kota_loads_in_constant_statements(
    uncached_gql: GraphQLClient,
) -> None:
    count, data = await _run(uncached_gql, BY_KOTA, {})

    assert sum(len(k["kecamatans"]["edges"]) for k in data["kotas"]) == 44
    assert count <= 8


async def test_coverage_loads_in_constant_statements(uncached_gql: GraphQLClient) -> None:
    one_count, one = await _run(uncached_gql, COVERAGE, {"kota": "31.01"})
    all_count, every = await _run(uncached_gql, COVERAGE, {"kota": None})

    assert len(one["coverage"]) == 2
    assert len(every["coverage"]) == 44
    assert all_count <= one_count <= 10
