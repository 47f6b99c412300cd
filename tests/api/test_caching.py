"""The response cache and HTTP caching: fresh after every write, per viewer, bounded."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from typing import Any

import httpx
import pytest

from hub.web import ResponseCache
from models.directory import Community, Mentor
from tests.api.plan_fixtures import World, build_world, day
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

VIEWER = "query { viewer { name locale } }"
UPDATE_VIEWER = """
mutation ($input: UpdateViewerInput!) { updateViewer(input: $input) { errors { code } } }
"""
MENTORS = """
query ($filter: MentorFilter) { mentors(filter: $filter, first: 10) { edges { node { name email } } } }
"""
PLANS = "query { plans(first: 100) { edges { node { title status version } } } }"
PROPOSE = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id version } errors { code } }
}
"""
RESPOND = """
mutation ($input: RespondToPlanInput!) { respondToPlan(input: $input) { errors { code } } }
"""
CANCEL = """
mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) { errors { code } } }
"""
COMMUNITIES = "query { communities(first: 100) { totalCount edges { node { name } } } }"
CACHE_STATS = "query { cacheStats { hits misses entries bytes budgetBytes enabled } }"


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    return await build_world("cache")


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


async def test_a_repeated_read_is_served_from_the_cache(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await _post(client, MENTORS, {"filter": {"centreKecamatanCode": "31.71.01"}})
    second = await _post(client, MENTORS, {"filter": {"centreKecamatanCode": "31.71.01"}})
    formatted = await _post(
        client,
        "query ($filter: MentorFilter) {\n  mentors(filter: $filter,"
        " first: 10) {edges {node {name email}}}}",
        {"filter": {"centreKecamatanCode": "31.71.01"}},
    )

    assert first.headers["x-hub-cache"] == "miss"
    assert second.headers["x-hub-cache"] == "hit"
    assert formatted.headers["x-hub-cache"] == "hit"  # the same document, laid out otherwise
    assert second.content == first.content

    stats = (await _post(client, CACHE_STATS, headers=world.headers("admin"))).json()
    assert stats["data"]["cacheStats"]["hits"] >= 2
    assert stats["data"]["cacheStats"]["enabled"] is True
    assert (
        "x-hub-cache"
        not in (await _post(client, CACHE_STATS, headers=world.headers("admin"))).headers
    )
    forbidden = (await _post(client, CACHE_STATS, headers=world.headers("staff"))).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_write_is_seen_by_the_next_read(client: httpx.AsyncClient, world: World) -> None:
    headers = world.headers("k1")
    assert (await _post(client, VIEWER, headers=headers)).json()["data"]["viewer"]["locale"] == "id"

    await _post(client, UPDATE_VIEWER, {"input": {"locale": "en"}}, headers)

    after = await _post(client, VIEWER, headers=headers)
    assert after.json()["data"]["viewer"]["locale"] == "en"
    assert after.headers["x-hub-cache"] == "miss"


async def test_every_plan_change_is_seen_by_the_next_read(
    client: httpx.AsyncClient, world: World
) -> None:
    staff = world.headers("staff")

    def titles(response: httpx.Response) -> dict[str, tuple[str, int]]:
        return {
            e["node"]["title"]: (e["node"]["status"], e["node"]["version"])
            for e in response.json()["data"]["plans"]["edges"]
        }

    await _post(client, PLANS, headers=staff)
    proposal = {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"]],
        "title": "Cache plan",
        "startsOn": day(0),
        "endsOn": day(9),
    }
    proposed = await _post(client, PROPOSE, {"input": proposal}, world.headers("k1"))
    plan = proposed.json()["data"]["proposePlan"]["plan"]
    assert titles(await _post(client, PLANS, headers=staff))["Cache plan"] == ("PROPOSED", 1)

    await _post(
        client,
        RESPOND,
        {"input": {"planId": plan["id"], "version": 1, "decision": "ACCEPT"}},
        staff,
    )
    assert titles(await _post(client, PLANS, headers=staff))["Cache plan"] == ("ACTIVE", 2)

    await _post(client, CANCEL, {"input": {"planId": plan["id"], "version": 2}}, staff)
    assert titles(await _post(client, PLANS, headers=staff))["Cache plan"] == ("CANCELLED", 3)


async def test_personal_data_never_crosses_viewers(client: httpx.AsyncClient, world: World) -> None:
    variables = {"filter": {"centreKecamatanCode": "31.71.01"}}
    staff = (await _post(client, MENTORS, variables, world.headers("staff"))).json()
    anonymous = (await _post(client, MENTORS, variables)).json()
    staff_again = await _post(client, MENTORS, variables, world.headers("staff"))
    coordinator = (await _post(client, MENTORS, variables, world.headers("k1"))).json()

    emails = [e["node"]["email"] for e in staff["data"]["mentors"]["edges"]]
    assert emails
    assert all(emails)
    assert staff_again.headers["x-hub-cache"] == "hit"
    assert staff_again.json() == staff
    for other in (anonymous, coordinator):
        assert [e["node"]["email"] for e in other["data"]["mentors"]["edges"]] == [None] * len(
            emails
        )


async def test_get_queries_carry_an_etag_and_answer_304(
    client: httpx.AsyncClient, world: World
) -> None:
    params = {"query": COMMUNITIES}
    first = await client.get("/graphql", params=params)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["cache-control"] == "public, no-cache"
    assert "Authorization" in first.headers["vary"]

    revalidated = await client.get("/graphql", params=params, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == etag

    signed_in = await client.get("/graphql", params=params, headers=world.headers("partner"))
    assert signed_in.headers["cache-control"] == "private, no-cache"
    assert signed_in.headers["etag"] != etag

    await Community.create(name="Komunitas Baru Cache", kind="SECTOR")
    from hub.core import dataversion

    await dataversion.bump()
    changed = await client.get("/graphql", params=params, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    names = [e["node"]["name"] for e in changed.json()["data"]["communities"]["edges"]]
    assert "Komunitas Baru Cache" in names


async def test_another_process_write_is_seen_at_once(
    client: httpx.AsyncClient, settings: Any, world: World
) -> None:
    variables = {"filter": {"centreKecamatanCode": "31.71.01"}}
    before = (await _post(client, MENTORS, variables)).json()
    mentor = await Mentor.filter(centre__kecamatan__code="31.71.01").order_by("name", "id").first()
    assert mentor is not None
    script = textwrap.dedent(
        f"""
        import asyncio
        from hub.core.database import open_database
        from hub.core.settings import Settings
        from tortoise.transactions import in_transaction
        from hub.core import dataversion
        from models.directory import Mentor

        async def main():
            async with open_database(Settings(database_url={settings.database_url!r}),
                                     migrate_on_open=False):
                async with in_transaction():
                    await Mentor.filter(id={mentor.id}).update(name="Aaron Renamed Elsewhere")
                    await dataversion.bump()

        asyncio.run(main())
        """
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    assert await asyncio.wait_for(process.wait(), timeout=60) == 0

    after = (await _post(client, MENTORS, variables)).json()
    names = [e["node"]["name"] for e in after["data"]["mentors"]["edges"]]
    assert "Aaron Renamed Elsewhere" in names
    assert after != before


async def test_volatile_fields_and_mutations_are_never_cached(
    client: httpx.AsyncClient, world: World
) -> None:
    stats = await _post(client, CACHE_STATS, headers=world.headers("admin"))
    assert "x-hub-cache" not in stats.headers
    mutation = await _post(client, UPDATE_VIEWER, {"input": {"name": "Nama"}}, world.headers("k2"))
    assert "x-hub-cache" not in mutation.headers


async def test_the_cache_can_be_switched_off(uncached_gql: GraphQLClient) -> None:
    response = await uncached_gql.http.post("/graphql", json={"query": COMMUNITIES})
    again = await uncached_gql.http.post("/graphql", json={"query": COMMUNITIES})
    assert "x-hub-cache" not in response.headers
    assert "x-hub-cache" not in again.headers


def test_the_cache_stays_within_its_byte_budget() -> None:
    cache = ResponseCache(budget_bytes=4096)
    cache.observe_version(1)
    bodies = {f"k{i}": bytes([i]) * 700 for i in range(10)}
    for key, body in bodies.items():
        cache.put(key, body)
        assert cache.stats().bytes <= 4096

    stats = cache.stats()
    assert 0 < stats.entries < 10
    assert cache.get("k9") == bodies["k9"]  # the newest stay
    assert cache.get("k0") is None  # the oldest went first
    cache.put("huge", b"x" * 10_000)  # larger than the budget: not kept
    assert cache.get("huge") is None

    cache.observe_version(2)  # a newer version frees every entry
    assert cache.stats().entries == 0
    assert cache.stats().bytes == 0

    cache.put("k", b"at version 2")
    cache.observe_version(1)  # so does an older one: the database was emptied or restored
    assert cache.get("k") is None
