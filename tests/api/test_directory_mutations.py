"""Directory mutations: validation, normalised contact data, skills, deactivation, demand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.core import encode_global_id
from models.directory import Community, Demand, Mentor, MentorSkill, Sector
from models.enums import PlanStatus, TrainingStatus
from models.plans import Allocation, Plan, PlanParty, Training, TrainingMentor
from tests.api.directory_fixtures import (
    Directory,
    audit_count,
    directory_world,
    mentor_id,
    new_mentor,
    unique,
)
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("demo_data")

CREATE_COMMUNITY = """
mutation ($input: CreateCommunityInput!) {
  createCommunity(input: $input) {
    community { id name kind description audiences memberCount servesAnywhere
                sectors { code } areas { code } }
    errors { code field message }
  }
}
"""

UPDATE_COMMUNITY = """
mutation ($input: UpdateCommunityInput!) {
  updateCommunity(input: $input) {
    community { name kind servesAnywhere sectors { code } areas { code } audiences memberCount }
    errors { code field message }
  }
}
"""

CREATE_MENTOR = """
mutation ($input: CreateMentorInput!) {
  createMentor(input: $input) {
    mentor { id name email phone active centre { name } community { name }
             skills { sector { code } capacity free } }
    errors { code field message }
  }
}
"""

UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) {
    mentor { name email phone skills { sector { code } capacity } }
    errors { code field message }
  }
}
"""

DEACTIVATE_MENTOR = """
mutation ($input: DeactivateMentorInput!) {
  deactivateMentor(input: $input) { mentor { name active } errors { code field message } }
}
"""

SET_DEMAND = """
mutation ($input: SetDemandInput!) {
  setDemand(input: $input) {
    need { sector { code } demand supply gap }
    errors { code field message }
  }
}
"""

KECAMATAN_NEEDS = """
query ($code: String!) { kecamatan(code: $code) { needs { sector { code } demand supply gap } } }
"""


@pytest.fixture(scope="module")
async def world(demo_data: None) -> Directory:
    return await directory_world()


def _errors(payload: dict[str, Any]) -> set[tuple[str, tuple[str, ...]]]:
    return {(e["code"], tuple(e["field"] or ())) for e in payload["errors"]}


async def _create_mentor(gql: GraphQLClient, world: Directory, **values: Any) -> dict[str, Any]:
    body = await gql(CREATE_MENTOR, {"input": values}, headers=world.headers("admin"))
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["createMentor"]
    return payload


async def test_every_invalid_value_of_a_mentor_is_reported_at_once(
    gql: GraphQLClient, world: Directory
) -> None:
    before = (await Mentor.all().count(), await audit_count())

    payload = await _create_mentor(
        gql,
        world,
        name="   ",
        email="bukan-alamat",
        phone="12345",
        centreKecamatanCode="31.71.01",
        communityId=world.community_id,
        skills=[
            {"sectorCode": "KULINER", "capacity": 101},
            {"sectorCode": "MEMASAK", "capacity": -1},
            {"sectorCode": "KULINER", "capacity": 5},
        ],
    )

    assert payload["mentor"] is None
    assert _errors(payload) == {
        ("INVALID", ("name",)),
        ("INVALID", ("email",)),
        ("INVALID", ("phone",)),
        ("INVALID", ("centreKecamatanCode",)),
        ("INVALID", ("skills", "0", "capacity")),
        ("INVALID", ("skills", "1", "sectorCode")),
        ("INVALID", ("skills", "1", "capacity")),
        ("INVALID", ("skills", "2", "sectorCode")),
    }
    messages = " ".join(e["message"] for e in payload["errors"])
    assert "'bukan-alamat' is not a valid email address" in messages
    assert "capacity must be between 0 and 100, not 101" in messages
    assert "unknown sector code 'MEMASAK'" in messages
    assert "KULINER is listed twice" in messages
    assert (await Mentor.all().count(), await audit_count()) == before


@pytest.mark.parametrize(
    "written",
    ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456-7890", "081234567890"],
)
async def test_indonesian_phone_numbers_are_stored_as_e164(
    gql: GraphQLClient, world: Directory, written: str
) -> None:
    payload = await _create_mentor(
        gql,
        world,
        name=unique("Dewi Lestari"),
        phone=written,
        centreKecamatanCode="31.71.01",
        skills=[],
    )

    assert payload["errors"] == []
    assert payload["mentor"]["phone"] == "+6281234567890"


