"""Baseline protection: limits, methods, content types, request ids, masking, CORS, GraphiQL."""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx
import pytest

import schema
from hub.app import create_app
from hub.core import Settings
from schema.compiled import jsonsql
from schema.compiled import roots as compiled_roots
from schema.regions import queries as region_queries

pytestmark = pytest.mark.usefixtures("reference_data")

KOTAS = "query { kotas { code } }"


async def test_queries_deeper_than_the_limit_are_refused(client: httpx.AsyncClient) -> None:
    nested = (
        'kecamatan(code: "31.71.01") { kota { kecamatans { edges { node { kota { '
        "kecamatans { edges { node { kota { kecamatans { edges { node { code } } } } } } } } } } } } }"
    )
    response = await client.post("/graphql", json={"query": "{ " + nested + " }"})

    body = response.json()
    assert body["data"] is None
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]


async def test_too_many_aliases_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: kotas {{ code }}" for i in range(31)) + " }"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ kotas { " + "code " * 5000 + "} }"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_queries_work_over_get_but_mutations_do_not(client: httpx.AsyncClient) -> None:
    ok = await client.get("/graphql", params={"query": KOTAS})
    assert ok.status_code == 200
    assert len(ok.json()["data"]["kotas"]) == 6

    mutation = 'mutation { updateViewer(input: {locale: "en"}) { errors { code } } }'
    refused = await client.get("/graphql", params={"query": mutation})
    assert refused.status_code == 405
    assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"],
)
async def test_post_needs_a_json_content_type(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "mutation { updateViewer(input: {}) { errors { code } } }"}',
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    fresh = await client.post("/graphql", json={"query": KOTAS})
    assert len(fresh.headers["x-request-id"]) == 32

    echoed = await client.post(
        "/graphql", json={"query": KOTAS}, headers={"X-Request-ID": "partner-123"}
    )
    assert echoed.headers["x-request-id"] == "partner-123"

    refused = await client.post(
        "/graphql", json={"query": KOTAS}, headers={"X-Request-ID": "bad id\twith spaces"}
    )
    assert refused.headers["x-request-id"] != "bad id\twith spaces"


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> list[object]:
        raise RuntimeError("database password is hunter2")

    async def broken_root(args: object, count: bool) -> list[object]:
        raise RuntimeError("database password is hunter2")

    def broken_statement(*args: object) -> str:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(region_queries, "kotas", broken)
    # The compiled path fails too (from rows, or as PostgreSQL's JSON): it gives the request
    # to the executor, which masks it.
    monkeypatch.setitem(compiled_roots.ROOTS, "kotas", (broken_root, "list"))
    monkeypatch.setattr(jsonsql.JsonSql, "root", broken_statement)
    with caplog.at_level(logging.ERROR, logger="hub.graphql"):
        response = await client.post(
            "/graphql",
            json={"query": "query Broken { kotas { code } }"},
            headers={"X-Request-ID": "trace-me"},
        )

    error = response.json()["errors"][0]
    assert "hunter2" not in response.text
    assert error["extensions"]["code"] == "INTERNAL"
    assert "X-Request-ID" in error["message"]
    record = next(r for r in caplog.records if r.name == "hub.graphql")
    assert "hunter2" in str(record.exc_info[1])
    assert record.request_id == "trace-me"  # type: ignore[attr-defined]


async def test_cors_allows_only_configured_origins(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/graphql",
        headers={
            "Origin": "https://partner.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://partner.example.org"

    other = await client.post(
        "/graphql", json={"query": KOTAS}, headers={"Origin": "https://evil.example.com"}
    )
    assert "access-control-allow-origin" not in other.headers


async def test_graphiql_is_served_with_local_scripts_and_an_example(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "unpkg.com" not in page.text
    assert "/static/graphiql/graphiql.min.js" in page.text
    assert 'kecamatan(code: \\"31.71.01\\")' in page.text
    script = await client.get("/static/graphiql/graphiql.min.js")
    assert script.status_code == 200
    assert len(script.content) > 1_000_000


async def test_healthz_answers_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


async def test_introspection_can_be_switched_off(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    query = {"query": "query Types { __schema { queryType { name } } }"}
    assert (await client.post("/graphql", json=query)).json()["data"] == {
        "__schema": {"queryType": {"name": "Query"}}
    }
    closed = create_app(replace(settings, introspection_enabled=False))
    try:
        transport = httpx.ASGITransport(app=closed)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            body = (await http.post("/graphql", json=query)).json()
        assert body["data"] is None
        assert "introspection" in body["errors"][0]["message"].lower()
    finally:
        schema.configure(settings)  # the limits are per process: restore the session's
    assert (await client.post("/graphql", json=query)).json()["data"] is not None
