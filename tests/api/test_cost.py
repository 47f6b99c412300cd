"""Query cost (DESIGN section 9, issue 12): counted before execution with the variables
applied, refused above the role's limit with COST_LIMIT, reported in every response."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import schema
from hub.app import create_app
from hub.core import Settings
from hub.core.settings import DEFAULT_MAX_COST
from hub.web import documents, operation_cost
from tests.conftest import Tokens, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

README = Path(__file__).resolve().parents[2] / "README.md"

PAGES = """
query Pages($n: Int) {
  kecamatans(first: 10) { edges { node { code complements(first: 3) { score } coalition { gap } } } }
  communities(first: $n) { edges { node { name mentors(first: 5) { totalCount } } } }
}
"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }"


def cost_of(query: str, variables: dict[str, Any] | None = None) -> int:
    document = documents.parse(query, max_tokens=4000)
    return operation_cost(schema.schema._schema, document, None, variables)


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    return await make_tokens()


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ kotas { code name } sectors { code } }", None, 0),
        ("{ mentors { edges { node { name skills { capacity } } } } }", None, 20),
        # 10 kecamatan, each 10 + 3 for complements and 25 for its coalition; 7 communities
        # with a page of 5 mentors each
        (PAGES, {"n": 7}, 10 + 10 * (13 + 25) + 7 + 7 * 5),
        (PAGES, {}, 10 + 10 * (13 + 25) + 20 + 20 * 5),
        ("query($n: Int = 3) { plans(first: $n) { edges { node { title } } } }", None, 3),
        (NODES, {"ids": ["x"] * 1234}, 1234),
        ('{ a: coverage { gap } b: coverage(kotaCode: "31.71") { gap } }', None, 1100),
        # a kotaCode variable left out is no kotaCode: the whole country's price
        ("query($k: String) { coverage(kotaCode: $k) { gap } }", {}, 1000),
        ("query($k: String) { coverage(kotaCode: $k) { gap } }", {"k": None}, 1000),
        ("query($k: String) { coverage(kotaCode: $k) { gap } }", {"k": "31.71"}, 100),
        ("{ " + " ".join(f"c{i}: coverage {{ gap }}" for i in range(30)) + " }", None, 30_000),
        (
            "{ kotas { ...K } } fragment K on Kota { kecamatans(first: 4) { ...E } }"
            " fragment E on KecamatanConnection { edges { node { code } } }",
            None,
            4,
        ),
        ('mutation { updateViewer(input: {locale: "en"}) { errors { code } } }', None, 10),
    ],
)
def test_costs_follow_the_rules(query: str, variables: dict[str, Any] | None, cost: int) -> None:
    assert cost_of(query, variables) == cost


async def test_every_response_reports_its_cost(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": PAGES, "variables": {"n": 7}})

    body = response.json()
    assert "errors" not in body
    assert body["extensions"]["cost"] == {"requested": 432, "maxCost": 50_000}
    assert response.headers["x-hub-cache"] == "miss"

    again = (await client.post("/graphql", json={"query": PAGES, "variables": {"n": 7}})).json()
    assert again["extensions"]["cost"] == {"requested": 432, "maxCost": 50_000}


async def test_a_million_ids_are_refused_before_anything_runs(client: httpx.AsyncClient) -> None:
    # Before: 23 s and 22 MB. The ids need not even be valid: cost comes first.
    ids = ["TWVudG9yOjE="] * 60_000
    response = await client.post("/graphql", json={"query": NODES, "variables": {"ids": ids}})

    assert response.status_code == 200
    body = response.json()
    assert "data" not in body or body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "COST_LIMIT"
    assert "costs 60000, more than the 50000 allowed" in error["message"]
    assert body["extensions"]["cost"] == {"requested": 60_000, "maxCost": 50_000}


async def test_admins_have_a_larger_budget(client: httpx.AsyncClient, tokens: Tokens) -> None:
    query = {"query": "{ mentors(first: 100) { totalCount } }"}
    admin = (await client.post("/graphql", json=query, headers=tokens.headers("admin"))).json()
    partner = (await client.post("/graphql", json=query, headers=tokens.headers("partner"))).json()

    assert admin["extensions"]["cost"] == {"requested": 100, "maxCost": 500_000}
    assert partner["extensions"]["cost"] == {"requested": 100, "maxCost": 50_000}


async def test_the_limit_is_a_setting_per_role(
    settings: Settings, app: Starlette, tokens: Tokens
) -> None:
    tight = create_app(replace(settings, max_cost={**DEFAULT_MAX_COST, "PARTNER": 100}))
    query = {"query": "{ mentors(first: 101) { totalCount } }"}
    try:
        transport = httpx.ASGITransport(app=tight)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            partner = await http.post("/graphql", json=query, headers=tokens.headers("partner"))
            staff = await http.post("/graphql", json=query, headers=tokens.headers("staff"))
    finally:
        schema.configure(settings)
    assert partner.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT"
    assert partner.json()["extensions"]["cost"] == {"requested": 101, "maxCost": 100}
    assert staff.json()["extensions"]["cost"] == {"requested": 101, "maxCost": 50_000}


def readme_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every GraphQL document of the README (fenced `graphql` blocks, with the JSON variables
    that follow them, and inline operations), in order."""
    text = README.read_text("utf-8")
    found = []
    fenced = re.compile(r"```graphql\n(?P<op>.*?)```(?:\s*```json\n(?P<json>.*?)```)?", re.S)
    for match in fenced.finditer(text):
        variables = json.loads(match["json"]) if match["json"] else {}
        found.append((match["op"], variables))
    inline = re.compile(r"`((?:query|mutation)\b[^`]*)`")
    found += [(m.group(1), {}) for m in inline.finditer(text)]
    return found


def test_every_readme_document_costs_less_than_the_anonymous_limit() -> None:
    found = readme_documents()
    assert len(found) >= 11
    for query, variables in found:
        document = documents.parse(query, max_tokens=4000)
        names = [d.name.value if d.name else None for d in document.definitions]  # type: ignore[attr-defined]
        for name in names:
            cost = operation_cost(schema.schema._schema, document, name, variables)
            assert cost < DEFAULT_MAX_COST["ANONYMOUS"], (query, cost)
