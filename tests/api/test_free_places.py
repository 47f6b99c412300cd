"""Kept free places (`community_free_place`) equal the full computation after every kind of
change: the plan workflow and the mentor mutations over GraphQL, the CSV import the `hub import`
command runs, direct writes, concurrent requests (on PostgreSQL really at once)."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from tortoise import connections

from hub.core import encode_global_id
from hub.directory import import_csv
from hub.matching import places
from models.directory import Centre, Mentor, MentorSkill, Sector
from models.enums import PlanStatus
from models.plans import Allocation, Plan
from tests.api.plan_fixtures import World, build_world, day
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

PROPOSE = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id version status } errors { code message } }
}
"""

RESPOND = """
mutation ($input: RespondToPlanInput!) {
  respondToPlan(input: $input) { plan { id version status } errors { code message } }
}
"""

REVISE = """
mutation ($input: RevisePlanInput!) {
  revisePlan(input: $input) { plan { id version status } errors { code message } }
}
"""

CANCEL = """
mutation ($input: CancelPlanInput!) {
  cancelPlan(input: $input) { plan { id version status } errors { code message } }
}
"""

COMPLETE = """
mutation ($input: CompletePlanInput!) {
  completePlan(input: $input) { plan { id version status } errors { code message } }
}
"""

CREATE_MENTOR = """
mutation ($input: CreateMentorInput!) {
  createMentor(input: $input) { mentor { id } errors { code message } }
}
"""

UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) { mentor { id } errors { code message } }
}
"""

DEACTIVATE_MENTOR = """
mutation ($input: DeactivateMentorInput!) {
  deactivateMentor(input: $input) { mentor { active } errors { code message } }
}
"""

_worlds = itertools.count()


@pytest.fixture
async def world() -> World:
    return await build_world(f"fp{next(_worlds)}")


async def consistent() -> places.Places:
    """The kept free places, after checking them, and the kept supplies, against the full
    computation."""
    kept, computed = await places.kept(), await places.computed()
    assert kept == computed
    assert await places.supply_kept() == await places.supply_computed()
    assert await places.demand_kept() == await places.demand_stored()
    assert await places.gaps_kept() == await places.gaps_computed()
    return kept


async def supply(sector: str) -> int:
    """Gambir's kept supply in `sector`."""
    await consistent()
    gambir = await Centre.get(kecamatan__code="31.71.01")
    found = await Sector.get(code=sector)
    return (await places.supply_kept()).get(gambir.id, {}).get(found.id, 0)


async def free(world: World, community: str, sector: str) -> int:
    kept = await consistent()
    found = await Sector.get(code=sector)
    return kept.get(world.community_pk[community], {}).get(found.id, 0)


async def change(gql: GraphQLClient, world: World, query: str, values: dict, who: str) -> dict:
    body = await gql(query, {"input": values}, headers=world.headers(who))
    payload: dict[str, Any] = next(iter(body["data"].values()))
    assert payload["errors"] == [], payload
    return payload


def allocation(world: World, mentor: str, sector: str, mentees: int) -> dict[str, Any]:
    return {"mentorId": world.mentor[mentor], "sectorCode": sector, "mentees": mentees}


def proposal(world: World, *allocations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"], world.community["K2"]],
        "title": "Tempat kosong",
        "startsOn": day(0),
        "endsOn": day(60),
        "allocations": list(allocations),
        **extra,
    }


