"""The synthetic national dataset, at a small scale: its shape, its determinism, its refusal of
a database that holds other data, and the matching on it against a plain reading of the rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise.contrib.test import truncate_all_models

from hub import matching
from hub.core import InvalidState
from hub.matching import scoring
from hub.seed import NATIONAL, Loaded, load_national
from hub.seed.reference import jakarta_kecamatan
from hub.seed.synthetic import PROVINCE_SEATS
from models.directory import (
    Centre,
    Community,
    CommunityArea,
    Demand,
    Mentor,
    MentorSkill,
    Sector,
)
from models.enums import (
    CommunityKind,
    PlanStatus,
    RegionLevel,
    RegistrationStatus,
    TrainingStatus,
)
from models.participation import Interest, Participant, Registration
from models.plans import Allocation, Plan, Training
from models.regions import Region
from tests.conftest import reset_database

SMALL = NATIONAL.scaled(0.02)


@pytest.fixture(scope="module")
async def small(reference_data: None) -> AsyncIterator[Loaded]:
    await truncate_all_models()
    yield await load_national(seed=7, size=SMALL)
    await reset_database(demo=False)


async def _digest() -> str:
    """Everything but timestamps and ids (a truncated table may not restart its ids), each row
    named by what it refers to."""
    parts = []
    for model, columns in [
        (Region, ["code", "level", "name", "official_name", "parent__code", "lat", "lon"]),
        (Centre, ["kecamatan__code", "name", "address", "contact_email"]),
        (Mentor, ["email", "name", "phone", "centre__name", "community__name", "active"]),
        (MentorSkill, ["mentor__email", "sector__code", "capacity"]),
        (Demand, ["centre__name", "sector__code", "demand"]),
        (Community, ["name", "kind", "description", "audiences", "member_count"]),
        (CommunityArea, ["community__name", "region__code"]),
        (Plan, ["title", "status", "version", "starts_on", "ends_on", "centre__name"]),
        (Allocation, ["plan__title", "mentor__email", "sector__code", "mentees"]),
    ]:
        rows = await model.all().values_list(*columns)
        parts.append(repr(sorted(rows, key=repr)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


async def test_the_dataset_has_the_shape_asked_for(small: Loaded) -> None:
    levels = defaultdict(int)
    for level in await Region.all().values_list("level", flat=True):
        levels[level] += 1
    assert (small.provinces, small.kotas, small.kecamatans) == (2, 10, 146)
    assert (levels["PROVINCE"], levels["KOTA"], levels["KECAMATAN"]) == (2, 10, 146)
    assert await Centre.all().count() == small.centres == 146
    assert await Mentor.filter(centre_id__isnull=False).count() == 146 * 4
    assert await Demand.all().count() == small.demand == 146 * 8
    assert await Community.all().count() == small.communities == SMALL.communities == 100
    assert await Mentor.filter(community_id__isnull=False).count() == SMALL.community_mentors
    assert await Plan.all().count() == small.plans == SMALL.plans
    assert {s for s in await Plan.all().values_list("status", flat=True)} == set(PlanStatus)


async def test_jakarta_keeps_its_codes_and_the_rest_follows_the_format(small: Loaded) -> None:
    regions = {r.code: r for r in await Region.all()}
    by_id = {r.id: r for r in regions.values()}
    for row in jakarta_kecamatan():
        assert regions[row.code].name == row.name
    for code, region in regions.items():
        pattern = {
            RegionLevel.PROVINCE: r"\d\d",
            RegionLevel.KOTA: r"\d\d\.\d\d",
            RegionLevel.KECAMATAN: r"\d\d\.\d\d\.\d\d",
        }[region.level]
        assert re.fullmatch(pattern, code), code
        if region.parent_id is not None:
            assert code.rpartition(".")[0] == by_id[region.parent_id].code
    assert {c for c in regions if "." not in c} == {"31", "11"}


async def test_every_kecamatan_has_a_position_near_its_province(small: Loaded) -> None:
    """The map draws every kecamatan at its lat/lon: Jakarta's are the reference data's, the
    others lie around their province's capital, in and around Indonesia."""
    jakarta = {row.code: (row.lat, row.lon) for row in jakarta_kecamatan()}
    kecamatans = await Region.filter(level=RegionLevel.KECAMATAN).values_list("code", "lat", "lon")
    assert len(kecamatans) == small.kecamatans
    for code, lat, lon in kecamatans:
        if code in jakarta:
            assert (lat, lon) == jakarta[code]
            continue
        seat_lat, seat_lon = PROVINCE_SEATS[code[:2]]
        assert -12.0 < lat < 8.0, (code, lat)
        assert 93.0 < lon < 142.0, (code, lon)
        assert abs(lat - seat_lat) < 5, (code, lat)
        assert abs(lon - seat_lon) < 5, (code, lon)
    positions = {code: (lat, lon) for code, lat, lon in kecamatans}
    assert len(set(positions.values())) == len(positions)


