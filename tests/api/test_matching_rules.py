"""Which mentors and plans count in supply and free capacity, read over GraphQL.

Sawah Besar (31.71.02) wants KULINER 50. Its centre has an active mentor with KULINER 10 and an
inactive one with KULINER 7. Community K (kota 31.71) has M1 (KULINER 12), M2 (KULINER 2) and
an inactive M3 (KULINER 9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from hub.core import dataversion
from models.directory import Centre, Community, CommunityArea, Demand, Mentor, MentorSkill, Sector
from models.enums import CommunityKind, PlanStatus
from models.plans import Allocation, Plan
from models.regions import Region
from tests.conftest import GraphQLClient

FIGURES = """
query {
  kecamatan(code: "31.71.02") {
    needs { sector { code } demand supply gap }
    complements { community { name } filled sectors { sector { code } gap free filled } }
  }
}
"""


@dataclass
class World:
    centre: Centre
    own: Mentor
    m1: Mentor
    m2: Mentor
    m3: Mentor
    kuliner: Sector


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    kuliner = await Sector.get(code="KULINER")
    centre = await Centre.get(kecamatan__code="31.71.02")
    await Demand.create(centre=centre, sector=kuliner, demand=50)
    own = await Mentor.create(name="Pendamping aktif", centre=centre)
    await MentorSkill.create(mentor=own, sector=kuliner, capacity=10)
    retired = await Mentor.create(name="Pendamping nonaktif", centre=centre, active=False)
    await MentorSkill.create(mentor=retired, sector=kuliner, capacity=7)
    k = await Community.create(name="K", kind=CommunityKind.SECTOR)
    await CommunityArea.create(community=k, region=await Region.get(code="31.71"))
    mentors = {}
    for name, capacity, active in [("M1", 12, True), ("M2", 2, True), ("M3", 9, False)]:
        mentors[name] = await Mentor.create(name=name, community=k, active=active)
        await MentorSkill.create(mentor=mentors[name], sector=kuliner, capacity=capacity)
    await dataversion.bump()
    return World(
        centre=centre,
        own=own,
        m1=mentors["M1"],
        m2=mentors["M2"],
        m3=mentors["M3"],
        kuliner=kuliner,
    )


async def _plan(world: World, status: PlanStatus, allocations: list[tuple[Mentor, int]]) -> Plan:
    today = dt.date(2026, 1, 5)
    plan = await Plan.create(
        title=f"Rencana {status.value}",
        status=status,
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        centre=world.centre,
    )
    for mentor, mentees in allocations:
        await Allocation.create(plan=plan, mentor=mentor, sector=world.kuliner, mentees=mentees)
    await dataversion.bump()
    return plan


async def _figures(gql: GraphQLClient) -> tuple[int, int]:
    """(supply of the centre in KULINER, free places of K in KULINER)."""
    body = await gql(FIGURES)
    kecamatan: dict[str, Any] = body["data"]["kecamatan"]
    [need] = kecamatan["needs"]
    [complement] = kecamatan["complements"]
    [fill] = complement["sectors"]
    assert need["gap"] == fill["gap"] == max(0, need["demand"] - need["supply"])
    assert complement["filled"] == fill["filled"] == min(fill["gap"], fill["free"])
    return need["supply"], fill["free"]


async def test_inactive_mentors_are_ignored(gql: GraphQLClient, world: World) -> None:
    # Supply: 10 (the inactive 7 is not counted); free: 12 + 2 (the inactive 9 is not).
    assert await _figures(gql) == (10, 14)


async def test_an_inactive_mentor_adds_nothing_even_in_an_active_plan(
    gql: GraphQLClient, world: World
) -> None:
    # Deactivation is refused while open plans use a mentor; rows written otherwise still
    # must not count.
    plan = await _plan(world, PlanStatus.ACTIVE, [(world.m3, 4)])
    try:
        assert await _figures(gql) == (10, 14)
    finally:
        await plan.delete()
        await dataversion.bump()


async def test_free_places_never_go_below_zero_per_mentor(gql: GraphQLClient, world: World) -> None:
    # M2 (capacity 2) is over-allocated by 5: it offers 0, and takes nothing from M1's 12.
    plan = await _plan(world, PlanStatus.PROPOSED, [(world.m2, 5)])
    try:
        assert await _figures(gql) == (10, 12)
    finally:
        await plan.delete()
        await dataversion.bump()


@pytest.mark.parametrize(
    ("status", "supply", "free"),
    [
        (PlanStatus.PROPOSED, 10, 14 - 5),  # holds M1's places, adds nothing yet
        (PlanStatus.ACTIVE, 10 + 5, 14 - 5),  # holds them and adds them to the centre
        (PlanStatus.DECLINED, 10, 14),  # released
        (PlanStatus.CANCELLED, 10, 14),  # released
        (PlanStatus.COMPLETED, 10, 14),  # released
    ],
)
async def test_plans_hold_and_add_places_by_status(
    gql: GraphQLClient, world: World, status: PlanStatus, supply: int, free: int
) -> None:
    # The centre's own mentor is allocated too: its capacity is already in the supply.
    plan = await _plan(world, status, [(world.m1, 5), (world.own, 4)])
    try:
        assert await _figures(gql) == (supply, free)
    finally:
        await plan.delete()
        await dataversion.bump()


async def test_a_plan_moving_on_releases_its_places(gql: GraphQLClient, world: World) -> None:
    plan = await _plan(world, PlanStatus.ACTIVE, [(world.m1, 6)])
    try:
        assert await _figures(gql) == (16, 8)

        plan.status = PlanStatus.COMPLETED
        await plan.save()
        await dataversion.bump()

        assert await _figures(gql) == (10, 14)
    finally:
        await plan.delete()
        await dataversion.bump()