async def test_the_plan_workflow_keeps_free_places(gql: GraphQLClient, world: World) -> None:
    # given: K1 offers M1 KULINER 8 + M2 KULINER 5 (and KRIYA 3); K2 offers M3 FESYEN 6
    assert await free(world, "K1", "KULINER") == 13
    kuliner, kriya = await supply("KULINER"), await supply("KRIYA")

    # proposing holds places, the centre's own mentor moves no community's figure
    plan = (
        await change(
            gql,
            world,
            PROPOSE,
            proposal(
                world,
                allocation(world, "M1", "KULINER", 5),
                allocation(world, "C0", "KULINER", 4),
                allocation(world, "M3", "FESYEN", 2),
            ),
            "k1",
        )
    )["plan"]
    assert (await free(world, "K1", "KULINER"), await free(world, "K2", "FESYEN")) == (8, 4)

    # a revision replaces the allocations
    plan = (
        await change(
            gql,
            world,
            REVISE,
            {
                "planId": plan["id"],
                "version": plan["version"],
                "allocations": [
                    allocation(world, "M2", "KULINER", 5),
                    allocation(world, "M2", "KRIYA", 1),
                ],
            },
            "k1",
        )
    )["plan"]
    assert (await free(world, "K1", "KULINER"), await free(world, "K1", "KRIYA")) == (8, 2)
    assert await free(world, "K2", "FESYEN") == 6

    # declining releases them, revising the declined plan holds them again
    plan = (
        await change(
            gql,
            world,
            RESPOND,
            {"planId": plan["id"], "version": plan["version"], "decision": "DECLINE"},
            "staff",
        )
    )["plan"]
    assert plan["status"] == "DECLINED"
    assert await free(world, "K1", "KULINER") == 13
    plan = (
        await change(gql, world, REVISE, {"planId": plan["id"], "version": plan["version"]}, "k1")
    )["plan"]
    assert await free(world, "K1", "KULINER") == 8

    # activation keeps holding them; completion releases them
    for who in ["staff", "k2"]:
        plan = (
            await change(
                gql,
                world,
                RESPOND,
                {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"},
                who,
            )
        )["plan"]
    assert plan["status"] == "ACTIVE"
    assert await free(world, "K1", "KULINER") == 8
    # an active plan adds its community mentors' mentees to the centre's supply
    added = (await supply("KULINER") - kuliner, await supply("KRIYA") - kriya)
    assert added == (5, 1)
    await change(gql, world, COMPLETE, {"planId": plan["id"], "version": plan["version"]}, "staff")
    assert await free(world, "K1", "KULINER") == 13
    assert (await supply("KULINER"), await supply("KRIYA")) == (kuliner, kriya)

    # cancelling an open plan releases its places
    other = (
        await change(
            gql, world, PROPOSE, proposal(world, allocation(world, "M1", "KULINER", 8)), "k1"
        )
    )["plan"]
    assert await free(world, "K1", "KULINER") == 5
    await change(gql, world, CANCEL, {"planId": other["id"], "version": other["version"]}, "k1")
    assert await free(world, "K1", "KULINER") == 13


async def test_mentor_mutations_keep_free_places(gql: GraphQLClient, world: World) -> None:
    # a new mentor's capacity counts at once
    created = await change(
        gql,
        world,
        CREATE_MENTOR,
        {
            "name": "Mentor Baru",
            "communityId": world.community["K1"],
            "skills": [
                {"sectorCode": "KULINER", "capacity": 7},
                {"sectorCode": "JASA", "capacity": 2},
            ],
        },
        "admin",
    )
    assert (await free(world, "K1", "KULINER"), await free(world, "K1", "JASA")) == (20, 2)

    # new skills replace the old ones, net of what open plans hold
    await change(gql, world, PROPOSE, proposal(world, allocation(world, "M1", "KULINER", 6)), "k1")
    assert await free(world, "K1", "KULINER") == 14
    await change(
        gql,
        world,
        UPDATE_MENTOR,
        {"mentorId": world.mentor["M1"], "skills": [{"sectorCode": "KULINER", "capacity": 10}]},
        "admin",
    )
    assert await free(world, "K1", "KULINER") == 16
    await change(
        gql,
        world,
        UPDATE_MENTOR,
        {"mentorId": created["mentor"]["id"], "skills": [{"sectorCode": "DIGITAL", "capacity": 3}]},
        "admin",
    )
    assert (await free(world, "K1", "KULINER"), await free(world, "K1", "JASA")) == (9, 0)
    assert await free(world, "K1", "DIGITAL") == 3

    # a centre's new mentor adds to its supply, and takes it away when deactivated
    before = await supply("JASA")
    centre_mentor = await change(
        gql,
        world,
        CREATE_MENTOR,
        {
            "name": "Mentor Pusat",
            "centreKecamatanCode": "31.71.01",
            "skills": [{"sectorCode": "JASA", "capacity": 6}],
        },
        "admin",
    )
    assert await supply("JASA") == before + 6
    await change(
        gql, world, DEACTIVATE_MENTOR, {"mentorId": centre_mentor["mentor"]["id"]}, "admin"
    )
    assert await supply("JASA") == before

    # a deactivated mentor offers nothing
    await change(gql, world, DEACTIVATE_MENTOR, {"mentorId": world.mentor["X"]}, "admin")
    assert await free(world, "K3", "KULINER") == 0


async def test_the_csv_import_keeps_free_places(world: World) -> None:
    header = "name,email,phone,kecamatan_code,community,skills\n"
    rows = [
        # M1 changes capacity, M3 moves from K2 to K1, a new mentor joins K2
        f"Mentor M1 {world.tag},m1.{world.tag}@example.org,,,K1 {world.tag},KULINER:4",
        f"Mentor M3 {world.tag},m3.{world.tag}@example.org,,,K1 {world.tag},FESYEN:6",
        f"Baru {world.tag},baru.{world.tag}@example.org,,,K2 {world.tag},FESYEN:5 KRIYA:2",
    ]

    report = await import_csv("mentors", (header + "\n".join(rows) + "\n").encode())

    assert report.problems == []
    assert (report.created, report.updated) == (1, 2)
    assert await free(world, "K1", "KULINER") == 9
    assert (await free(world, "K1", "FESYEN"), await free(world, "K2", "FESYEN")) == (6, 5)
    assert await free(world, "K2", "KRIYA") == 2


async def test_direct_writes_keep_free_places(world: World) -> None:
    # the triggers see any writer: bulk inserts, queryset updates, deletions
    m1 = await Mentor.get(id=world.mentor_pk["M1"])
    kuliner = await Sector.get(code="KULINER")
    gambir = await Centre.get(kecamatan__code="31.71.01")
    plan = await Plan.create(
        title="Langsung",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 2, 1),
        centre=gambir,
        status=PlanStatus.ACTIVE,
    )
    await Allocation.bulk_create(
        [Allocation(plan_id=plan.id, mentor_id=m1.id, sector_id=kuliner.id, mentees=3)]
    )
    assert await free(world, "K1", "KULINER") == 10
    await Allocation.filter(plan_id=plan.id).update(mentees=10)  # beyond M1's 8: floor at 0
    assert await free(world, "K1", "KULINER") == 5
    await MentorSkill.filter(mentor_id=m1.id).update(capacity=12)
    assert await free(world, "K1", "KULINER") == 7
    await Mentor.filter(id=m1.id).update(community_id=world.community_pk["K2"])
    assert (await free(world, "K1", "KULINER"), await free(world, "K2", "KULINER")) == (5, 2)
    await Plan.filter(id=plan.id).update(status=PlanStatus.CANCELLED)
    assert await free(world, "K2", "KULINER") == 12
    await Plan.filter(id=plan.id).update(status=PlanStatus.PROPOSED)
    await plan.delete()
    assert await free(world, "K2", "KULINER") == 12


