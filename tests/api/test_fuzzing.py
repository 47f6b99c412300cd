"""Property-based fuzzing of the whole schema, for every role: no 5xx, no INTERNAL.

hypothesis-graphql generates valid documents (queries and mutations, with arguments of every
shape the schema allows) from the committed SDL; each is posted over HTTP with the token of one
role. Ids are drawn from real rows of the demo as well as from arbitrary strings, so documents
reach the services and not only the id decoder. The number of examples per role and operation
type comes from `HUB_FUZZ_EXAMPLES` (CI's bounded run: 40); `bench/fuzz.py` runs longer.

Hypothesis runs synchronously, so the examples run in a worker thread that hands each request to
the test's event loop, where the app and its database connections live.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from starlette.applications import Starlette

from hub.core import encode_global_id
from models.directory import Community, Mentor
from models.plans import Plan, Training
from models.regions import Region
from schema import SDL_PATH
from tests.conftest import make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

ROLES = ("anonymous", "partner", "coordinator", "staff", "admin")
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "40"))


def scalar_strategies(ids: list[str], codes: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """AST strategies for the custom scalars, and ids and codes that exist beside noise."""
    text = st.text(max_size=40)
    dates = st.dates().map(lambda d: d.isoformat())
    datetimes = st.datetimes().map(lambda d: d.isoformat() + "+07:00")
    any_id = st.builds(
        lambda name, pk: base64.b64encode(f"{name}:{pk}".encode()).decode(),
        st.sampled_from(["Mentor", "Plan", "Training", "Account", "Kota", "Nope"]),
        st.integers(-(2**70), 2**70),
    )
    return {
        "Date": st.one_of(dates, text).map(nodes.String),
        "DateTime": st.one_of(datetimes, text).map(nodes.String),
        "JSON": st.one_of(st.integers(-(2**31), 2**31 - 1).map(nodes.Int), text.map(nodes.String)),
        "ID": st.one_of(st.sampled_from(ids), any_id, st.sampled_from(codes), text).map(
            nodes.String
        ),
    }


async def known_ids() -> tuple[list[str], list[str]]:
    ids = []
    for model, name in ((Mentor, "Mentor"), (Community, "Community"), (Plan, "Plan")):
        ids += [encode_global_id(name, pk) for pk in await model.all().values_list("id", flat=True)]
    ids += [
        encode_global_id("Training", pk) for pk in await Training.all().values_list("id", flat=True)
    ]
    codes = list(await Region.all().limit(50).values_list("code", flat=True))
    return ids, codes


def problems_of(status: int, body: Any) -> list[str]:
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict):
        return [f"body is not an object: {body!r:.200}"]
    return [
        f"INTERNAL at {error.get('path')}"
        for error in body.get("errors") or []
        if (error.get("extensions") or {}).get("code") == "INTERNAL"
    ]


@pytest.mark.parametrize("role", ROLES)
async def test_no_generated_document_ends_in_a_server_error(app: Starlette, role: str) -> None:
    tokens = await make_tokens()
    headers = tokens.headers(None if role == "anonymous" else role)
    ids, codes = await known_ids()
    schema = graphql.build_schema(SDL_PATH.read_text("utf-8"))
    scalars = scalar_strategies(ids, codes)
    loop = asyncio.get_running_loop()
    transport = httpx.ASGITransport(app=app)
    failures: list[tuple[str, list[str]]] = []

    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:

        def post(document: str) -> tuple[int, Any]:
            async def send() -> tuple[int, Any]:
                response = await http.post("/graphql", json={"query": document}, headers=headers)
                try:
                    return response.status_code, response.json()
                except ValueError:
                    return response.status_code, response.text

            return asyncio.run_coroutine_threadsafe(send(), loop).result(timeout=60)

        def fuzz(strategy: st.SearchStrategy[Any]) -> Callable[[], None]:
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(strategy)
            def run(document: str) -> None:
                status, body = post(document)
                found = problems_of(status, body)
                if found:
                    failures.append((document, found))
                assert not found, (document, found)

            return run

        for documents in (queries, mutations):
            await asyncio.to_thread(fuzz(documents(schema, custom_scalars=scalars)))

    assert failures == []
