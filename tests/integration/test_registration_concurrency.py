"""Capacity and waitlist positions hold under concurrent registrations and cancellations.

On PostgreSQL the requests really run at once (a pool of connections; the training row's lock
decides); on SQLite the database serialises them. The same assertions hold on both. The
several-process version over HTTP is bench/registrations.py."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from hub.core import encode_global_id
from models.enums import RegistrationStatus
from models.participation import Participant, Registration
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

CAPACITY = 10
REQUESTS = 40
CANCELLATIONS = 8

REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) {
    registration { id status position participant { id } } errors { code message }
  }
}
"""

CANCEL = """
mutation ($input: CancelRegistrationInput!) {
  cancelRegistration(input: $input) { registration { id status } errors { code message } }
}
"""

CONSENT = {"purpose": "Pendaftaran pelatihan", "textVersion": "1", "channel": "APP"}

_worlds = itertools.count()


@pytest.fixture
async def world(reference_data: None) -> ParticipationWorld:
    return await build_participation_world(f"rush{next(_worlds)}", capacity=CAPACITY)


def _resident(i: int) -> dict[str, Any]:
    return {
        "name": f"Warga {i}",
        "phone": f"0813-1000-{i:04d}",
        "kecamatanCode": "31.71.01",
        "sectorCode": "KULINER",
    }


async def test_many_at_once_fill_capacity_then_wait_in_line(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # when REQUESTS residents are registered at once, each request sent twice (a retry)
    calls = [
        gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training("open"),
                    "participant": _resident(i),
                    "consent": CONSENT,
                    "idempotencyKey": f"key-{i}",
                }
            },
            headers=world.headers("partner"),
        )
        for i in list(range(REQUESTS)) * 2
    ]
    bodies = await asyncio.gather(*calls)
    payloads = [b["data"]["registerForTraining"] for b in bodies]
    assert all(p["errors"] == [] for p in payloads), payloads

    # then exactly CAPACITY are confirmed and the others wait at 1..n, each person once
    rows = await Registration.filter(training_id=world.trainings["open"]).order_by("id")
    assert len(rows) == REQUESTS
    assert len({r.participant_id for r in rows}) == REQUESTS
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    waiting = sorted(r.position or 0 for r in rows if r.status is RegistrationStatus.WAITLISTED)
    assert len(confirmed) == CAPACITY
    assert waiting == list(range(1, REQUESTS - CAPACITY + 1))
    # the retries got the same registrations
    assert len({p["registration"]["id"] for p in payloads}) == REQUESTS

    # when CANCELLATIONS confirmed places are given up at once
    line = sorted(
        (r for r in rows if r.status is RegistrationStatus.WAITLISTED),
        key=lambda r: r.position or 0,
    )
    cancelled = await asyncio.gather(
        *(
            gql(
                CANCEL,
                {"input": {"registrationId": encode_global_id("Registration", r.id)}},
                headers=world.headers("partner"),
            )
            for r in confirmed[:CANCELLATIONS]
        )
    )
    assert all(b["data"]["cancelRegistration"]["errors"] == [] for b in cancelled)

    # then the first CANCELLATIONS of the line are confirmed, in order; the rest moved up
    after = {r.id: r for r in await Registration.filter(training_id=world.trainings["open"])}
    assert [after[r.id].status for r in line[:CANCELLATIONS]] == [
        RegistrationStatus.CONFIRMED
    ] * CANCELLATIONS
    assert [after[r.id].position for r in line[CANCELLATIONS:]] == list(
        range(1, REQUESTS - CAPACITY - CANCELLATIONS + 1)
    )
    assert sum(r.status is RegistrationStatus.CONFIRMED for r in after.values()) == CAPACITY


async def test_the_same_person_sent_many_times_at_once_is_registered_once(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    calls = [
        gql(
            REGISTER,
            {
                "input": {
                    "trainingId": world.training("wide"),
                    "participant": _resident(7000),
                    "consent": CONSENT,
                }
            },
            headers=world.headers("partner"),
        )
        for _ in range(12)
    ]
    bodies = await asyncio.gather(*calls)
    ids = {b["data"]["registerForTraining"]["registration"]["id"] for b in bodies}
    assert len(ids) == 1
    rows = await Registration.filter(training_id=world.trainings["wide"])
    assert len(rows) == 1
    # the participants the losing requests created were rolled back with them
    assert await Participant.filter(phone="+6281310007000").count() == 1
