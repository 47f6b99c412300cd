"""Test fixtures: one database and one running app per session, clients that speak GraphQL.

SQLite by default (a temporary file); PostgreSQL when HUB_TEST_DATABASE_URL names a database
(it must exist and be disposable: every table is emptied between modules)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.contrib.test import truncate_all_models

from hub.access import create_token
from hub.app import create_app
from hub.core.settings import ROLES, Settings, sqlite_url
from hub.seed import load_demo, load_reference_data
from models.directory import Community
from models.enums import Role

GRAPHQL = "/graphql"


def _database_url(tmp: Path) -> str:
    return os.environ.get("HUB_TEST_DATABASE_URL") or sqlite_url(tmp / "test.sqlite3")


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hub-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(data_dir),
        cors_origins=("https://partner.example.org",),
        worker_enabled=False,
        # Every client of the session shares one address: rate budgets are tested on their own.
        rate_limit=dict.fromkeys(ROLES, 0),
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


@pytest.fixture(scope="session")
def uncached_app(app: Starlette, settings: Settings) -> Starlette:
    """A second app on the same database with the response cache off (`HUB_CACHE=off`), for
    tests that must see every read executed. It shares the session app's connections."""
    return create_app(replace(settings, cache_enabled=False))


@pytest.fixture
async def uncached_gql(uncached_app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=uncached_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield GraphQLClient(http)


async def reset_database(*, demo: bool) -> None:
    """Empty every table and load the reference data, and the demo if asked."""
    await truncate_all_models()
    await load_reference_data()
    if demo:
        await load_demo()


@pytest.fixture(scope="module")
async def demo_data(app: Starlette) -> None:
    """The Jakarta demo, loaded afresh for each test module that asks for it."""
    await reset_database(demo=True)


@pytest.fixture(scope="module")
async def reference_data(app: Starlette) -> None:
    """Only the reference data (regions, centres, sectors), afresh for each module."""
    await reset_database(demo=False)


@dataclass
class Tokens:
    """Bearer tokens of one account per role, and headers to send them."""

    secrets: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"} if who else {}


async def make_tokens(
    *, staff_centre: str = "31.71.01", community: Community | None = None
) -> Tokens:
    """Accounts for every role: `staff` of `staff_centre`, `coordinator` of `community`."""
    community = community or await Community.filter().order_by("id").first()
    assert community is not None, "a community is needed for the coordinator"
    tokens = Tokens()
    for who, role, scope in [
        ("admin", Role.ADMIN, {}),
        ("staff", Role.STAFF, {"centre_code": staff_centre}),
        ("coordinator", Role.COORDINATOR, {"community_id": community.id}),
        ("partner", Role.PARTNER, {}),
    ]:
        issued = await create_token(
            email=f"{who}.{community.id}@test.example.org", role=role, **scope
        )
        tokens.secrets[who] = issued.secret
    return tokens


class GraphQLClient:
    """Posts operations the way a partner app does, and returns the decoded body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = await self.http.post(
            GRAPHQL, json={"query": query, "variables": variables or {}}, headers=headers or {}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (its `tortoise.db_client` debug log)."""

    VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(self.VERBS):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def errors_of(body: dict[str, Any]) -> list[tuple[str | None, list[Any] | None]]:
    """(code, path) of each error in a GraphQL response."""
    return [
        ((e.get("extensions") or {}).get("code"), e.get("path")) for e in body.get("errors") or []
    ]
