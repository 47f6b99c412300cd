"""GraphQL over HTTP's media type (DESIGN section 9, issue 12): under
`application/graphql-response+json`, requests that fail before execution get 400 and no
`data`; `application/json` keeps 200 and `data: null`."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("reference_data")

GRAPHQL_RESPONSE = "application/graphql-response+json"
ACCEPT = {"Accept": GRAPHQL_RESPONSE}
KOTAS = "query { kotas { code } }"
WITH_VARIABLE = "query ($code: String!) { kota(code: $code) { name } }"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": "{ kotas { code "}, "Syntax Error"),
        ({"query": "{ kotas { nope } }"}, "Cannot query field 'nope'"),
        ({"query": WITH_VARIABLE, "variables": {"code": 42}}, "String cannot represent"),
        (
            {
                "query": "{ mentors(first: 100) { edges { node { centre { mentors(first: 600) "
                "{ totalCount } } } } } }"
            },
            "costs 60100, more than the 50000",
        ),
    ],
)
async def test_request_errors_are_400_without_data(
    client: httpx.AsyncClient, payload: dict[str, object], message: str
) -> None:
    graphql = await client.post("/graphql", json=payload, headers=ACCEPT)
    plain = await client.post("/graphql", json=payload)

    assert graphql.status_code == 400
    assert graphql.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in graphql.json()
    error = graphql.json()["errors"][0]
    assert message in error["message"]
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["data"] is None


async def test_answers_take_the_accepted_media_type(client: httpx.AsyncClient) -> None:
    graphql = await client.get("/graphql", params={"query": KOTAS}, headers=ACCEPT)
    again = await client.get("/graphql", params={"query": KOTAS}, headers=ACCEPT)
    plain = await client.get("/graphql", params={"query": KOTAS})
    preferred = await client.get(
        "/graphql",
        params={"query": KOTAS},
        headers={"Accept": f"{GRAPHQL_RESPONSE};q=0.5, application/json"},
    )

    assert graphql.status_code == 200
    assert graphql.headers["content-type"] == GRAPHQL_RESPONSE
    assert again.headers["x-hub-cache"] == "hit"
    assert again.headers["content-type"] == GRAPHQL_RESPONSE
    assert plain.headers["content-type"] == "application/json"
    assert preferred.headers["content-type"] == "application/json"
    assert graphql.headers["etag"] != plain.headers["etag"]
    assert graphql.json()["data"] == plain.json()["data"]
    assert "Accept" in graphql.headers["vary"]


async def test_edge_refusals_follow_the_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"42", headers={**ACCEPT, "Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {
        "errors": [
            {
                "message": "a GraphQL request is a JSON object with `query` and `variables`",
                "extensions": {"code": "INVALID"},
            }
        ]
    }
