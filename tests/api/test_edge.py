"""The HTTP edge under hostile input: linear validation, sizes, malformed bodies, media types
(issue 11, findings 1, 7, 11 and 13)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("reference_data")


def fragment_query(levels: int) -> str:
    """`{ kotas { ...F<levels> } }` where each fragment spreads the one below it twice."""
    fragments = ["fragment F0 on Kota { name }"]
    fragments += [
        f"fragment F{i} on Kota {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ kotas {{ ...F{levels} }} }}\n" + "\n".join(fragments)


@pytest.mark.parametrize("levels", [20, 40, 200])
async def test_doubling_fragments_are_refused_without_expanding_them(
    client: httpx.AsyncClient, levels: int
) -> None:
    # Before: 36 s at 20 levels, a hung process at 39. The timeout only stops a regression
    # from hanging the suite; the time itself is measured in bench/fragments.py.
    response = await asyncio.wait_for(
        client.post("/graphql", json={"query": fragment_query(levels)}), timeout=30
    )

    body = response.json()
    assert body["data"] is None
    assert (
        f"selects {2**levels + 1} fields once its fragments are expanded"
        in (body["errors"][0]["message"])
    )
    assert "the limit is 4000" in body["errors"][0]["message"]


async def test_fragments_used_a_few_times_are_answered(client: httpx.AsyncClient) -> None:
    body = (await client.post("/graphql", json={"query": fragment_query(3)})).json()

    assert "errors" not in body
    assert len(body["data"]["kotas"]) == 6
    assert body["data"]["kotas"][0]["name"]


async def test_depth_counts_through_fragments(client: httpx.AsyncClient) -> None:
    # Twelve levels of fields, half of them inside fragments: allowed; one more is not.
    allowed = """
      { kotas { ...A } }
      fragment A on Kota { kecamatans { edges { node { kota { ...B } } } } }
      fragment B on Kota { kecamatans { edges { node { kota { ...C } } } } }
      fragment C on Kota { kecamatans { edges { node { code } } } }
    """
    deeper = allowed.replace("node { code }", "node { kota { code } }")

    ok = (await client.post("/graphql", json={"query": allowed})).json()
    refused = (await client.post("/graphql", json={"query": deeper})).json()

    assert "errors" not in ok, ok
    assert refused["data"] is None
    assert refused["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 12"


async def test_aliases_in_fragments_count_at_every_spread(client: httpx.AsyncClient) -> None:
    # 8 aliases in a fragment spread 4 times: 32 aliases, over the limit of 30.
    aliases = " ".join(f"a{i}: code" for i in range(8))
    query = (
        "{ kotas { ...A ...B } x: kotas { ...A ...B } }\n"
        f"fragment A on Kota {{ {aliases} }}\nfragment B on Kota {{ ...A }}"
    )

    body = (await client.post("/graphql", json={"query": query})).json()

    assert body["data"] is None
    assert body["errors"][0]["message"] == "33 aliases found. Allowed: 30"
