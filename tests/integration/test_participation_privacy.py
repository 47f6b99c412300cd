"""Participants' personal data: export and erasure, the retention purge, and the organisers'
CSV of registrations (in process, and through the `hub` command)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.access import erase_person, export_person
from hub.core import Settings, encode_global_id
from hub.core.cells import protect
from hub.participation import purge, registrations_csv
from models.audit import AuditEntry
from models.enums import NotificationStatus
from models.notifications import Notification
from models.participation import Interest, Participant, Registration
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) { registration { id status participant { id } } errors { code } }
}
"""

INTEREST = """
mutation ($input: ExpressInterestInput!) {
  expressInterest(input: $input) { need { waiting } errors { code } }
}
"""

CONSENT = {"purpose": "Pendaftaran pelatihan", "textVersion": "1", "channel": "PAPER"}


@pytest.fixture
async def world(reference_data: None) -> ParticipationWorld:
    return await build_participation_world(f"pd{next(_worlds)}")


async def register(
    gql: GraphQLClient, world: ParticipationWorld, name: str, mail: str | None, **extra: Any
) -> dict[str, Any]:
    body = await gql(
        REGISTER,
        {
            "input": {
                "trainingId": world.training("open"),
                "participant": {
                    "name": name,
                    "email": mail,
                    "phone": extra.pop("phone", None),
                    "kecamatanCode": "31.71.01",
                    "sectorCode": "KULINER",
                },
                "consent": CONSENT,
            }
        },
        headers=world.headers("partner"),
    )
    registration: dict[str, Any] = body["data"]["registerForTraining"]["registration"]
    return registration


async def test_export_and_erase_cover_participants(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    address = f"siti.{world.tag}@example.org"
    made = await register(gql, world, "Siti Rahmawati", address, phone="0812-7777-0001")
    participant_pk = (await Registration.get(participant__email=address)).participant_id

    exported = await export_person(email=address.upper())
    (person,) = exported["participants"]
    assert (person["name"], person["phone"], person["kecamatan"]) == (
        "Siti Rahmawati",
        "+6281277770001",
        "31.71.01",
    )
    assert person["consent"]["channel"] == "PAPER"
    assert [(r["status"], r["attended"]) for r in person["registrations"]] == [("CONFIRMED", False)]

    erased = await erase_person(email=address)
    assert erased["participants"] == [participant_pk]
    row = await Participant.get(id=participant_pk)
    assert (row.name, row.phone, row.email) == (None, None, None)
    assert row.anonymised_at is not None
    # the registration stays as an anonymous count
    registration = await Registration.get(participant_id=participant_pk)
    assert registration.status.value == "CONFIRMED"
    # nothing of the person is left in the audit log or the outbox
    entries = await AuditEntry.filter(entity="Participant", entity_id=participant_pk)
    assert {e.action for e in entries} >= {"CREATE", "PERSONAL_DATA_ERASE"}
    assert "Siti" not in str([(e.before, e.after, e.actor_label) for e in entries])
    # (the phone's own digits: four alone also turn up in a timestamp's microseconds)
    assert "81277770001" not in str([(e.before, e.after) for e in entries])
    assert "7777-0001" not in str([(e.before, e.after) for e in entries])
    mails = await Notification.filter(
        training_id=world.trainings["open"], kind__startswith="PARTICIPANT"
    )
    assert mails
    assert {m.recipient_email for m in mails} == {""}
    assert {m.status for m in mails if m.kind == "PARTICIPANT_REMINDER"} == {
        NotificationStatus.SKIPPED
    }
    # and the export finds no one any more
    assert (await export_person(email=address))["participants"] == []
    assert made["status"] == "CONFIRMED"


async def test_purge_anonymises_past_retention(
    gql: GraphQLClient, world: ParticipationWorld, settings: Settings
) -> None:
    address = f"budi.{world.tag}@example.org"
    await register(gql, world, "Budi Santoso", address)
    pk = (await Registration.get(participant__email=address)).participant_id
    body = await gql(
        INTEREST,
        {
            "input": {
                "kecamatanCode": "31.71.01",
                "sectorCode": "FESYEN",
                "participantId": encode_global_id("Participant", pk),
            }
        },
        headers=world.headers("partner"),
    )
    assert body["data"]["expressInterest"]["errors"] == []
    keep = replace(settings, participant_retention_days=730)

    # today nothing of this person is due
    await purge(settings=keep)
    assert (await Participant.get(id=pk)).name == "Budi Santoso"

    # 800 days on, the training ended more than 730 days ago: a dry run counts, changes nothing
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=800)
    dry = await purge(settings=keep, now=later, dry_run=True)
    assert dry.participants >= 1
    assert dry.interests >= 1
    assert (await Participant.get(id=pk)).name == "Budi Santoso"

    done = await purge(settings=keep, now=later)
    assert done.participants == dry.participants
    assert done.interests == dry.interests
    row = await Participant.get(id=pk)
    assert (row.name, row.email, row.anonymised_at is not None) == (None, None, True)
    assert not await Interest.filter(participant_id=pk)
    assert await Registration.filter(participant_id=pk).count() == 1
    entry = await AuditEntry.filter(entity="Participant", entity_id=pk, action="ANONYMISE").first()
    assert entry is not None
    assert entry.actor_label == "retention purge"