async def test_communities_serve_areas_at_every_level(small: Loaded) -> None:
    levels_of: dict[int, set[str]] = defaultdict(set)
    for community_id, level in await CommunityArea.all().values_list(
        "community_id", "region__level"
    ):
        levels_of[community_id].add(level)
    communities = await Community.all().values_list("id", flat=True)
    shapes = {frozenset(levels_of.get(c, set())) for c in communities}
    assert frozenset() in shapes  # anywhere
    for level in ("PROVINCE", "KOTA", "KECAMATAN"):
        assert frozenset({level}) in shapes
    assert any(len(shape) > 1 for shape in shapes)  # mixes of levels
    assert {k for k in await Community.all().values_list("kind", flat=True)} == set(CommunityKind)


async def test_open_plans_never_hold_more_than_a_mentor_has(small: Loaded) -> None:
    held: dict[tuple[int, int], int] = defaultdict(int)
    for mentor_id, sector_id, mentees in await Allocation.filter(
        plan__status__in=[PlanStatus.PROPOSED, PlanStatus.ACTIVE]
    ).values_list("mentor_id", "sector_id", "mentees"):
        held[mentor_id, sector_id] += mentees
    capacity = {
        (m, s): c
        for m, s, c in await MentorSkill.all().values_list("mentor_id", "sector_id", "capacity")
    }
    assert held
    assert all(n <= capacity[key] for key, n in held.items())


async def test_the_same_seed_gives_the_same_data(small: Loaded) -> None:
    first = await _digest()

    await truncate_all_models()
    await load_national(seed=7, size=SMALL)
    again = await _digest()
    await truncate_all_models()
    await load_national(seed=8, size=SMALL)
    other = await _digest()
    await truncate_all_models()
    await load_national(seed=7, size=SMALL)

    assert again == first
    assert other != first


async def test_a_database_with_other_data_is_refused_and_kept(small: Loaded) -> None:
    before = await _digest()

    with pytest.raises(InvalidState, match="own, empty database"):
        await load_national(seed=7, size=SMALL)

    assert await _digest() == before


async def test_a_database_with_the_demo_is_refused(small: Loaded) -> None:
    await reset_database(demo=True)
    try:
        with pytest.raises(InvalidState, match=r"holds 33 communities, \d+ mentors"):
            await load_national(seed=7, size=SMALL)
        assert await Community.all().count() == 33
    finally:
        await truncate_all_models()
        await load_national(seed=7, size=SMALL)


async def test_new_rows_get_fresh_ids_after_the_load(small: Loaded) -> None:
    # The loader writes explicit ids; PostgreSQL's sequences must have moved past them.
    community = await Community.create(name="Komunitas Baru", kind=CommunityKind.SECTOR)
    try:
        assert community.id > small.communities
    finally:
        await community.delete()


async def _plain_reading() -> tuple[list[scoring.CentreNeeds], list[scoring.Offer]]:
    """Needs and offers read row by row with the ORM and summed in Python, as the definitions
    say, independently of the hub's aggregate SQL."""
    sectors = {s.id: s for s in await Sector.all()}
    refs = {
        s.id: scoring.SectorRef(s.id, s.code, s.name, s.name_en, s.position)
        for s in sectors.values()
    }
    order = sorted(refs.values(), key=lambda s: (s.position, s.code))
    active = {m.id: m for m in await Mentor.filter(active=True)}
    skills = await MentorSkill.all()
    plans = {p.id: p for p in await Plan.all()}
    allocations = await Allocation.all()
    demand: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    supply: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for d in await Demand.all():
        demand[d.centre_id][d.sector_id] += d.demand
    for skill in skills:
        mentor = active.get(skill.mentor_id)
        if mentor is not None and mentor.centre_id is not None:
            supply[mentor.centre_id][skill.sector_id] += skill.capacity
    held: dict[tuple[int, int], int] = defaultdict(int)
    for a in allocations:
        plan, mentor = plans[a.plan_id], active.get(a.mentor_id)
        if plan.status in (PlanStatus.PROPOSED, PlanStatus.ACTIVE):
            held[a.mentor_id, a.sector_id] += a.mentees
        if plan.status is PlanStatus.ACTIVE and mentor is not None and mentor.community_id:
            supply[plan.centre_id][a.sector_id] += a.mentees
    centres = {c.kecamatan_id: c.id for c in await Centre.all()}
    # waiting: distinct residents waitlisted for upcoming trainings, or interested within 90 days
    now = dt.datetime.now(dt.UTC)
    waiting: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    upcoming = {
        t.id: t for t in await Training.filter(starts_at__gt=now, status=TrainingStatus.SCHEDULED)
    }
    for r in await Registration.filter(status=RegistrationStatus.WAITLISTED):
        if r.training_id in upcoming:
            t = upcoming[r.training_id]
            waiting[t.centre_id][t.sector_id].add(r.participant_id)
    for i in await Interest.filter(created_at__gte=now - dt.timedelta(days=90)):
        waiting[i.centre_id][i.sector_id].add(i.participant_id)
    needs = []
    for region in await Region.filter(level=RegionLevel.KECAMATAN).order_by("code"):
        centre = centres[region.id]
        needs.append(
            scoring.CentreNeeds(
                kecamatan=scoring.KecamatanRef(
                    id=region.id,
                    code=region.code,
                    name=region.name,
                    kota_id=region.parent_id or 0,
                    lat=region.lat,
                    lon=region.lon,
                ),
                centre_id=centre,
                sectors=tuple(
                    scoring.SectorNeed(
                        s, demand[centre][s.id], supply[centre][s.id], len(waiting[centre][s.id])
                    )
                    for s in order
                    if demand[centre][s.id] > 0 or supply[centre][s.id] > 0 or waiting[centre][s.id]
                ),
                waiting=len(set().union(*waiting[centre].values())),
            )
        )
    free: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for skill in skills:
        mentor = active.get(skill.mentor_id)
        if mentor is not None and mentor.community_id is not None:
            spare = max(0, skill.capacity - held[skill.mentor_id, skill.sector_id])
            free[mentor.community_id][skill.sector_id] += spare
    areas: dict[int, list[str]] = defaultdict(list)
    for community_id, code in await CommunityArea.all().values_list("community_id", "region__code"):
        areas[community_id].append(code)
    offers = [
        scoring.Offer(
            community_id=c.id,
            name=c.name,
            area_codes=tuple(sorted(areas[c.id])),
            free={s: n for s, n in free[c.id].items() if n > 0},
        )
        for c in await Community.all()
    ]
    return needs, offers


