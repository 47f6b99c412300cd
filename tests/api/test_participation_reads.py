"""Demand revealed (`waiting`), expressInterest, and the statement counts of the public
figures and the registration lists."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from models.enums import TrainingStatus
from models.participation import Interest
from models.plans import Training
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient, count_statements

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) {
    registration { id status participant { id } } errors { code field message }
  }
}
"""

INTEREST = """
mutation ($input: ExpressInterestInput!) {
  expressInterest(input: $input) {
    need { sector { code } demand supply gap waiting } errors { code field message }
  }
}
"""

NEEDS = """
query ($code: String!) { kecamatan(code: $code) { needs { sector { code } demand gap waiting } } }
"""

COVERAGE = """
query { coverage(kotaCode: "31.71") { kecamatan { code } demand gap waiting } }
"""

TRAININGS = """
query ($first: Int, $filter: TrainingFilter) {
  trainings(first: $first, filter: $filter) { edges { node { title capacity registeredCount placesLeft
    waitlistCount attendedCount registrations(first: 5) { totalCount edges { node { status
    participant { name } } } } } } }
}
"""

CONSENT = {"purpose": "Minat pelatihan", "textVersion": "1", "channel": "WEB"}


def resident(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Peminat {n}",
        "phone": f"0815-2000-{n:04d}",
        "kecamatanCode": "31.71.01",
        "sectorCode": "KULINER",
        **overrides,
    }


@pytest.fixture
async def world(reference_data: None) -> ParticipationWorld:
    return await build_participation_world(f"w{next(_worlds)}")


def _gambir_kuliner(body: dict[str, Any]) -> dict[str, Any]:
    needs = body["data"]["kecamatan"]["needs"]
    return next(n for n in needs if n["sector"]["code"] == "KULINER")


async def test_waiting_counts_distinct_people_waitlisted_or_interested(
    gql: GraphQLClient, uncached_gql: GraphQLClient, world: ParticipationWorld
) -> None:
    partner = world.headers("partner")
    # given three registered for a training of two places: one waits
    made = [
        (
            await gql(
                REGISTER,
                {
                    "input": {
                        "trainingId": world.training("open"),
                        "participant": resident(i),
                        "consent": CONSENT,
                    }
                },
                headers=partner,
            )
        )["data"]["registerForTraining"]["registration"]
        for i in range(3)
    ]
    assert [r["status"] for r in made] == ["CONFIRMED", "CONFIRMED", "WAITLISTED"]
    before = _gambir_kuliner(await gql(NEEDS, {"code": "31.71.01"}))
    assert before["waiting"] == 1

    # when the waiting person and a new one express interest in Gambir's KULINER
    first = await gql(
        INTEREST,
        {
            "input": {
                "kecamatanCode": "31.71.01",
                "sectorCode": "KULINER",
                "participantId": made[2]["participant"]["id"],
            }
        },
        headers=partner,
    )
    assert first["data"]["expressInterest"]["errors"] == []
    assert first["data"]["expressInterest"]["need"]["waiting"] == 1  # the same person
    second = await gql(
        INTEREST,
        {
            "input": {
                "kecamatanCode": "31.71.01",
                "sectorCode": "KULINER",
                "participant": resident(9),
                "consent": CONSENT,
            }
        },
        headers=world.headers("staff"),
    )
    need = second["data"]["expressInterest"]["need"]
    assert need["sector"]["code"] == "KULINER"
    assert need["waiting"] == 2
    # and one of them also in another sector at the same centre
    await gql(
        INTEREST,
        {
            "input": {
                "kecamatanCode": "31.71.01",
                "sectorCode": "FESYEN",
                "participant": resident(9),
            }
        },
        headers=world.headers("staff"),
    )

    # then the needs show it beside the demand, which the formulas do not use
    after = await gql(NEEDS, {"code": "31.71.01"})
    kuliner = _gambir_kuliner(after)
    assert kuliner["waiting"] == 2
    assert kuliner["gap"] == before["gap"]
    assert kuliner["demand"] == before["demand"]
    fesyen = next(n for n in after["data"]["kecamatan"]["needs"] if n["sector"]["code"] == "FESYEN")
    assert fesyen["waiting"] == 1
    # the coverage row counts each person once over all sectors
    coverage = await gql(COVERAGE)
    row = next(r for r in coverage["data"]["coverage"] if r["kecamatan"]["code"] == "31.71.01")
    assert row["waiting"] == 2

    # interest older than 90 days no longer counts
    await Interest.filter(sector__code="FESYEN").update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=91)
    )
    after = await uncached_gql(NEEDS, {"code": "31.71.01"})
    assert [
        n["waiting"] for n in after["data"]["kecamatan"]["needs"] if n["sector"]["code"] == "FESYEN"
    ] in ([], [0])


