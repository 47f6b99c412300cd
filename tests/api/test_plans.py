"""The joint mentoring plan workflow through GraphQL: states, versions, roles, rules, history."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from models.notifications import Notification
from models.plans import Allocation, Plan, PlanEvent, Training
from tests.api.plan_fixtures import World, at, build_world, day
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

PLAN_FIELDS = """
  id title goals status version startsOn endsOn
  centre { name }
  proposedBy { email }
  parties { status note centre { name } community { name } respondedBy { email } respondedAt }
  allocations { mentees mentor { name } sector { code } }
  trainings { id title status revision startsAt endsAt venue capacity sector { code }
              organisers { name } mentors { name } }
  events { kind version details actor { email } }
"""

PROPOSE = f"""
mutation ($input: ProposePlanInput!) {{
  proposePlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

RESPOND = f"""
mutation ($input: RespondToPlanInput!) {{
  respondToPlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

REVISE = f"""
mutation ($input: RevisePlanInput!) {{
  revisePlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

CANCEL = f"""
mutation ($input: CancelPlanInput!) {{
  cancelPlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

COMPLETE = f"""
mutation ($input: CompletePlanInput!) {{
  completePlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

RESCHEDULE = f"""
mutation ($input: RescheduleTrainingInput!) {{
  rescheduleTraining(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

CANCEL_TRAINING = f"""
mutation ($input: CancelTrainingInput!) {{
  cancelTraining(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

COMPLETE_TRAINING = f"""
mutation ($input: CompleteTrainingInput!) {{
  completeTraining(input: $input) {{ plan {{ {PLAN_FIELDS} }} errors {{ code field message }} }}
}}
"""

MENTOR_FREE = """
query ($id: ID!) { node(id: $id) { ... on Mentor { skills { sector { code } capacity free } } } }
"""

PLANS = """
query ($filter: PlanFilter) { plans(filter: $filter, first: 100) { totalCount edges { node { id title status } } } }
"""

PLAN_NODE = """
query ($id: ID!) { node(id: $id) { ... on Plan { title status } } }
"""

TRAININGS = """
query ($filter: TrainingFilter) { trainings(filter: $filter, first: 100) { edges { node { title status } } } }
"""


@pytest.fixture
async def world(reference_data: None, request: pytest.FixtureRequest) -> World:
    """A fresh world for each test, so that held places and booked hours never carry over."""
    return await build_world(f"t{next(_worlds)}")


def proposal(world: World, **overrides: Any) -> dict[str, Any]:
    """K1's coordinator proposes, with K2, for Gambir: M1 and C0 mentor, one training by M1."""
    values: dict[str, Any] = {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"], world.community["K2"]],
        "title": "Kuliner Gambir naik kelas",
        "goals": "Dua puluh usaha kuliner",
        "startsOn": day(0),
        "endsOn": day(60),
        "allocations": [
            {"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 5},
            {"mentorId": world.mentor["C0"], "sectorCode": "KULINER", "mentees": 4},
        ],
        "trainings": [
            {
                "title": "Foto produk kuliner",
                "sectorCode": "KULINER",
                "startsAt": at(10, 9),
                "endsAt": at(10, 12),
                "venue": "Aula Kecamatan Gambir",
                "capacity": 30,
                "mentorIds": [world.mentor["M1"]],
            }
        ],
    }
    values.update(overrides)
    return values


async def propose(gql: GraphQLClient, world: World, who: str = "k1", **overrides: Any) -> dict:
    body = await gql(PROPOSE, {"input": proposal(world, **overrides)}, headers=world.headers(who))
    return body["data"]["proposePlan"]


async def answer(
    gql: GraphQLClient, world: World, plan: dict, who: str, decision: str = "ACCEPT", **extra: Any
) -> dict:
    variables = {
        "input": {"planId": plan["id"], "version": plan["version"], "decision": decision, **extra}
    }
    body = await gql(RESPOND, variables, headers=world.headers(who))
    return body["data"]["respondToPlan"]


async def active_plan(gql: GraphQLClient, world: World, **overrides: Any) -> dict:
    plan = (await propose(gql, world, **overrides))["plan"]
    plan = (await answer(gql, world, plan, "staff"))["plan"]
    plan = (await answer(gql, world, plan, "k2"))["plan"]
    assert plan["status"] == "ACTIVE"
    return plan


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def free_places(gql: GraphQLClient, world: World, mentor: str, sector: str) -> int:
    body = await gql(MENTOR_FREE, {"id": world.mentor[mentor]})
    return next(s["free"] for s in body["data"]["node"]["skills"] if s["sector"]["code"] == sector)


async def test_a_coordinator_proposes_a_plan(gql: GraphQLClient, world: World) -> None:
    free_before = await free_places(gql, world, "M1", "KULINER")

    payload = await propose(gql, world)

    assert payload["errors"] == []
    plan = payload["plan"]
    assert (plan["status"], plan["version"]) == ("PROPOSED", 1)
    assert plan["centre"] == {"name": "Pusat OK OCE Kecamatan Gambir"}
    assert plan["proposedBy"] == {"email": f"k1.{world.tag}@test.example.org"}
    parties = [(p["centre"], p["community"], p["status"]) for p in plan["parties"]]
    assert parties == [
        ({"name": "Pusat OK OCE Kecamatan Gambir"}, None, "PENDING"),
        (None, {"name": "K1 " + world.tag}, "ACCEPTED"),
        (None, {"name": "K2 " + world.tag}, "PENDING"),
    ]
    assert plan["parties"][1]["respondedBy"] == {"email": f"k1.{world.tag}@test.example.org"}
    assert sorted((a["mentor"]["name"], a["mentees"]) for a in plan["allocations"]) == [
        ("Mentor C0 " + world.tag, 4),
        ("Mentor M1 " + world.tag, 5),
    ]
    (training,) = plan["trainings"]
    assert training["status"] == "PLANNED"
    assert dt.datetime.fromisoformat(training["startsAt"]) == dt.datetime.fromisoformat(at(10, 9))
    assert training["startsAt"].endswith("+00:00")
    assert sorted(o["name"] for o in training["organisers"]) == [
        "K1 " + world.tag,
        "K2 " + world.tag,
    ]
    assert training["mentors"] == [{"name": "Mentor M1 " + world.tag}]
    assert [(e["kind"], e["version"]) for e in plan["events"]] == [("PROPOSED", 1)]
    # A proposed plan holds its mentors' places.
    assert await free_places(gql, world, "M1", "KULINER") == free_before - 5


async def test_the_last_acceptance_activates_the_plan(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]

    staff = await answer(gql, world, plan, "staff", note="Siap")
    assert staff["errors"] == []
    assert (staff["plan"]["status"], staff["plan"]["version"]) == ("PROPOSED", 2)
    assert staff["plan"]["parties"][0]["note"] == "Siap"
    assert staff["plan"]["parties"][0]["respondedBy"] == {
        "email": f"staff.{world.tag}@test.example.org"
    }

    k2 = await answer(gql, world, staff["plan"], "k2")
    assert k2["errors"] == []
    active = k2["plan"]
    assert (active["status"], active["version"]) == ("ACTIVE", 3)
    assert [t["status"] for t in active["trainings"]] == ["SCHEDULED"]
    assert [(e["kind"], e["version"]) for e in active["events"]] == [
        ("PROPOSED", 1),
        ("ACCEPTED", 2),
        ("ACCEPTED", 3),
        ("ACTIVATED", 3),
    ]


async def test_a_stale_version_is_a_conflict_carrying_the_plan_as_it_is(
    gql: GraphQLClient, world: World
) -> None:
    plan = (await propose(gql, world))["plan"]
    await answer(gql, world, plan, "staff")  # now at version 2

    stale = await answer(gql, world, plan, "k2")

    assert codes(stale) == ["CONFLICT"]
    assert "version 2, not 1" in stale["errors"][0]["message"]
    assert stale["errors"][0]["field"] == ["version"]
    assert (stale["plan"]["version"], stale["plan"]["status"]) == (2, "PROPOSED")
    assert stale["plan"]["parties"][2]["status"] == "PENDING"


async def test_errors_come_in_the_documented_order(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]
    stale = {**plan, "version": 7}

    # FORBIDDEN before CONFLICT: a partner app with a stale version.
    partner = await answer(gql, world, stale, "partner")
    assert codes(partner) == ["FORBIDDEN"]
    assert partner["plan"] is None
    # NOT_FOUND first of all.
    missing = await answer(gql, world, {"id": "UGxhbjo5OTk5OTk=", "version": 1}, "partner")
    assert codes(missing) == ["NOT_FOUND"]
    # CONFLICT before INVALID_STATE: a completed-only action on a proposed plan, stale.
    complete = await gql(
        COMPLETE, {"input": {"planId": plan["id"], "version": 7}}, headers=world.headers("staff")
    )
    assert codes(complete["data"]["completePlan"]) == ["CONFLICT"]
    complete = await gql(
        COMPLETE, {"input": {"planId": plan["id"], "version": 1}}, headers=world.headers("staff")
    )
    assert codes(complete["data"]["completePlan"]) == ["INVALID_STATE"]
    assert "PROPOSED" in complete["data"]["completePlan"]["errors"][0]["message"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("k1", True),
        ("staff", True),
        ("k2", True),
        ("admin", True),
        ("k3", False),
        ("other_staff", False),
        ("partner", False),
        (None, False),
    ],
)
async def test_who_may_propose(
    gql: GraphQLClient, world: World, who: str | None, allowed: bool
) -> None:
    payload = await propose(gql, world, who=who, allocations=[], trainings=[])
    assert codes(payload) == ([] if allowed else ["FORBIDDEN"])


async def test_who_may_answer_revise_cancel_and_complete(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]

    for who in ["k3", "other_staff", "partner", None]:
        assert codes(await answer(gql, world, plan, who)) == ["FORBIDDEN"], who
    for who in ["k2", "k3", "other_staff", "partner"]:
        body = await gql(
            REVISE,
            {"input": {"planId": plan["id"], "version": 1, "title": "x"}},
            headers=world.headers(who),
        )
        assert codes(body["data"]["revisePlan"]) == ["FORBIDDEN"], who
        body = await gql(
            CANCEL, {"input": {"planId": plan["id"], "version": 1}}, headers=world.headers(who)
        )
        assert codes(body["data"]["cancelPlan"]) == ["FORBIDDEN"], who
    for who in ["k1", "k2", "partner"]:
        body = await gql(
            COMPLETE, {"input": {"planId": plan["id"], "version": 1}}, headers=world.headers(who)
        )
        assert codes(body["data"]["completePlan"]) == ["FORBIDDEN"], who
    # An admin answers for the party it names, and that is recorded.
    admin = await answer(gql, world, plan, "admin", communityId=world.community["K2"])
    assert admin["errors"] == []
    assert admin["plan"]["parties"][2]["respondedBy"] == {
        "email": f"admin.{world.tag}@test.example.org"
    }


async def test_a_refusal_declines_releases_and_cancels(gql: GraphQLClient, world: World) -> None:
    before = await free_places(gql, world, "M1", "KULINER")
    plan = (await propose(gql, world))["plan"]
    assert await free_places(gql, world, "M1", "KULINER") == before - 5

    declined = await answer(gql, world, plan, "staff", decision="DECLINE", note="Belum siap")

    assert declined["errors"] == []
    assert (declined["plan"]["status"], declined["plan"]["version"]) == ("DECLINED", 2)
    assert [t["status"] for t in declined["plan"]["trainings"]] == ["CANCELLED"]
    assert declined["plan"]["events"][-1]["details"] == "Belum siap"
    assert await free_places(gql, world, "M1", "KULINER") == before
    again = await answer(gql, world, declined["plan"], "k2")
    assert codes(again) == ["INVALID_STATE"]


async def test_revising_a_declined_plan_proposes_it_again(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]
    declined = (await answer(gql, world, plan, "k2", decision="DECLINE"))["plan"]

    revised = await gql(
        REVISE,
        {
            "input": {
                "planId": plan["id"],
                "version": declined["version"],
                "title": "Versi dua",
                "allocations": [
                    {"mentorId": world.mentor["M2"], "sectorCode": "KRIYA", "mentees": 3}
                ],
            }
        },
        headers=world.headers("staff"),
    )

    payload = revised["data"]["revisePlan"]
    assert payload["errors"] == []
    plan = payload["plan"]
    assert (plan["status"], plan["version"], plan["title"]) == ("PROPOSED", 3, "Versi dua")
    assert [p["status"] for p in plan["parties"]] == ["ACCEPTED", "PENDING", "PENDING"]
    assert [(a["mentor"]["name"], a["sector"]["code"]) for a in plan["allocations"]] == [
        ("Mentor M2 " + world.tag, "KRIYA")
    ]
    # Its training, cancelled by the refusal, is planned again.
    assert [t["status"] for t in plan["trainings"]] == ["PLANNED"]
    assert plan["events"][-1]["kind"] == "REVISED"


async def test_revising_a_proposed_plan_asks_everyone_again(
    gql: GraphQLClient, world: World
) -> None:
    plan = (await propose(gql, world))["plan"]
    plan = (await answer(gql, world, plan, "staff"))["plan"]

    body = await gql(
        REVISE,
        {
            "input": {
                "planId": plan["id"],
                "version": plan["version"],
                "endsOn": day(30),
                "trainings": [],
            }
        },
        headers=world.headers("k1"),
    )

    revised = body["data"]["revisePlan"]["plan"]
    assert revised["endsOn"] == day(30)
    assert revised["trainings"] == []
    assert [p["status"] for p in revised["parties"]] == ["PENDING", "ACCEPTED", "PENDING"]
    assert await Training.filter(plan_id=await _pk(plan)).count() == 0


async def _pk(plan: dict) -> int:
    from hub.core import decode_global_id

    return decode_global_id(plan["id"], "Plan")


async def test_cancelling_releases_mentors_and_cancels_trainings(
    gql: GraphQLClient, world: World
) -> None:
    before = await free_places(gql, world, "M1", "KULINER")
    plan = await active_plan(gql, world)
    assert await free_places(gql, world, "M1", "KULINER") == before - 5

    body = await gql(
        CANCEL,
        {"input": {"planId": plan["id"], "version": plan["version"], "reason": "Dana tidak cukup"}},
        headers=world.headers("k1"),
    )

    cancelled = body["data"]["cancelPlan"]
    assert cancelled["errors"] == []
    assert cancelled["plan"]["status"] == "CANCELLED"
    assert [(t["status"], t["revision"]) for t in cancelled["plan"]["trainings"]] == [
        ("CANCELLED", 1)
    ]
    assert cancelled["plan"]["events"][-1]["details"] == "Dana tidak cukup"
    assert await free_places(gql, world, "M1", "KULINER") == before


async def test_completing_marks_past_trainings_done_and_cancels_future_ones(
    gql: GraphQLClient, world: World
) -> None:
    trainings = [
        {
            "title": "Sudah lewat",
            "sectorCode": "KULINER",
            "startsAt": at(-3, 9),
            "endsAt": at(-3, 12),
            "mentorIds": [world.mentor["C0"]],
        },
        {
            "title": "Belum mulai",
            "sectorCode": "KULINER",
            "startsAt": at(20, 9),
            "endsAt": at(20, 12),
            "mentorIds": [world.mentor["C0"]],
        },
    ]
    plan = await active_plan(gql, world, startsOn=day(-5), trainings=trainings)

    for who in ["k1", "k2"]:
        body = await gql(
            COMPLETE,
            {"input": {"planId": plan["id"], "version": plan["version"]}},
            headers=world.headers(who),
        )
        assert codes(body["data"]["completePlan"]) == ["FORBIDDEN"]
    body = await gql(
        COMPLETE,
        {"input": {"planId": plan["id"], "version": plan["version"]}},
        headers=world.headers("staff"),
    )

    completed = body["data"]["completePlan"]["plan"]
    assert completed["status"] == "COMPLETED"
    assert [(t["title"], t["status"]) for t in completed["trainings"]] == [
        ("Sudah lewat", "DONE"),
        ("Belum mulai", "CANCELLED"),
    ]


async def test_validation_errors_are_reported_together(gql: GraphQLClient, world: World) -> None:
    payload = await propose(
        gql,
        world,
        communityIds=[world.community["K1"], world.community["K1"]],
        endsOn=day(-1),
        allocations=[{"mentorId": world.mentor["X"], "sectorCode": "KULINER", "mentees": 2}],
        trainings=[],
    )

    assert codes(payload) == ["INVALID", "INVALID", "INVALID"]
    messages = " | ".join(e["message"] for e in payload["errors"])
    assert "listed twice" in messages
    assert "ends" in messages
    assert "before it starts" in messages
    assert f"Mentor X {world.tag} belongs to no party" in messages
    assert payload["plan"] is None


async def test_capacity_is_never_exceeded(gql: GraphQLClient, world: World) -> None:
    free = await free_places(gql, world, "M2", "KULINER")
    too_many = [{"mentorId": world.mentor["M2"], "sectorCode": "KULINER", "mentees": free + 1}]

    payload = await propose(gql, world, allocations=too_many, trainings=[])

    assert codes(payload) == ["CAPACITY_EXCEEDED"]
    error = payload["errors"][0]
    assert error["message"] == (
        f"mentor Mentor M2 {world.tag} has {free} free places in Kuliner (capacity 5), not {free + 1}"
    )
    assert error["field"] == ["allocations", "0", "mentees"]


async def test_a_mentor_is_never_in_two_overlapping_trainings(
    gql: GraphQLClient, world: World
) -> None:
    first = {
        "title": "Pagi",
        "sectorCode": "FESYEN",
        "startsAt": at(40, 9),
        "endsAt": at(40, 12),
        "mentorIds": [world.mentor["M3"]],
    }
    assert (await propose(gql, world, allocations=[], trainings=[first]))["errors"] == []

    clash = {**first, "title": "Siang", "startsAt": at(40, 11), "endsAt": at(40, 14)}
    payload = await propose(gql, world, allocations=[], trainings=[clash])
    assert codes(payload) == ["DOUBLE_BOOKED"]
    assert f"Mentor M3 {world.tag} already teaches 'Pagi'" in payload["errors"][0]["message"]
    assert payload["errors"][0]["field"] == ["trainings", "0", "mentorIds"]

    # Touching is not overlapping; and within one input, clashes count too.
    after = {**first, "title": "Sore", "startsAt": at(40, 12), "endsAt": at(40, 15)}
    payload = await propose(
        gql, world, allocations=[], trainings=[after, {**after, "title": "Dobel"}]
    )
    assert codes(payload) == ["DOUBLE_BOOKED"]
    assert "'Sore'" in payload["errors"][0]["message"]


async def test_every_kind_of_failure_together_invalid_first(
    gql: GraphQLClient, world: World
) -> None:
    free = await free_places(gql, world, "M2", "KRIYA")
    outside = {
        "title": "Di luar",
        "sectorCode": "KULINER",
        "startsAt": at(90, 9),
        "endsAt": at(90, 10),
    }
    payload = await propose(
        gql,
        world,
        allocations=[{"mentorId": world.mentor["M2"], "sectorCode": "KRIYA", "mentees": free + 2}],
        trainings=[outside],
    )
    assert codes(payload) == ["INVALID", "CAPACITY_EXCEEDED"]
    assert "outside the plan's period" in payload["errors"][0]["message"]


async def test_trainings_of_an_active_plan_change_one_at_a_time(
    gql: GraphQLClient, world: World
) -> None:
    plan = await active_plan(
        gql,
        world,
        trainings=[
            {
                "title": "Satu",
                "sectorCode": "KULINER",
                "startsAt": at(50, 9),
                "endsAt": at(50, 11),
                "mentorIds": [world.mentor["C0"]],
            },
            {
                "title": "Dua",
                "sectorCode": "KULINER",
                "startsAt": at(51, 9),
                "endsAt": at(51, 11),
                "mentorIds": [world.mentor["C0"]],
            },
        ],
    )
    one, two = plan["trainings"]

    # Moving "Dua" onto "Satu" would double-book C0.
    clash = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": two["id"],
                "version": plan["version"],
                "startsAt": at(50, 10),
                "endsAt": at(50, 12),
            }
        },
        headers=world.headers("staff"),
    )
    assert codes(clash["data"]["rescheduleTraining"]) == ["DOUBLE_BOOKED"]

    moved = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": two["id"],
                "version": plan["version"],
                "startsAt": at(52, 13),
                "endsAt": at(52, 15),
                "venue": "Balai Warga",
            }
        },
        headers=world.headers("k1"),
    )
    payload = moved["data"]["rescheduleTraining"]
    assert payload["errors"] == []
    assert (payload["plan"]["status"], payload["plan"]["version"]) == (
        "ACTIVE",
        plan["version"] + 1,
    )
    moved_two = next(t for t in payload["plan"]["trainings"] if t["id"] == two["id"])
    assert (moved_two["revision"], moved_two["venue"], moved_two["status"]) == (
        1,
        "Balai Warga",
        "SCHEDULED",
    )

    cancelled = await gql(
        CANCEL_TRAINING,
        {"input": {"trainingId": one["id"], "version": plan["version"] + 1}},
        headers=world.headers("staff"),
    )
    payload = cancelled["data"]["cancelTraining"]
    cancelled_one = next(t for t in payload["plan"]["trainings"] if t["id"] == one["id"])
    assert (cancelled_one["status"], cancelled_one["revision"]) == ("CANCELLED", 1)
    again = await gql(
        CANCEL_TRAINING,
        {"input": {"trainingId": one["id"], "version": payload["plan"]["version"]}},
        headers=world.headers("staff"),
    )
    assert codes(again["data"]["cancelTraining"]) == ["INVALID_STATE"]

    early = await gql(
        COMPLETE_TRAINING,
        {"input": {"trainingId": two["id"], "version": payload["plan"]["version"]}},
        headers=world.headers("staff"),
    )
    assert codes(early["data"]["completeTraining"]) == ["INVALID_STATE"]
    assert "has not started" in early["data"]["completeTraining"]["errors"][0]["message"]
    other = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": two["id"],
                "version": payload["plan"]["version"],
                "startsAt": at(53, 9),
                "endsAt": at(53, 10),
            }
        },
        headers=world.headers("k2"),
    )
    assert codes(other["data"]["rescheduleTraining"]) == ["FORBIDDEN"]


