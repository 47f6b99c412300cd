"""GraphiQL's example query shows a kecamatan's complements, and the README shows the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.web.graphiql import EXAMPLE_QUERY
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("demo_data")

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_example_query_shows_gambirs_complements(gql: GraphQLClient) -> None:
    body = await gql(EXAMPLE_QUERY)

    assert body.get("errors") is None, body
    gambir = body["data"]["kecamatan"]
    complements = gambir["complements"]
    assert gambir["name"] == "Gambir"
    assert 0 < len(complements) <= 5
    assert [c["score"] for c in complements] == sorted(
        (c["score"] for c in complements), reverse=True
    )
    assert all(c["filled"] == sum(s["filled"] for s in c["sectors"]) for c in complements)
    coalition = gambir["coalition"]
    assert len(coalition["members"]) <= 3
    assert coalition["covered"] == sum(m["filled"] for m in coalition["members"])
    assert 0 <= coalition["coverage"] <= 1


def test_the_readme_shows_the_example_query() -> None:
    text = README.read_text("utf-8")
    first_query = text.split("### A first query", 1)[1].split("```graphql\n", 1)[1]
    example = EXAMPLE_QUERY[EXAMPLE_QUERY.index("query Gambir") :]
    assert first_query.split("```", 1)[0] == example
