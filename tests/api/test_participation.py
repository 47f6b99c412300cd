"""Registration for trainings through GraphQL: capacity, waitlist, idempotency, the same
person, cancellation with promotion, attendance, refusals, reads and privacy."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from hub.core import encode_global_id
from models.audit import AuditEntry
from models.participation import Participant, Registration
from models.plans import Training
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

REGISTRATION_FIELDS = """
  id status position attended createdAt
  training { id title }
  participant { id name phone email kecamatan { code } sector { code } }
"""

REGISTER = f"""
mutation ($input: RegisterForTrainingInput!) {{
  registerForTraining(input: $input) {{
    registration {{ {REGISTRATION_FIELDS} }}
    errors {{ code field message }}
  }}
}}
"""

CANCEL = f"""
mutation ($input: CancelRegistrationInput!) {{
  cancelRegistration(input: $input) {{
    registration {{ {REGISTRATION_FIELDS} }}
    errors {{ code field message }}
  }}
}}
"""

ATTENDANCE = """
mutation ($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) {
    training { id registeredCount attendedCount }
    errors { code field message }
  }
}
"""

FIGURES = """
query ($id: ID!) {
  node(id: $id) { ... on Training { capacity registeredCount placesLeft waitlistCount attendedCount
    registrations(first: 50) { totalCount edges { node { status position participant { name } } } } } }
}
"""

REGISTRATIONS = """
query ($filter: RegistrationFilter) {
  registrations(filter: $filter, first: 100) { totalCount edges { node { id status position
    participant { name phone } } } }
}
"""

PARTICIPANT_NODE = """
query ($id: ID!) { node(id: $id) { ... on Participant { name phone email } } }
"""

CONSENT = {"purpose": "Pendaftaran pelatihan OK OCE", "textVersion": "2026-01", "channel": "APP"}


def resident(n: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": f"Warga {n}",
        "phone": f"0812-3456-{n:04d}",
        "kecamatanCode": "31.71.01",
        "sectorCode": "KULINER",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def world(reference_data: None) -> ParticipationWorld:
    return await build_participation_world(f"p{next(_worlds)}")


async def register(
    gql: GraphQLClient, world: ParticipationWorld, who: str, training: str = "open", **input: Any
) -> dict[str, Any]:
    body = await gql(
        REGISTER,
        {"input": {"trainingId": world.training(training), **input}},
        headers=world.headers(who),
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["registerForTraining"]
    return result


async def test_capacity_then_waitlist_then_promotion(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given a training of capacity 2
    # when a partner app registers four residents
    answers = [
        await register(gql, world, "partner", participant=resident(i), consent=CONSENT)
        for i in range(4)
    ]
    # then two are confirmed and two wait at positions 1 and 2
    assert [(a["registration"]["status"], a["registration"]["position"]) for a in answers] == [
        ("CONFIRMED", None),
        ("CONFIRMED", None),
        ("WAITLISTED", 1),
        ("WAITLISTED", 2),
    ]
    assert answers[0]["registration"]["participant"] == {
        "id": answers[0]["registration"]["participant"]["id"],
        "name": "Warga 0",
        "phone": "+6281234560000",
        "email": None,
        "kecamatan": {"code": "31.71.01"},
        "sector": {"code": "KULINER"},
    }
    figures = await gql(FIGURES, {"id": world.training("open")})
    training = figures["data"]["node"]
    assert (training["capacity"], training["registeredCount"], training["placesLeft"]) == (2, 2, 0)
    assert (training["waitlistCount"], training["attendedCount"]) == (2, 0)
    # anonymous clients see the public figures but no registration
    assert training["registrations"]["totalCount"] == 0

    # when the second confirmed resident cancels
    cancelled = await gql(
        CANCEL,
        {"input": {"registrationId": answers[1]["registration"]["id"]}},
        headers=world.headers("partner"),
    )
    # then the first on the waitlist is confirmed and the second moves up
    assert cancelled["data"]["cancelRegistration"]["errors"] == []
    assert cancelled["data"]["cancelRegistration"]["registration"]["status"] == "CANCELLED"
    listed = await gql(
        REGISTRATIONS,
        {"filter": {"trainingId": world.training("open")}},
        headers=world.headers("staff"),
    )
    rows = [
        (e["node"]["participant"]["name"], e["node"]["status"], e["node"]["position"])
        for e in listed["data"]["registrations"]["edges"]
    ]
    assert sorted(rows) == [
        ("Warga 0", "CONFIRMED", None),
        ("Warga 1", "CANCELLED", None),
        ("Warga 2", "CONFIRMED", None),
        ("Warga 3", "WAITLISTED", 1),
    ]
    figures = await gql(FIGURES, {"id": world.training("open")})
    assert figures["data"]["node"]["waitlistCount"] == 1
    assert figures["data"]["node"]["placesLeft"] == 0


async def test_cancelling_a_waitlisted_place_closes_the_gap(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    answers = [
        await register(gql, world, "partner", participant=resident(i), consent=CONSENT)
        for i in range(5)
    ]
    # when the resident at position 1 of 3 gives up
    await gql(
        CANCEL,
        {"input": {"registrationId": answers[2]["registration"]["id"]}},
        headers=world.headers("admin"),
    )
    # then the others are at 1 and 2
    waiting = await Registration.filter(
        training_id=world.trainings["open"], status="WAITLISTED"
    ).order_by("position")
    assert [r.position for r in waiting] == [1, 2]
    names = [(await Participant.get(id=r.participant_id)).name for r in waiting]
    assert names == ["Warga 3", "Warga 4"]


async def test_without_capacity_everyone_is_confirmed(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    answers = [
        await register(gql, world, "staff", "wide", participant=resident(i), consent=CONSENT)
        for i in range(3)
    ]
    assert {a["registration"]["status"] for a in answers} == {"CONFIRMED"}
    figures = await gql(FIGURES, {"id": world.training("wide")})
    assert figures["data"]["node"]["placesLeft"] is None
    assert figures["data"]["node"]["registeredCount"] == 3


async def test_idempotency_key_and_same_person_return_the_existing_registration(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    first = await register(
        gql, world, "partner", participant=resident(1), consent=CONSENT, idempotencyKey="k-1"
    )
    # the same key again, even with another person, returns the first registration
    again = await register(
        gql, world, "partner", participant=resident(2), consent=CONSENT, idempotencyKey="k-1"
    )
    assert again["registration"]["id"] == first["registration"]["id"]
    # the same person (same phone written otherwise) returns it too, without a new participant
    same = await register(
        gql, world, "partner", participant=resident(1, phone="+62 812 3456 0001", name="W. 1")
    )
    assert same["registration"]["id"] == first["registration"]["id"]
    # another partner's key of the same text is its own; its resident with the same phone is
    # another participant: never matched across partner apps
    other = await register(
        gql, world, "partner2", participant=resident(1), consent=CONSENT, idempotencyKey="k-1"
    )
    assert other["registration"]["id"] != first["registration"]["id"]
    assert other["registration"]["participant"]["id"] != first["registration"]["participant"]["id"]
    assert (
        await Participant.filter(
            phone="+6281234560001", registrations__training_id=world.trainings["open"]
        ).count()
        == 2
    )
    assert await Registration.filter(training_id=world.trainings["open"]).count() == 2


async def test_refusals_are_coded(gql: GraphQLClient, world: ParticipationWorld) -> None:
    async def codes(who: str | None, training: str, **input: Any) -> list[tuple[str, Any]]:
        body = await gql(
            REGISTER,
            {"input": {"trainingId": training, **input}},
            headers=world.headers(who),
        )
        payload = body["data"]["registerForTraining"]
        assert payload["registration"] is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    ok = {"participant": resident(1), "consent": CONSENT}
    assert await codes("partner", encode_global_id("Training", 999999), **ok) == [
        ("NOT_FOUND", ["trainingId"])
    ]
    assert await codes(None, world.training("open"), **ok) == [("FORBIDDEN", None)]
    assert await codes("outsider", world.training("open"), **ok) == [("FORBIDDEN", None)]
    assert await codes("staff2", world.training("open"), **ok) == [("FORBIDDEN", None)]
    assert await codes("partner", world.training("started"), **ok) == [("INVALID_STATE", None)]
    await Training.filter(id=world.trainings["wide"]).update(status="CANCELLED")
    assert await codes("partner", world.training("wide"), **ok) == [("INVALID_STATE", None)]
    assert await codes("partner", world.training("open"), participant=resident(1)) == [
        ("INVALID", ["consent"])
    ]
    assert await codes(
        "partner",
        world.training("open"),
        participant=resident(1, phone="12", email="not-an-address"),
        consent=CONSENT,
    ) == [("INVALID", ["participant", "phone"]), ("INVALID", ["participant", "email"])]
    assert await codes(
        "partner", world.training("open"), participant=resident(1, phone=None), consent=CONSENT
    ) == [("INVALID", ["participant", "phone"])]
    assert await codes("partner", world.training("open"), consent=CONSENT) == [
        ("INVALID", ["participant"])
    ]
    assert await Registration.filter(training_id=world.trainings["open"]).count() == 0


async def test_personal_data_is_shown_only_to_who_may_see_it(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    made = await register(
        gql,
        world,
        "partner",
        participant=resident(7, email="Warga7@Example.org"),
        consent=CONSENT,
    )
    participant_id = made["registration"]["participant"]["id"]
    assert made["registration"]["participant"]["email"] == "warga7@example.org"
    seen = {}
    for who in ["admin", "staff", "coordinator", "partner", "partner2", "staff2", "outsider", None]:
        body = await gql(PARTICIPANT_NODE, {"id": participant_id}, headers=world.headers(who))
        node = body["data"]["node"]
        seen[who] = node["name"] if node else None
        listed = await gql(
            REGISTRATIONS,
            {"filter": {"trainingId": world.training("open")}},
            headers=world.headers(who),
        )
        assert listed["data"]["registrations"]["totalCount"] == (1 if node else 0), who
    assert seen == {
        "admin": "Warga 7",
        "staff": "Warga 7",
        "coordinator": "Warga 7",
        "partner": "Warga 7",
        "partner2": None,
        "staff2": None,
        "outsider": None,
        None: None,
    }
    # the partner app may register its own participant again by id; another may not see it
    again = await register(gql, world, "partner", "wide", participantId=participant_id)
    assert again["registration"]["status"] == "CONFIRMED"
    refused = await register(gql, world, "partner2", "wide", participantId=participant_id)
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    # the creation is in the audit log
    entries = await AuditEntry.filter(entity="Participant").values_list("action", flat=True)
    assert "CREATE" in entries


async def test_cancel_rules(gql: GraphQLClient, world: ParticipationWorld) -> None:
    made = await register(gql, world, "partner", participant=resident(1), consent=CONSENT)
    registration_id = made["registration"]["id"]
    for who in ["partner2", "staff2", "outsider"]:
        body = await gql(
            CANCEL, {"input": {"registrationId": registration_id}}, headers=world.headers(who)
        )
        assert [e["code"] for e in body["data"]["cancelRegistration"]["errors"]] in (
            ["FORBIDDEN"],
            ["NOT_FOUND"],
        ), who
        assert body["data"]["cancelRegistration"]["registration"] is None
    body = await gql(
        CANCEL, {"input": {"registrationId": registration_id}}, headers=world.headers("coordinator")
    )
    assert body["data"]["cancelRegistration"]["registration"]["status"] == "CANCELLED"
    body = await gql(
        CANCEL, {"input": {"registrationId": registration_id}}, headers=world.headers("staff")
    )
    assert [e["code"] for e in body["data"]["cancelRegistration"]["errors"]] == ["INVALID_STATE"]


async def test_record_attendance(gql: GraphQLClient, world: ParticipationWorld) -> None:
    # given three residents confirmed for a training that started an hour ago
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await Training.filter(id=world.trainings["started"]).update(
        starts_at=soon, ends_at=soon + dt.timedelta(hours=3)
    )
    ids = [
        (
            await register(
                gql, world, "partner", "started", participant=resident(i), consent=CONSENT
            )
        )["registration"]["id"]
        for i in range(3)
    ]
    began = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await Training.filter(id=world.trainings["started"]).update(
        starts_at=began, ends_at=began + dt.timedelta(hours=3)
    )
    # when the staff record two of them as present
    body = await gql(
        ATTENDANCE,
        {"input": {"trainingId": world.training("started"), "attendedRegistrationIds": ids[:2]}},
        headers=world.headers("staff"),
    )
    # then the count is public
    assert body["data"]["recordAttendance"] == {
        "training": {"id": world.training("started"), "registeredCount": 3, "attendedCount": 2},
        "errors": [],
    }
    # a correction replaces the record
    body = await gql(
        ATTENDANCE,
        {"input": {"trainingId": world.training("started"), "attendedRegistrationIds": ids[2:]}},
        headers=world.headers("coordinator"),
    )
    assert body["data"]["recordAttendance"]["training"]["attendedCount"] == 1
    # refusals: a partner app, a training not started, a registration of another training
    partner = await gql(
        ATTENDANCE,
        {"input": {"trainingId": world.training("started"), "attendedRegistrationIds": []}},
        headers=world.headers("partner"),
    )
    assert [e["code"] for e in partner["data"]["recordAttendance"]["errors"]] == ["FORBIDDEN"]
    early = await gql(
        ATTENDANCE,
        {"input": {"trainingId": world.training("open"), "attendedRegistrationIds": []}},
        headers=world.headers("staff"),
    )
    assert [e["code"] for e in early["data"]["recordAttendance"]["errors"]] == ["INVALID_STATE"]
    stranger = await gql(
        ATTENDANCE,
        {
            "input": {
                "trainingId": world.training("started"),
                "attendedRegistrationIds": [encode_global_id("Registration", 999999)],
            }
        },
        headers=world.headers("admin"),
    )
    assert [(e["code"], e["field"]) for e in stranger["data"]["recordAttendance"]["errors"]] == [
        ("INVALID", ["attendedRegistrationIds"])
    ]