async def test_matching_agrees_with_a_plain_reading_of_the_rows(small: Loaded) -> None:
    needs, offers = await _plain_reading()
    ids = [n.kecamatan.id for n in needs]

    loaded = await matching.needs(kecamatan_ids=ids)
    complements = await matching.complements(kecamatan_ids=ids, first=100)
    coalitions = await matching.coalitions(kecamatan_ids=ids)
    coverage = await matching.coverage()

    assert [(n.kecamatan.code, n.sectors, n.waiting) for n in loaded] == [
        (n.kecamatan.code, n.sectors, n.waiting) for n in needs
    ]
    assert sum(n.waiting for n in needs) > 0
    for n, row in zip(needs, coverage, strict=True):
        assert complements[n.kecamatan.id] == scoring.complements(n, offers, first=100)
        assert coalitions[n.kecamatan.id] == scoring.coalition(n, offers, max_communities=5)
        assert row == scoring.coverage_row(n, offers, max_communities=5)
    assert any(0 < row.coalition_coverage < 1 for row in coverage)


HUB = [sys.executable, "-m", "hub.cli"]


def _hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HUB, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _env(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off"}
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    return env


def test_hub_seed_synthetic_national_loads_once_then_refuses(tmp_path: Path) -> None:
    env = _env(tmp_path)

    loaded = _hub(env, "seed", "--synthetic", "national", "--seed", "3", "--scale", "0.01")
    again = _hub(env, "seed", "--synthetic", "national", "--seed", "3", "--scale", "0.01")

    assert loaded.returncode == 0, loaded.stderr
    assert "kecamatans 73" in loaded.stdout
    assert again.returncode == 1
    assert "own, empty database" in again.stderr


async def _postgres_admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def test_hub_seed_synthetic_national_on_postgres(tmp_path: Path) -> None:
    url = os.environ.get("HUB_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("set HUB_TEST_DATABASE_URL to a PostgreSQL database")
    name = f"hub_synthetic_{os.getpid()}"
    asyncio.run(_postgres_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        loaded = _hub(_env(tmp_path, scratch), "seed", "--synthetic", "national", "--scale", "0.01")
        assert loaded.returncode == 0, loaded.stderr
        assert "kecamatans 73" in loaded.stdout
    finally:
        asyncio.run(_postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_residents_fill_trainings_within_capacity(small: Loaded) -> None:
    assert await Participant.all().count() == small.participants == SMALL.participants
    assert await Interest.all().count() == small.interests == SMALL.interests
    assert await Registration.all().count() == small.registrations > 0
    trainings = {t.id: t for t in await Training.all()}
    assert len(trainings) == small.trainings
    confirmed: dict[int, int] = defaultdict(int)
    positions: dict[int, list[int]] = defaultdict(list)
    for r in await Registration.all():
        if r.status is RegistrationStatus.CONFIRMED:
            confirmed[r.training_id] += 1
        else:
            positions[r.training_id].append(r.position or 0)
    assert all(n <= (trainings[t].capacity or n) for t, n in confirmed.items())
    assert positions, "some upcoming trainings have a waitlist"
    assert all(sorted(p) == list(range(1, len(p) + 1)) for p in positions.values())
    now = dt.datetime.now(dt.UTC)
    assert all(trainings[t].starts_at > now for t in positions)
    assert await Participant.filter(consent_text_version="").count() == 0