async def test_trainings_of_a_proposed_plan_wait_for_approval(
    gql: GraphQLClient, world: World
) -> None:
    plan = (await propose(gql, world))["plan"]
    body = await gql(
        CANCEL_TRAINING,
        {"input": {"trainingId": plan["trainings"][0]["id"], "version": plan["version"]}},
        headers=world.headers("staff"),
    )
    assert codes(body["data"]["cancelTraining"]) == ["INVALID_STATE"]


async def test_a_failed_change_leaves_no_trace(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world))["plan"]
    counts = [await m.all().count() for m in (Plan, PlanEvent, Allocation, Training, Notification)]
    version = plan["version"]

    await propose(gql, world, endsOn=day(-3))  # invalid
    await answer(gql, world, {**plan, "version": version + 5}, "staff")  # conflict
    too_many = [{"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 99}]
    await gql(
        REVISE,
        {"input": {"planId": plan["id"], "version": version, "allocations": too_many}},
        headers=world.headers("k1"),
    )

    after = [await m.all().count() for m in (Plan, PlanEvent, Allocation, Training, Notification)]
    assert after == counts
    assert (await Plan.get(id=await _pk(plan))).version == version


async def test_plans_are_visible_to_their_parties_only(gql: GraphQLClient, world: World) -> None:
    plan = (await propose(gql, world, title="Rahasia pihak"))["plan"]

    for who, visible in [
        ("admin", True),
        ("staff", True),
        ("k1", True),
        ("k2", True),
        ("k3", False),
        ("other_staff", False),
        ("partner", False),
        (None, False),
    ]:
        node = (await gql(PLAN_NODE, {"id": plan["id"]}, headers=world.headers(who)))["data"]
        assert (node["node"] is not None) is visible, who
        listed = await gql(PLANS, {}, headers=world.headers(who))
        titles = [e["node"]["title"] for e in listed["data"]["plans"]["edges"]]
        assert ("Rahasia pihak" in titles) is visible, who
    anonymous = await gql(PLANS, {})
    assert anonymous["data"]["plans"] == {"totalCount": 0, "edges": []}


async def test_plans_filter_by_status_kecamatan_community_and_waiting(
    gql: GraphQLClient, world: World
) -> None:
    waiting = (await propose(gql, world, title="Menunggu Gambir"))["plan"]

    body = await gql(PLANS, {"filter": {"waitingForMe": True}}, headers=world.headers("staff"))
    titles = [e["node"]["title"] for e in body["data"]["plans"]["edges"]]
    assert "Menunggu Gambir" in titles
    assert all(e["node"]["status"] == "PROPOSED" for e in body["data"]["plans"]["edges"])

    await answer(gql, world, waiting, "staff")
    body = await gql(PLANS, {"filter": {"waitingForMe": True}}, headers=world.headers("staff"))
    assert "Menunggu Gambir" not in [e["node"]["title"] for e in body["data"]["plans"]["edges"]]
    body = await gql(PLANS, {"filter": {"waitingForMe": True}}, headers=world.headers("k1"))
    assert "Menunggu Gambir" not in [e["node"]["title"] for e in body["data"]["plans"]["edges"]]
    body = await gql(PLANS, {"filter": {"waitingForMe": True}}, headers=world.headers("k2"))
    assert "Menunggu Gambir" in [e["node"]["title"] for e in body["data"]["plans"]["edges"]]

    body = await gql(PLANS, {"filter": {"statuses": ["DECLINED"]}}, headers=world.headers("admin"))
    assert {e["node"]["status"] for e in body["data"]["plans"]["edges"]} <= {"DECLINED"}
    body = await gql(
        PLANS, {"filter": {"kecamatanCode": "31.74.01"}}, headers=world.headers("admin")
    )
    assert body["data"]["plans"]["totalCount"] == 0
    body = await gql(
        PLANS, {"filter": {"communityId": world.community["K3"]}}, headers=world.headers("admin")
    )
    assert body["data"]["plans"]["totalCount"] == 0


async def test_trainings_become_public_when_the_plan_is_active(
    gql: GraphQLClient, world: World
) -> None:
    training = {
        "title": "Terbuka untuk umum",
        "sectorCode": "KULINER",
        "startsAt": at(55, 9),
        "endsAt": at(55, 11),
        "mentorIds": [world.mentor["C0"]],
    }
    plan = (await propose(gql, world, trainings=[training]))["plan"]
    search = {"filter": {"search": "Terbuka untuk umum"}}
    assert (await gql(TRAININGS, search))["data"]["trainings"]["edges"] == []
    assert (
        len(
            (await gql(TRAININGS, search, headers=world.headers("k2")))["data"]["trainings"][
                "edges"
            ]
        )
        == 1
    )

    plan = (await answer(gql, world, plan, "staff"))["plan"]
    await answer(gql, world, plan, "k2")

    public = (await gql(TRAININGS, search))["data"]["trainings"]["edges"]
    assert [e["node"] for e in public] == [{"title": "Terbuka untuk umum", "status": "SCHEDULED"}]


async def test_a_training_filter_time_without_a_zone_is_jakarta_time(
    gql: GraphQLClient, world: World
) -> None:
    await propose(gql, world)  # its training starts at 09:00 WIB in ten days
    query = """query ($filter: TrainingFilter) { trainings(filter: $filter, first: 100) {
                 edges { node { title } } } }"""
    ten_days = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)).isoformat()

    def titles(body: dict[str, Any]) -> list[str]:
        assert "errors" not in body, body
        return [e["node"]["title"] for e in body["data"]["trainings"]["edges"]]

    before = await gql(
        query,
        {"filter": {"startsAfter": f"{ten_days}T08:30:00", "communityId": world.community["K1"]}},
        headers=world.headers("k1"),
    )
    after = await gql(
        query,
        {"filter": {"startsAfter": f"{ten_days}T09:30:00", "communityId": world.community["K1"]}},
        headers=world.headers("k1"),
    )

    assert titles(before) == ["Foto produk kuliner"]
    assert titles(after) == []
