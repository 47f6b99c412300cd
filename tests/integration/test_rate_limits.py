"""Rate budgets (DESIGN section 9, issue 12): points from the cost, hourly budgets per role,
per token or client address, in memory or shared through Redis, with the RateLimit-* headers
and 429 RATE_LIMITED when spent."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import schema
from hub.app import create_app
from hub.core import Settings
from hub.core.settings import DEFAULT_RATE_LIMIT
from tests.conftest import Tokens, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

HUB = [sys.executable, "-m", "hub.cli"]
KOTAS = "query { kotas { code } }"
# 100 kecamatan + 100 x 5 mentors: cost 600, six points
PRICEY = (
    "{ kecamatans(first: 100) { edges { node { centre { mentors(first: 5) { totalCount } } } } } }"
)
REDIS = ("127.0.0.1", 6379)


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    return await make_tokens()


def app_with(settings: Settings, **changes: Any) -> Starlette:
    return create_app(replace(settings, **changes))


def client_of(app: Starlette, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://hub.test")


async def test_requests_spend_points_until_the_budget_is_gone(
    settings: Settings, app: Starlette
) -> None:
    # Given a budget of 10 points an hour for anonymous callers
    limited = app_with(settings, rate_limit={**DEFAULT_RATE_LIMIT, "ANONYMOUS": 10})
    origin = {"Origin": "https://partner.example.org"}
    try:
        async with client_of(limited) as http:
            # When one address sends requests of 1, 6, 1, 1 and 1 points, then one more
            spent = [
                await http.post("/graphql", json={"query": query})
                for query in (KOTAS, PRICEY, KOTAS, KOTAS, KOTAS)
            ]
            over = await http.post("/graphql", json={"query": KOTAS}, headers=origin)
    finally:
        schema.configure(settings)

    # Then each answer says what is left, and the last is refused until the hour is over
    assert [r.status_code for r in spent] == [200] * 5
    assert [r.headers["ratelimit-remaining"] for r in spent] == ["9", "3", "2", "1", "0"]
    assert spent[1].json()["extensions"]["cost"]["requested"] == 600
    assert spent[0].headers["ratelimit-limit"] == "10"
    assert 3000 <= int(spent[0].headers["ratelimit-reset"]) <= 3600
    assert over.status_code == 429
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 3000 <= int(over.headers["retry-after"]) <= 3600
    assert over.headers["ratelimit-remaining"] == "0"
    assert over.headers["x-request-id"]
    exposed = {h.strip().lower() for h in over.headers["access-control-expose-headers"].split(",")}
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after",
            "x-request-id"} <= exposed  # fmt: skip


async def test_cache_hits_and_304s_spend_too(settings: Settings, app: Starlette) -> None:
    limited = app_with(settings, rate_limit={**DEFAULT_RATE_LIMIT, "ANONYMOUS": 3})
    try:
        async with client_of(limited, "203.0.113.8") as http:
            fresh = await http.get("/graphql", params={"query": KOTAS})
            etag = fresh.headers["etag"]
            unchanged = await http.get(
                "/graphql", params={"query": KOTAS}, headers={"If-None-Match": etag}
            )
            hit = await http.get("/graphql", params={"query": KOTAS})
            over = await http.get("/graphql", params={"query": KOTAS})
    finally:
        schema.configure(settings)

    assert unchanged.status_code == 304
    assert unchanged.headers["ratelimit-remaining"] == "1"
    assert hit.headers["x-hub-cache"] == "hit"
    assert hit.headers["ratelimit-remaining"] == "0"
    assert over.status_code == 429


async def test_budgets_are_per_token_and_per_address(
    settings: Settings, app: Starlette, tokens: Tokens
) -> None:
    limited = app_with(
        settings,
        rate_limit={**DEFAULT_RATE_LIMIT, "ANONYMOUS": 2, "PARTNER": 2, "STAFF": 2},
        trusted_proxies=("10.0.0.0/8",),
    )
    try:
        async with client_of(limited, "203.0.113.9") as http:
            for _ in range(2):
                await http.post("/graphql", json={"query": KOTAS})
            spent = await http.post("/graphql", json={"query": KOTAS})
            # An untrusted peer cannot claim another address
            claimed = await http.post(
                "/graphql", json={"query": KOTAS}, headers={"X-Forwarded-For": "198.51.100.1"}
            )
            partner = await http.post(
                "/graphql", json={"query": KOTAS}, headers=tokens.headers("partner")
            )
            staff = await http.post(
                "/graphql", json={"query": KOTAS}, headers=tokens.headers("staff")
            )
        async with client_of(limited, "10.1.2.3") as proxy:
            forwarded = await proxy.post(
                "/graphql",
                json={"query": KOTAS},
                headers={"X-Forwarded-For": "198.51.100.2, 10.9.9.9"},
            )
    finally:
        schema.configure(settings)

    assert spent.status_code == 429
    assert claimed.status_code == 429
    assert partner.status_code == 200
    assert partner.headers["ratelimit-remaining"] == "1"
    assert staff.headers["ratelimit-remaining"] == "1"
    assert forwarded.status_code == 200
    assert forwarded.headers["ratelimit-remaining"] == "1"


async def test_refused_tokens_spend_from_their_addresss_budget(
    settings: Settings, app: Starlette
) -> None:
    limited = app_with(settings, rate_limit={**DEFAULT_RATE_LIMIT, "ANONYMOUS": 2})
    guess = {"Authorization": "Bearer okh_guess"}
    try:
        async with client_of(limited, "203.0.113.11") as http:
            answers = [await http.post("/graphql", json={"query": KOTAS}, headers=guess)]
            answers.append(await http.post("/graphql", json={"query": KOTAS}, headers=guess))
            answers.append(await http.post("/graphql", json={"query": KOTAS}, headers=guess))
            anonymous = await http.post("/graphql", json={"query": KOTAS})
    finally:
        schema.configure(settings)

    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[1].headers["ratelimit-remaining"] == "0"
    assert answers[2].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert anonymous.status_code == 429


async def test_unlimited_roles_get_no_budget_headers(
    settings: Settings, app: Starlette, tokens: Tokens
) -> None:
    limited = app_with(settings, rate_limit={**DEFAULT_RATE_LIMIT, "ANONYMOUS": 2})
    try:
        async with client_of(limited, "203.0.113.10") as http:
            admin = await http.post(
                "/graphql", json={"query": KOTAS}, headers=tokens.headers("admin")
            )
    finally:
        schema.configure(settings)
    assert admin.status_code == 200
    assert "ratelimit-limit" not in admin.headers


# Two `hub serve` processes, sharing a budget through Redis or falling back without it.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log: str = ""


@contextmanager
def servers(tmp_path: Path, count: int, **env: str) -> Iterator[list[Server]]:
    """`count` hub serve processes on one data folder, on loopback; their logs once stopped."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    base = {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off", **env}
    started: list[Server] = []
    try:
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(
                [*HUB, "serve", "--port", str(port), "--no-demo"],
                env=base,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            server = Server(f"http://127.0.0.1:{port}", process)
            started.append(server)
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{server.url}/healthz", timeout=2):
                        break
                except OSError:
                    assert process.poll() is None, "hub serve stopped"
                    assert time.monotonic() < deadline, "hub serve did not answer in time"
                    time.sleep(0.2)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            _, server.log = server.process.communicate(timeout=30)


def _post(url: str, client: str) -> tuple[int, Message]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": KOTAS}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not running at 127.0.0.1:6379")
def test_two_processes_share_one_budget_through_redis(tmp_path: Path) -> None:
    # A client address of this run only (documentation range), reported by a trusted proxy
    client = f"2001:db8::{random.randrange(1, 0xFFFF):x}:{random.randrange(1, 0xFFFF):x}"
    env = {
        "HUB_REDIS_URL": "redis://127.0.0.1:6379/0",
        "HUB_RATE_LIMIT": "ANONYMOUS=4",
        "HUB_TRUSTED_PROXIES": "127.0.0.1",
    }
    with servers(tmp_path, 2, **env) as (one, two):
        answers = [_post(s.url, client) for s in (one, two, one, two, one, two)]

    assert [status for status, _ in answers] == [200, 200, 200, 200, 429, 429]
    assert [h.get("RateLimit-Remaining") for _, h in answers[:4]] == ["3", "2", "1", "0"]


def test_without_redis_each_process_falls_back_to_its_memory(tmp_path: Path) -> None:
    closed = _free_port()  # nothing listens there
    env = {
        "HUB_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        "HUB_RATE_LIMIT": "ANONYMOUS=2",
        "HUB_TRUSTED_PROXIES": "127.0.0.1",
    }
    with servers(tmp_path, 2, **env) as (one, two):
        answers = [_post(s.url, "198.51.100.3") for s in (one, one, one, two, two, two)]

    assert [status for status, _ in answers] == [200, 200, 429, 200, 200, 429]
    for server in (one, two):
        assert f"Redis at redis://127.0.0.1:{closed}/0 does not answer" in server.log