async def test_requests_at_once_lose_no_update(gql: GraphQLClient, world: World) -> None:
    # given: twelve more K1 mentors with KULINER 4 each, so every plan takes a different one
    kuliner = await Sector.get(code="KULINER")
    extra = []
    for n in range(12):
        mentor = await Mentor.create(
            name=f"Ekstra {n} {world.tag}", community_id=world.community_pk["K1"]
        )
        await MentorSkill.create(mentor=mentor, sector=kuliner, capacity=4)
        extra.append(mentor.id)
    assert await free(world, "K1", "KULINER") == 13 + 48

    def one(mentor_id: int, n: int) -> dict[str, Any]:
        return {
            "input": {
                **proposal(world, title=f"Serentak {n}"),
                "communityIds": [world.community["K1"]],
                "allocations": [
                    {
                        "mentorId": encode_global_id("Mentor", mentor_id),
                        "sectorCode": "KULINER",
                        "mentees": 3,
                    }
                ],
            }
        }

    async def all_at_once(query: str, variables: list[dict], who: str) -> list[dict]:
        bodies = await asyncio.gather(
            *(gql(query, v, headers=world.headers(who)) for v in variables)
        )
        payloads = [next(iter(b["data"].values())) for b in bodies]
        assert all(p["errors"] == [] for p in payloads), payloads
        return [p["plan"] for p in payloads]

    # when: twelve plans proposed at once, activated at once, cancelled at once
    proposed = await all_at_once(PROPOSE, [one(m, n) for n, m in enumerate(extra)], "k1")
    assert await free(world, "K1", "KULINER") == 13 + 12
    answer = [
        {"input": {"planId": p["id"], "version": p["version"], "decision": "ACCEPT"}}
        for p in proposed
    ]
    active = await all_at_once(RESPOND, answer, "staff")
    assert {p["status"] for p in active} == {"ACTIVE"}
    assert await free(world, "K1", "KULINER") == 13 + 12
    cancel = [{"input": {"planId": p["id"], "version": p["version"]}} for p in active]
    await all_at_once(CANCEL, cancel, "k1")

    # then: every place is back
    assert await free(world, "K1", "KULINER") == 13 + 48


async def test_repair_mends_what_differs_and_the_migration_fills_the_table(world: World) -> None:
    kept = await consistent()
    k1 = world.community_pk["K1"]
    client = connections.get("default")
    await client.execute_query(
        f"UPDATE community_free_place SET free = free + 5 WHERE community_id = {k1}"
    )
    assert await places.repair() == 2  # K1's KULINER and KRIYA
    assert await consistent() == kept
    await client.execute_query("UPDATE centre_supply SET supply = supply + 1, demand = 0")
    await client.execute_query("UPDATE centre_gap SET gap = gap + 3")
    assert await places.repair() > 0
    assert await consistent() == kept
    assert await places.repair() == 0

    # the migration fills the tables from the data already there
    await client.execute_query("DELETE FROM community_free_place")
    await client.execute_query("DELETE FROM centre_supply")
    await client.execute_query("DELETE FROM centre_gap")
    migration = importlib.import_module("migrations.0010_free_places")
    await migration.keep_free_places(None, SimpleNamespace(client=client))
    assert await consistent() == kept


async def test_every_trigger_exists() -> None:
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        rows = await client.execute_query_dict("SELECT tgname AS name FROM pg_trigger")
    else:
        rows = await client.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
    assert set(places.TRIGGERS) <= {r["name"] for r in rows}
