"""`coverage(sectors:)`: the coverage report restricted to some sectors (the map's sector
filter), on the Jakarta demo. Every sum counts only the sectors listed, the gap included, as
DESIGN section 3's filter says; the coalition fills only those sectors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, count_statements

pytestmark = pytest.mark.usefixtures("demo_data")

COVERAGE = """
query ($sectors: [String!], $size: Int, $kota: String) {
  coverage(sectors: $sectors, maxCommunities: $size, kotaCode: $kota) {
    kecamatan { code } demand supply gap coalitionCoverage waiting
  }
}
"""

NEEDS_AND_BEST = """
query ($code: String!, $sectors: [String!]) {
  kecamatan(code: $code) {
    needs { sector { code } demand supply gap waiting }
    complements(first: 1, sectors: $sectors) { filled }
  }
}
"""

SECTORS = "query { sectors { code } }"


async def rows(gql: GraphQLClient, **variables: Any) -> dict[str, dict[str, Any]]:
    body = await gql(COVERAGE, variables)
    assert "errors" not in body, body
    return {r["kecamatan"]["code"]: r for r in body["data"]["coverage"]}


async def test_one_sector_sums_that_sector_only(gql: GraphQLClient) -> None:
    # given the culinary figures of the kecamatan of Jakarta Pusat
    culinary = await rows(gql, sectors=["KULINER"], size=1, kota="31.71")
    assert len(culinary) == 8
    for code, row in culinary.items():
        found = (await gql(NEEDS_AND_BEST, {"code": code, "sectors": ["KULINER"]}))["data"]
        need = next(n for n in found["kecamatan"]["needs"] if n["sector"]["code"] == "KULINER")
        # then demand, supply and gap are the culinary ones
        assert (row["demand"], row["supply"], row["gap"]) == (
            need["demand"],
            need["supply"],
            need["gap"],
        )
        # and a coalition of one covers what the best culinary complement fills
        best = found["kecamatan"]["complements"]
        filled = best[0]["filled"] if best else 0
        expected = filled / row["gap"] if row["gap"] else 1.0
        assert row["coalitionCoverage"] == pytest.approx(expected)
        # waiting stays the centre's, all sectors together
        assert row["waiting"] >= 0
    assert any(r["gap"] > 0 for r in culinary.values())


async def test_every_sector_listed_is_no_filter_and_two_add_up(gql: GraphQLClient) -> None:
    codes = [s["code"] for s in (await gql(SECTORS))["data"]["sectors"]]
    everything = await rows(gql)
    assert await rows(gql, sectors=codes) == everything
    culinary = await rows(gql, sectors=["KULINER"])
    crafts = await rows(gql, sectors=["KRIYA"])
    both = await rows(gql, sectors=["KULINER", "KRIYA"])
    for code, row in both.items():
        for figure in ("demand", "supply", "gap"):
            assert row[figure] == culinary[code][figure] + crafts[code][figure]
    assert sum(r["gap"] for r in culinary.values()) < sum(r["gap"] for r in everything.values())


async def test_an_unknown_sector_is_invalid(gql: GraphQLClient) -> None:
    body = await gql(COVERAGE, {"sectors": ["KULINER", "NOPE"]})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert error["extensions"]["field"] == ["sectors"]
    assert "NOPE" in error["message"]


async def test_the_filter_adds_no_statement(uncached_gql: GraphQLClient) -> None:
    with count_statements() as plain:
        await uncached_gql(COVERAGE, {})
    with count_statements() as filtered:
        await uncached_gql(COVERAGE, {"sectors": ["KULINER", "JASA"]})
    assert filtered.count == plain.count