async def test_express_interest_refusals(gql: GraphQLClient, world: ParticipationWorld) -> None:
    async def codes(who: str | None, **input: Any) -> list[tuple[str, Any]]:
        body = await gql(INTEREST, {"input": input}, headers=world.headers(who))
        payload = body["data"]["expressInterest"]
        assert payload["need"] is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    ok = {"participant": resident(1), "consent": CONSENT}
    assert await codes(None, kecamatanCode="31.71.01", sectorCode="KULINER", **ok) == [
        ("FORBIDDEN", None)
    ]
    assert await codes("partner", kecamatanCode="99.99.99", sectorCode="KULINER", **ok) == [
        ("NOT_FOUND", ["kecamatanCode"])
    ]
    assert await codes("partner", kecamatanCode="31.71.01", sectorCode="NOPE", **ok) == [
        ("INVALID", ["sectorCode"])
    ]
    assert await codes(
        "partner", kecamatanCode="31.71.01", sectorCode="KULINER", participant=resident(1)
    ) == [("INVALID", ["consent"])]


async def test_figures_and_registrations_do_not_grow_statements(
    uncached_gql: GraphQLClient, world: ParticipationWorld
) -> None:
    for i, training in enumerate(["open", "open", "open", "wide", "other"]):
        body = await uncached_gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training(training),
                    "participant": resident(20 + i),
                    "consent": CONSENT,
                }
            },
            headers=world.headers("partner"),
        )
        assert body["data"]["registerForTraining"]["errors"] == []
    headers = world.headers("admin")
    mine = {"search": world.tag}
    await uncached_gql(TRAININGS, {"first": 2, "filter": mine}, headers=headers)
    with count_statements() as few:
        small = await uncached_gql(TRAININGS, {"first": 2, "filter": mine}, headers=headers)
    with count_statements() as many:
        large = await uncached_gql(TRAININGS, {"first": 4, "filter": mine}, headers=headers)
    assert len(small["data"]["trainings"]["edges"]) == 2
    assert len(large["data"]["trainings"]["edges"]) == 4
    assert many.count == few.count, (few.statements, many.statements)
    figures = {
        e["node"]["title"].split()[0]: (
            e["node"]["registeredCount"],
            e["node"]["placesLeft"],
            e["node"]["waitlistCount"],
            e["node"]["registrations"]["totalCount"],
            len(e["node"]["registrations"]["edges"]),
        )
        for e in large["data"]["trainings"]["edges"]
    }
    assert figures == {
        "started": (0, 10, 0, 0, 0),
        "open": (2, 0, 1, 3, 3),
        "wide": (1, None, 0, 1, 1),
        "other": (1, 4, 0, 1, 1),
    }

    with count_statements() as cover:
        await uncached_gql(COVERAGE)
    plain = await uncached_gql(COVERAGE)
    assert plain["data"]["coverage"]
    with count_statements() as cover_again:
        await uncached_gql(COVERAGE)
    assert cover.count == cover_again.count


LIST = """
query ($first: Int, $filter: RegistrationFilter) {
  registrations(first: $first, filter: $filter) { totalCount edges { node { status position
    createdAt training { title capacity registeredCount } participant { name phone
    kecamatan { code } sector { code } } } } }
}
"""


async def test_the_registrations_list_does_not_grow_statements(
    uncached_gql: GraphQLClient, world: ParticipationWorld
) -> None:
    for i in range(6):
        await uncached_gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training("wide"),
                    "participant": resident(40 + i),
                    "consent": CONSENT,
                }
            },
            headers=world.headers("partner"),
        )
    mine = {"trainingId": world.training("wide")}
    for who in ["admin", "staff", "partner"]:
        headers = world.headers(who)
        await uncached_gql(LIST, {"first": 2, "filter": mine}, headers=headers)
        with count_statements() as few:
            small = await uncached_gql(LIST, {"first": 2, "filter": mine}, headers=headers)
        with count_statements() as many:
            large = await uncached_gql(LIST, {"first": 6, "filter": mine}, headers=headers)
        assert len(small["data"]["registrations"]["edges"]) == 2
        assert large["data"]["registrations"]["totalCount"] == 6
        names = [e["node"]["participant"]["name"] for e in large["data"]["registrations"]["edges"]]
        assert names == [f"Peminat {40 + i}" for i in range(6)], who
        assert many.count == few.count, (who, few.statements, many.statements)


async def test_a_cancelled_trainings_waitlist_waits_no_more(
    uncached_gql: GraphQLClient, world: ParticipationWorld
) -> None:
    for i in range(3):
        await uncached_gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training("open"),
                    "participant": resident(60 + i),
                    "consent": CONSENT,
                }
            },
            headers=world.headers("partner"),
        )
    before = _gambir_kuliner(await uncached_gql(NEEDS, {"code": "31.71.01"}))["waiting"]
    await Training.filter(id=world.trainings["open"]).update(status=TrainingStatus.CANCELLED)
    after = _gambir_kuliner(await uncached_gql(NEEDS, {"code": "31.71.01"}))["waiting"]
    assert after == before - 1