async def test_email_syntax_is_checked_without_dns_and_stored_in_lower_case(
    gql: GraphQLClient, world: Directory
) -> None:
    address = f"{unique('Siti').replace(' ', '.')}@Example.ORG"

    payload = await _create_mentor(
        gql,
        world,
        name="Siti Rahmawati",
        email=address,
        communityId=world.community_id,
        skills=[{"sectorCode": "kuliner", "capacity": 0}, {"sectorCode": "JASA", "capacity": 100}],
    )

    assert payload["errors"] == []
    mentor = payload["mentor"]
    assert mentor["email"] == address.lower()
    assert mentor["community"] == {"name": "Komunitas Kuliner Nusantara"}
    assert mentor["centre"] is None
    assert mentor["skills"] == [
        {"sector": {"code": "KULINER"}, "capacity": 0, "free": 0},
        {"sector": {"code": "JASA"}, "capacity": 100, "free": 100},
    ]

    again = await _create_mentor(
        gql,
        world,
        name="Siti Lain",
        email=address.upper(),
        communityId=world.community_id,
        skills=[],
    )
    assert _errors(again) == {("INVALID", ("email",))}
    assert "already has the email address" in again["errors"][0]["message"]


@pytest.mark.parametrize(
    ("home", "field"),
    [
        ({}, "centreKecamatanCode"),
        ({"centreKecamatanCode": "31.99.99"}, "centreKecamatanCode"),
        ({"communityId": encode_global_id("Community", 999999)}, "communityId"),
        ({"communityId": "bukan-id"}, "communityId"),
    ],
)
async def test_a_mentor_needs_exactly_one_known_home(
    gql: GraphQLClient, world: Directory, home: dict[str, str], field: str
) -> None:
    payload = await _create_mentor(gql, world, name="Tanpa Rumah", skills=[], **home)

    assert payload["mentor"] is None
    assert _errors(payload) == {("INVALID", (field,))}


async def test_update_mentor_replaces_skills_and_removes_contact_data_given_empty(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "centre", skills={"KULINER": 8, "JASA": 2})
    await Mentor.filter(id=mentor.id).update(phone="+6281200009999")

    body = await gql(
        UPDATE_MENTOR,
        {
            "input": {
                "mentorId": mentor_id(mentor),
                "email": "",
                "skills": [{"sectorCode": "FESYEN", "capacity": 5}],
            }
        },
        headers=world.headers("staff"),
    )

    payload = body["data"]["updateMentor"]
    assert payload["errors"] == []
    assert payload["mentor"] == {
        "name": mentor.name,
        "email": None,
        "phone": "+6281200009999",
        "skills": [{"sector": {"code": "FESYEN"}, "capacity": 5}],
    }
    assert await MentorSkill.filter(mentor_id=mentor.id).count() == 1


async def _plan_with(
    world: Directory,
    mentor: Mentor,
    *,
    status: PlanStatus,
    allocated: int = 0,
    teaches: bool = False,
) -> Plan:
    """A plan of Gambir's centre and the coordinator's community using `mentor`."""
    kuliner = await Sector.get(code="KULINER")
    today = dt.datetime.now(dt.UTC).date()
    plan = await Plan.create(
        title=unique("Rencana Uji"),
        status=status,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        centre=world.gambir,
    )
    await PlanParty.create(plan=plan, centre=world.gambir)
    await PlanParty.create(plan=plan, community=world.community)
    if allocated:
        await Allocation.create(plan=plan, mentor=mentor, sector=kuliner, mentees=allocated)
    if teaches:
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        training = await Training.create(
            plan=plan,
            centre=world.gambir,
            sector=kuliner,
            title="Pelatihan uji",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            status=TrainingStatus.PLANNED,
        )
        await TrainingMentor.create(training=training, mentor=mentor)
    return plan