async def test_registrations_csv_neutralises_formulas(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    await register(gql, world, '=HYPERLINK("http://x")', f"a.{world.tag}@example.org")
    await register(gql, world, "Dewi", f"b.{world.tag}@example.org")
    await register(gql, world, "Eko", f"c.{world.tag}@example.org")
    table = await registrations_csv(training_id=world.trainings["open"])
    lines = table.splitlines()
    assert lines[0] == (
        "registration_id,status,position,attended,name,phone,email,kecamatan,sector,registered_at"
    )
    assert [line.split(",")[1] for line in lines[1:]] == ["CONFIRMED", "CONFIRMED", "WAITLISTED"]
    assert lines[1].split(",")[4] == '"\'=HYPERLINK(""http://x"")"'
    assert lines[3].split(",")[2] == "1"
    assert protect("+62") == "'+62"
    assert protect("Gambir") == "Gambir"


SETUP = """
import asyncio, datetime as dt
from hub.core import Settings, open_database
from models.directory import Centre, Sector
from models.enums import PlanStatus, TrainingStatus, ConsentChannel, RegistrationStatus
from models.plans import Plan, Training
from models.participation import Participant, Registration
from models.regions import Region

async def main():
    async with open_database(Settings.from_env()):
        centre = await Centre.get(kecamatan__code="31.71.01")
        sector = await Sector.get(code="KULINER")
        now = dt.datetime.now(dt.UTC)
        plan = await Plan.create(title="P", status=PlanStatus.ACTIVE, centre=centre,
            starts_on=now.date(), ends_on=now.date())
        training = await Training.create(plan=plan, centre=centre, sector=sector, title="T",
            starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=3, hours=2),
            capacity=5, status=TrainingStatus.SCHEDULED)
        person = await Participant.create(name="@Rina", phone="+6281200000001",
            kecamatan_id=centre.kecamatan_id, sector=sector, consent_purpose="x",
            consent_text_version="1", consent_channel=ConsentChannel.PAPER, consent_at=now)
        await Registration.create(training=training, participant=person,
            status=RegistrationStatus.CONFIRMED)
        print(training.id)

asyncio.run(main())
"""


def _hub(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_the_commands_export_registrations_and_purge(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off"}
    _hub(env, "migrate")
    made = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True
    )
    training_id = made.stdout.strip()

    listing = tmp_path / "daftar.csv"
    _hub(env, "export", "registrations", "--training", training_id, str(listing))
    lines = listing.read_text(encoding="utf-8").splitlines()
    assert lines[1].split(",")[1:7] == ["CONFIRMED", "", "no", "'@Rina", "'+6281200000001", ""]
    missing = _hub(env, "export", "registrations", check=False)
    assert missing.returncode == 2
    unknown = _hub(env, "export", "registrations", "--training", "999", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines()[-1] == "hub: no training with id 999"
    malformed = _hub(env, "export", "registrations", "--training", "٣", check=False)
    assert malformed.returncode == 1
    assert "not a valid Training id" in malformed.stderr

    dry = _hub(env, "privacy", "purge", "--dry-run")
    assert dry.stdout.strip() == (
        "0 participants would be anonymised and 0 interests would be removed (retention 730 days)"
    )
    env["HUB_PARTICIPANT_RETENTION_DAYS"] = "0"
    done = _hub(env, "privacy", "purge")
    assert done.stdout.startswith("0 participants were anonymised")  # its training is ahead


async def test_the_worker_purges_at_start_and_stops_when_asked(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from hub.participation import retention as purging

    calls: list[Settings] = []

    async def fake(*, settings: Settings, dry_run: bool = False) -> purging.Purged:
        calls.append(settings)
        return purging.Purged(0, 0, dry_run=dry_run)

    monkeypatch.setattr(purging, "purge", fake)
    stop = asyncio.Event()
    task = asyncio.create_task(purging.purge_daily(settings, stop))
    await asyncio.sleep(0.05)
    assert calls == [settings]
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert calls == [settings]  # once a day: not again before stopping
