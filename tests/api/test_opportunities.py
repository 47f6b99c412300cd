"""`Community.opportunities` on the Jakarta demo: every pair of a community and a kecamatan shows the
same figures from both sides (the kecamatan's `complements`, the community's opportunities),
ranked by score, then places filled, then kecamatan code, in a constant number of statements."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, count_statements, errors_of

pytestmark = pytest.mark.usefixtures("demo_data")

FIGURES = "score reach filled sectors { sector { code } gap free filled }"

COMPLEMENTS = f"""
query ($sectors: [String!]) {{
  kecamatans(first: 100) {{ edges {{ node {{
    code complements(first: 100, sectors: $sectors) {{ community {{ id }} {FIGURES} }}
  }} }} }}
}}
"""

OPPORTUNITIES = f"""
query ($first: Int, $count: Int, $sectors: [String!]) {{
  communities(first: $count) {{ edges {{ node {{
    id opportunities(first: $first, sectors: $sectors) {{ kecamatan {{ code }} {FIGURES} }}
  }} }} }}
}}
"""

ONE = """
query ($id: ID!, $first: Int, $sectors: [String!]) {
  node(id: $id) { ... on Community { opportunities(first: $first, sectors: $sectors) {
    kecamatan { code } score filled } } }
}
"""

Pairs = dict[tuple[str, str], dict[str, Any]]


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("score", "reach", "filled", "sectors")}


async def _both_sides(gql: GraphQLClient, sectors: list[str] | None) -> tuple[Pairs, Pairs, Any]:
    complements = await gql(COMPLEMENTS, {"sectors": sectors})
    opportunities = await gql(OPPORTUNITIES, {"first": 100, "count": 100, "sectors": sectors})
    assert complements.get("errors") is None, complements
    assert opportunities.get("errors") is None, opportunities
    from_kecamatan = {
        (c["community"]["id"], e["node"]["code"]): _figures(c)
        for e in complements["data"]["kecamatans"]["edges"]
        for c in e["node"]["complements"]
    }
    communities = opportunities["data"]["communities"]["edges"]
    from_community = {
        (e["node"]["id"], o["kecamatan"]["code"]): _figures(o)
        for e in communities
        for o in e["node"]["opportunities"]
    }
    return from_kecamatan, from_community, communities


@pytest.mark.parametrize("sectors", [None, ["KULINER"], ["KRIYA", "FESYEN"]])
async def test_every_pair_shows_the_same_figures_from_both_sides(
    gql: GraphQLClient, sectors: list[str] | None
) -> None:
    from_kecamatan, from_community, communities = await _both_sides(gql, sectors)

    assert len(communities) > 20
    assert len(from_kecamatan) > 500  # most communities reach every Jakarta kecamatan
    assert from_community == from_kecamatan
    assert any(f["filled"] > 0 for f in from_community.values())


async def test_each_community_asked_alone_answers_as_in_the_batch(gql: GraphQLClient) -> None:
    """Alone, a community serving some provinces loads only their kecamatan (in the batch, one
    community serving anywhere makes it load every kecamatan)."""
    _, _, communities = await _both_sides(gql, None)
    alone_query = ONE.replace("score filled", FIGURES)

    for edge in communities:
        body = await gql(alone_query, {"id": edge["node"]["id"], "first": 100})
        assert body.get("errors") is None, body
        assert body["data"]["node"]["opportunities"] == edge["node"]["opportunities"]
    assert sum(len(e["node"]["opportunities"]) for e in communities) > 500


async def test_opportunities_are_ranked_by_score_then_filled_then_code(gql: GraphQLClient) -> None:
    _, _, communities = await _both_sides(gql, None)

    for edge in communities:
        found = edge["node"]["opportunities"]
        keys = [(-o["score"], -o["filled"], o["kecamatan"]["code"]) for o in found]
        assert keys == sorted(keys)
    tops = [e["node"]["opportunities"][0] for e in communities if e["node"]["opportunities"]]
    assert any(t["score"] > 0 for t in tops)


async def test_first_keeps_the_best(gql: GraphQLClient) -> None:
    every = await gql(OPPORTUNITIES, {"first": 100, "count": 5, "sectors": None})
    best = await gql(OPPORTUNITIES, {"first": 3, "count": 5, "sectors": None})
    default = await gql(OPPORTUNITIES, {"first": None, "count": 5, "sectors": None})

    for all_, three, five in zip(
        every["data"]["communities"]["edges"],
        best["data"]["communities"]["edges"],
        default["data"]["communities"]["edges"],
        strict=True,
    ):
        assert three["node"]["opportunities"] == all_["node"]["opportunities"][:3]
        assert five["node"]["opportunities"] == all_["node"]["opportunities"][:5]
        assert len(five["node"]["opportunities"]) == min(5, len(all_["node"]["opportunities"]))


async def test_opportunities_load_in_constant_statements(uncached_gql: GraphQLClient) -> None:
    counts = []
    sizes = []
    for count in (1, 40):
        with count_statements() as counter:
            body = await uncached_gql(OPPORTUNITIES, {"first": 10, "count": count, "sectors": None})
        assert body.get("errors") is None, body
        counts.append(counter.count)
        sizes.append(
            sum(len(e["node"]["opportunities"]) for e in body["data"]["communities"]["edges"])
        )

    assert sizes[0] == 10
    assert sizes[1] > 20 * sizes[0]
    assert counts[0] == counts[1]
    assert counts[1] <= 8


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"first": 101}, "first must be between 0 and 100"),
        ({"first": -1}, "first must be between 0 and 100"),
        ({"sectors": ["NOPE"]}, "no sector has the code NOPE"),
    ],
)
async def test_bad_input_gets_a_coded_error(
    gql: GraphQLClient, variables: dict[str, Any], words: str
) -> None:
    listed = await gql(OPPORTUNITIES, {"count": 1, "first": 5, "sectors": None})
    community_id = listed["data"]["communities"]["edges"][0]["node"]["id"]

    body = await gql(ONE, {"id": community_id, **variables})

    [(code, path)] = errors_of(body)
    assert code == "INVALID"
    assert path == ["node", "opportunities"]
    assert words in body["errors"][0]["message"]


async def test_zero_asks_for_nothing(gql: GraphQLClient) -> None:
    listed = await gql(OPPORTUNITIES, {"count": 1, "first": 5, "sectors": None})
    community_id = listed["data"]["communities"]["edges"][0]["node"]["id"]

    body = await gql(ONE, {"id": community_id, "first": 0})

    assert body == {"data": {"node": {"opportunities": []}}, "extensions": body["extensions"]}