async def test_capacity_cannot_drop_below_what_open_plans_allocate(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "community", skills={"KULINER": 8})
    plan = await _plan_with(world, mentor, status=PlanStatus.ACTIVE, allocated=6)

    body = await gql(
        UPDATE_MENTOR,
        {
            "input": {
                "mentorId": mentor_id(mentor),
                "skills": [{"sectorCode": "KULINER", "capacity": 5}],
            }
        },
        headers=world.headers("coordinator"),
    )

    payload = body["data"]["updateMentor"]
    assert _errors(payload) == {("INVALID_STATE", ("skills",))}
    assert plan.title in payload["errors"][0]["message"]
    assert "6 mentees in KULINER" in payload["errors"][0]["message"]
    assert await MentorSkill.get(mentor_id=mentor.id).values_list("capacity", flat=True) == 8


@pytest.mark.parametrize(
    ("status", "allocated", "teaches", "refused"),
    [
        (PlanStatus.ACTIVE, 3, False, True),
        (PlanStatus.PROPOSED, 0, True, True),
        (PlanStatus.PROPOSED, 2, True, True),
        (PlanStatus.CANCELLED, 3, True, False),
        (PlanStatus.COMPLETED, 3, False, False),
    ],
)
async def test_deactivation_is_refused_while_open_plans_count_on_the_mentor(
    gql: GraphQLClient,
    world: Directory,
    status: PlanStatus,
    allocated: int,
    teaches: bool,
    refused: bool,
) -> None:
    mentor = await new_mentor(world, "community")
    plan = await _plan_with(world, mentor, status=status, allocated=allocated, teaches=teaches)

    body = await gql(
        DEACTIVATE_MENTOR,
        {"input": {"mentorId": mentor_id(mentor)}},
        headers=world.headers("admin"),
    )

    payload = body["data"]["deactivateMentor"]
    stored = await Mentor.get(id=mentor.id)
    if refused:
        assert payload["mentor"] is None
        assert _errors(payload) == {("INVALID_STATE", ("mentorId",))}
        assert repr(plan.title) in payload["errors"][0]["message"]
        assert stored.active is True
    else:
        assert payload == {"mentor": {"name": mentor.name, "active": False}, "errors": []}
        assert stored.active is False


async def test_deactivating_twice_changes_nothing_the_second_time(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "centre")
    variables = {"input": {"mentorId": mentor_id(mentor)}}
    await gql(DEACTIVATE_MENTOR, variables, headers=world.headers("staff"))
    entries = await audit_count()

    body = await gql(DEACTIVATE_MENTOR, variables, headers=world.headers("staff"))

    assert body["data"]["deactivateMentor"]["mentor"] == {"name": mentor.name, "active": False}
    assert await audit_count() == entries


async def test_errors_come_in_order_malformed_id_not_found_forbidden_then_invalid(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "centre")
    bad_input = {"name": "", "skills": [{"sectorCode": "NOPE", "capacity": 500}]}
    cases = [
        (None, {"mentorId": encode_global_id("Mentor", 999999), **bad_input}, "NOT_FOUND"),
        ("admin", {"mentorId": "bukan-id", **bad_input}, "INVALID"),
        (None, {"mentorId": mentor_id(mentor), **bad_input}, "FORBIDDEN"),
        ("coordinator", {"mentorId": mentor_id(mentor), **bad_input}, "FORBIDDEN"),
        ("staff", {"mentorId": mentor_id(mentor), **bad_input}, "INVALID"),
    ]
    for who, values, code in cases:
        body = await gql(UPDATE_MENTOR, {"input": values}, headers=world.headers(who))

        codes = {e["code"] for e in body["data"]["updateMentor"]["errors"]}
        assert codes == {code}, (who, values)


async def test_create_community_validates_every_value(gql: GraphQLClient, world: Directory) -> None:
    existing = await Community.get(name="Komunitas Kopi Jakarta")
    kelurahan = "31.71.01.1001"

    body = await gql(
        CREATE_COMMUNITY,
        {
            "input": {
                "name": existing.name,
                "kind": "REGION",
                "sectorCodes": ["KULINER", "MEMASAK"],
                "areaCodes": ["31.71", "99", kelurahan],
                "memberCount": -5,
            }
        },
        headers=world.headers("admin"),
    )

    payload = body["data"]["createCommunity"]
    assert payload["community"] is None
    assert _errors(payload) == {
        ("INVALID", ("name",)),
        ("INVALID", ("sectorCodes", "1")),
        ("INVALID", ("areaCodes", "1")),
        ("INVALID", ("areaCodes", "2")),
        ("INVALID", ("memberCount",)),
    }


