"""Concurrent writers in several processes: every write waits for its turn, none fails.

On SQLite a deferred transaction that reads first and writes later fails with "database is
locked" when another process wrote meanwhile; every write transaction therefore takes the write
lock when it starts (DESIGN section 9, "Writes on SQLite")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hub.core import Settings, encode_global_id
from models.directory import Centre, Community, Demand, Mentor, Sector
from tests.conftest import Tokens, make_tokens
from tests.integration.servers import serving

pytestmark = pytest.mark.usefixtures("demo_data")

SECONDS = 6.0

UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) { mentor { id } errors { code message } }
}
"""
SET_DEMAND = """
mutation ($input: SetDemandInput!) {
  setDemand(input: $input) { need { demand } errors { code message } }
}
"""
UPDATE_COMMUNITY = """
mutation ($input: UpdateCommunityInput!) {
  updateCommunity(input: $input) { community { id } errors { code message } }
}
"""
UPDATE_PREFERENCES = """
mutation ($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { preferences { kind } errors { code message } }
}
"""


@pytest.fixture
async def two_servers(settings: Settings, tmp_path: Path) -> AsyncIterator[list[int]]:
    """Two `hub serve` processes on the test database; the first also runs the mail worker."""
    envs = [{"HUB_MAIL_COALESCE_SECONDS": "0", "HUB_WORKER": worker} for worker in ("on", "off")]
    async with serving(settings, tmp_path, envs) as ports:
        yield ports


async def writer(
    port: int, token: str, operations: list[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Sends the operations round and round until the time is up; returns every body."""
    bodies = []
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + SECONDS
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for turn in count():
            if time.monotonic() > deadline:
                return bodies
            query, variables = operations[turn % len(operations)]
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert response.status_code == 200, response.text
            bodies.append(response.json())
    raise AssertionError("unreachable")


async def test_mixed_writers_in_two_processes_never_fail(two_servers: list[int]) -> None:
    # given two server processes on one database, one of them sending mail, and the tokens of
    # an admin and of a centre's staff
    tokens: Tokens = await make_tokens()
    mentors = await Mentor.filter(centre__kecamatan__code="31.71.01").order_by("id").limit(2)
    community = await Community.filter().order_by("id").first()
    assert community is not None
    assert len(mentors) == 2
    admin_writes = [
        (
            UPDATE_MENTOR,
            {"input": {"mentorId": encode_global_id("Mentor", mentors[0].id), "name": f"M {i}"}},
        )
        for i in range(3)
    ] + [
        (
            UPDATE_COMMUNITY,
            {
                "input": {
                    "communityId": encode_global_id("Community", community.id),
                    "memberCount": 100 + i,
                }
            },
        )
        for i in range(3)
    ]
    staff_writes = [
        (
            SET_DEMAND,
            {"input": {"kecamatanCode": "31.71.01", "sectorCode": "KULINER", "demand": 60 + i}},
        )
        for i in range(3)
    ] + [
        (
            UPDATE_MENTOR,
            {"input": {"mentorId": encode_global_id("Mentor", mentors[1].id), "name": "S"}},
        ),
        (
            UPDATE_PREFERENCES,
            {"input": {"preferences": [{"kind": "PLAN_REVISED", "mode": "DIGEST"}]}},
        ),
    ]
    # when both send mixed writes to both processes at once
    results = await asyncio.gather(
        *(
            writer(port, tokens.secrets[who], writes)
            for port in two_servers
            for who, writes in (("admin", admin_writes), ("staff", staff_writes))
            for _ in range(2)
        )
    )
    # then every write succeeded: no top-level error, no user error
    bodies = [body for bodies in results for body in bodies]
    assert len(bodies) > 40
    failures = [
        body
        for body in bodies
        if body.get("errors") or any(payload["errors"] for payload in body["data"].values())
    ]
    assert failures == []


async def test_first_settings_of_a_demand_at_once_make_one_row(app: Starlette) -> None:
    # given a centre with no demand row in a sector
    tokens: Tokens = await make_tokens()
    centre = await Centre.get(kecamatan__code="31.71.02")
    sector = await Sector.get(code="DIGITAL")
    await Demand.filter(centre=centre, sector=sector).delete()
    # when eight requests set it at once
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={
                        "query": SET_DEMAND,
                        "variables": {
                            "input": {
                                "kecamatanCode": "31.71.02",
                                "sectorCode": "DIGITAL",
                                "demand": 10 + i,
                            }
                        },
                    },
                    headers=tokens.headers("admin"),
                )
                for i in range(8)
            )
        )
    # then every one succeeded and one row holds the last value written
    bodies = [response.json() for response in responses]
    assert [body["data"]["setDemand"]["errors"] for body in bodies] == [[]] * 8
    rows = await Demand.filter(centre=centre, sector=sector)
    assert len(rows) == 1
    assert rows[0].demand in {10 + i for i in range(8)}