async def test_a_community_is_created_and_updated_with_lists_replaced(
    gql: GraphQLClient, world: Directory
) -> None:
    name = unique("Komunitas Batik Betawi")
    created = await gql(
        CREATE_COMMUNITY,
        {
            "input": {
                "name": f"  {name} ",
                "kind": "ORGANISATION",
                "description": "Perajin batik.",
                "sectorCodes": ["FESYEN", "KRIYA", "FESYEN"],
                "areaCodes": ["31.71.01", "31.73"],
                "audiences": ["ibu rumah tangga", " pemuda "],
                "memberCount": 120,
            }
        },
        headers=world.headers("admin"),
    )
    payload = created["data"]["createCommunity"]
    assert payload["errors"] == []
    community = payload["community"]
    assert community["name"] == name
    assert community["sectors"] == [{"code": "FESYEN"}, {"code": "KRIYA"}]
    assert community["areas"] == [{"code": "31.71.01"}, {"code": "31.73"}]
    assert community["audiences"] == ["ibu rumah tangga", "pemuda"]
    assert (community["memberCount"], community["servesAnywhere"]) == (120, False)

    updated = await gql(
        UPDATE_COMMUNITY,
        {
            "input": {
                "communityId": community["id"],
                "kind": "SECTOR",
                "areaCodes": [],
                "sectorCodes": ["KRIYA"],
            }
        },
        headers=world.headers("admin"),
    )

    assert updated["data"]["updateCommunity"] == {
        "community": {
            "name": name,
            "kind": "SECTOR",
            "servesAnywhere": True,
            "sectors": [{"code": "KRIYA"}],
            "areas": [],
            "audiences": ["ibu rumah tangga", "pemuda"],
            "memberCount": 120,
        },
        "errors": [],
    }


async def test_a_community_cannot_take_another_communitys_name(
    gql: GraphQLClient, world: Directory
) -> None:
    body = await gql(
        UPDATE_COMMUNITY,
        {"input": {"communityId": world.community_id, "name": "Komunitas Kopi Jakarta"}},
        headers=world.headers("coordinator"),
    )

    payload = body["data"]["updateCommunity"]
    assert _errors(payload) == {("INVALID", ("name",))}
    assert (await Community.get(id=world.community.id)).name == "Komunitas Kuliner Nusantara"


async def test_set_demand_returns_the_need_with_supply_and_gap(
    gql: GraphQLClient, world: Directory
) -> None:
    body = await gql(
        SET_DEMAND,
        {"input": {"kecamatanCode": "31.71.01", "sectorCode": "KRIYA", "demand": 250}},
        headers=world.headers("staff"),
    )

    payload = body["data"]["setDemand"]
    assert payload["errors"] == []
    need = payload["need"]
    assert (need["sector"], need["demand"]) == ({"code": "KRIYA"}, 250)
    assert need["gap"] == max(0, 250 - need["supply"])
    needs = await gql(KECAMATAN_NEEDS, {"code": "31.71.01"})
    kriya = next(n for n in needs["data"]["kecamatan"]["needs"] if n["sector"]["code"] == "KRIYA")
    assert kriya == need
    stored = await Demand.get(centre_id=world.gambir.id, sector__code="KRIYA")
    assert stored.demand == 250


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"kecamatanCode": "31.71.01", "sectorCode": "KRIYA", "demand": -1},
            ("INVALID", ("demand",)),
        ),
        (
            {"kecamatanCode": "31.71.01", "sectorCode": "MEMASAK", "demand": 3},
            ("INVALID", ("sectorCode",)),
        ),
        (
            {"kecamatanCode": "31.99.99", "sectorCode": "KRIYA", "demand": 3},
            ("NOT_FOUND", ("kecamatanCode",)),
        ),
    ],
)
async def test_set_demand_refuses_bad_input(
    gql: GraphQLClient,
    world: Directory,
    values: dict[str, Any],
    expected: tuple[str, tuple[str, ...]],
) -> None:
    body = await gql(SET_DEMAND, {"input": values}, headers=world.headers("admin"))

    payload = body["data"]["setDemand"]
    assert payload["need"] is None
    assert _errors(payload) == {expected}
