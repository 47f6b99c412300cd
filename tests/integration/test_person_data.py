"""Personal-data rights (UU PDP 27/2022): `hub person export` and `hub person erase`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hub.access import ANONYMOUS, create_token, erase_person, export_person
from hub.core import dataversion, encode_global_id
from hub.directory.csvimport import COMMAND_LINE
from hub.directory.mentors import Skill, create_mentor
from models.accounts import Account, ApiToken, NotificationPreference
from models.audit import AuditEntry
from models.directory import Community, Mentor, Sector
from models.enums import DeliveryMode, NotificationStatus, PlanStatus, Role
from models.notifications import Notification, NotificationMessage
from models.plans import Allocation, Plan, PlanEvent, PlanParty
from tests.conftest import GraphQLClient, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

assert ANONYMOUS.account_id is None

MENTOR = """
query ($id: ID!, $search: String!) {
  node(id: $id) { ... on Mentor { name email phone active } }
  mentors(filter: { search: $search }) { totalCount }
}
"""

AUDIT_LOG = """
query { auditLog(first: 100) { edges { node { actorLabel before after } } } }
"""

VIEWER = "query { viewer { name } }"


@dataclass
class Person:
    email: str
    name: str
    phone: str
    mentor: Mentor
    account: Account
    secret: str
    plan: Plan


async def _person(tag: str, number: int) -> Person:
    """A coordinator who is also a mentor of their community, allocated in an active plan,
    with notifications, a preference and a token."""
    email, name = f"wulan.{tag}@example.org", f"Wulan Kusuma {tag.title()}"
    community = await Community.get(name="Komunitas Kuliner Nusantara")
    mentor = await create_mentor(
        viewer=COMMAND_LINE,
        name=name,
        email=email,
        phone=f"0812-3333-{number:04d}",
        community_id=community.id,
        skills=[Skill("KULINER", 5)],
    )
    issued = await create_token(
        email=email, role=Role.COORDINATOR, community_id=community.id, name="laptop Wulan"
    )
    await Account.filter(id=issued.account.id).update(name=name)
    centre = await PlanParty.filter(plan__status=PlanStatus.ACTIVE).first()
    assert centre is not None
    today = dt.datetime.now(dt.UTC).date()
    plan = await Plan.create(
        title=f"Rencana {tag}",
        status=PlanStatus.ACTIVE,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        centre_id=(await Plan.get(id=centre.plan_id)).centre_id,
        proposed_by=issued.account,
    )
    await PlanParty.create(
        plan=plan, community=community, responded_by=issued.account, note=f"Disetujui {name}"
    )
    await Allocation.create(
        plan=plan, mentor=mentor, sector=await Sector.get(code="KULINER"), mentees=3
    )
    await PlanEvent.create(
        plan=plan,
        kind="PROPOSED",
        actor=issued.account,
        version=1,
        details=f"diusulkan oleh {name} <{email}>",
    )
    for status in [NotificationStatus.PENDING, NotificationStatus.SENT]:
        await Notification.create(
            message_id=f"<{tag}-{status.value}@hub.test>",
            kind="PLAN_PROPOSED",
            plan=plan,
            mentor=mentor,
            recipient_email=email,
            recipient_name=name,
            status=status,
            context={"greeting": f"Halo {name}", "plan": plan.title},
            due_at=dt.datetime.now(dt.UTC),
            last_error=f"451 <{email}> coba lagi" if status is NotificationStatus.SENT else None,
        )
    await Notification.create(
        message_id=f"<{tag}-other@hub.test>",
        kind="PLAN_PROPOSED",
        plan=plan,
        recipient_email="staf.lain@example.org",
        recipient_name="Staf Lain",
        context={"proposer": name, "mentors": [{"name": name, "email": email}]},
        due_at=dt.datetime.now(dt.UTC),
    )
    for suffix in ["PENDING", "SENT", "other"]:
        await NotificationMessage.create(
            message_id=f"<{tag}-{suffix}@hub.test>",
            body=f"To: {name} <{email}>\r\n\r\nHalo, {name} mengusulkan rencana.\r\n",
        )
    await NotificationPreference.create(email=email, kind="PLAN_REVISED", mode=DeliveryMode.DIGEST)
    phone = f"+6281233330{number:03d}"
    return Person(email, name, phone, mentor, issued.account, issued.secret, plan)


async def test_export_gathers_every_piece_of_personal_data() -> None:
    person = await _person("ekspor", 1)
    last = await AuditEntry.all().order_by("-id").first()

    data = await export_person(email=person.email.upper())

    assert data["email"] == person.email
    (mentor,) = data["mentors"]
    assert {k: mentor[k] for k in ["name", "email", "phone", "active", "community"]} == {
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "active": True,
        "community": "Komunitas Kuliner Nusantara",
    }
    assert mentor["skills"] == [{"sector": "KULINER", "capacity": 5}]
    assert mentor["allocations"] == [
        {"plan": person.plan.title, "planStatus": "ACTIVE", "sector": "KULINER", "mentees": 3}
    ]
    (account,) = data["accounts"]
    assert (account["name"], account["email"], account["role"]) == (
        person.name,
        person.email,
        "COORDINATOR",
    )
    assert [t["name"] for t in account["tokens"]] == ["laptop Wulan"]
    assert account["plansProposed"] == [person.plan.title]
    assert [e["kind"] for e in account["planEvents"]] == ["PROPOSED"]
    assert sorted(n["status"] for n in data["notifications"]) == ["PENDING", "SENT"]
    assert data["notificationPreferences"][0]["mode"] == "DIGEST"
    text = json.dumps(data)
    assert person.secret not in text
    token = await ApiToken.get(account_id=person.account.id)
    assert token.secret_hash not in text
    recorded = await AuditEntry.filter(id__gt=last.id if last else 0).order_by("id")
    assert [(e.action, e.entity, e.entity_id) for e in recorded] == [
        ("PERSONAL_DATA_EXPORT", "Mentor", person.mentor.id),
        ("PERSONAL_DATA_EXPORT", "Account", person.account.id),
    ]


async def test_erase_makes_the_person_unreachable_and_keeps_plans_consistent(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    person = await _person("hapus", 2)
    admin = (await make_tokens()).headers("admin")
    version = await dataversion.current()

    done = await erase_person(email=person.email)

    assert done == {
        "email": person.email,
        "mentors": [person.mentor.id],
        "accounts": [person.account.id],
        "notifications": 2,
        "notificationPreferences": 1,
        "participants": [],
    }
    assert await dataversion.current() > version
    body = await gql(
        MENTOR,
        {"id": encode_global_id("Mentor", person.mentor.id), "search": person.name},
        headers=admin,
    )
    assert body["data"]["node"] == {
        "name": f"Mentor #{person.mentor.id} (dihapus)",
        "email": None,
        "phone": None,
        "active": True,
    }
    assert body["data"]["mentors"]["totalCount"] == 0
    log = json.dumps((await gql(AUDIT_LOG, headers=admin))["data"])
    for secret in [person.email, person.name, person.phone]:
        assert secret not in log
    assert "PERSONAL_DATA_ERASE" in json.dumps(
        [e.action for e in await AuditEntry.filter(entity_id=person.mentor.id, entity="Mentor")]
    )
    signed_in = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {person.secret}"}
    )
    assert signed_in.status_code == 401

    allocation = await Allocation.get(plan_id=person.plan.id)
    assert (allocation.mentor_id, allocation.mentees) == (person.mentor.id, 3)
    plan = await Plan.get(id=person.plan.id)
    assert (plan.status, plan.proposed_by_id) == (PlanStatus.ACTIVE, person.account.id)
    notifications = await Notification.filter(plan_id=plan.id).order_by("id")
    assert [(n.status, n.recipient_email) for n in notifications] == [
        (NotificationStatus.SKIPPED, ""),
        (NotificationStatus.SENT, ""),
        (NotificationStatus.PENDING, "staf.lain@example.org"),
    ]
    stored = json.dumps(
        [[n.recipient_name, n.context, n.last_error] for n in notifications]
        + [await PlanEvent.filter(plan_id=plan.id).values_list("details", flat=True)]
        + [await PlanParty.filter(plan_id=plan.id).values_list("note", flat=True)]
    )
    for secret in [person.email, person.name]:
        assert secret not in stored
    assert f"Mentor #{person.mentor.id} (dihapus)" in stored
    assert not await NotificationPreference.exists(email=person.email)
    assert not await Account.exists(email=person.email)
    assert (await export_person(email=person.email))["mentors"] == []
    # Their own finished emails are gone; one to someone else no longer names them.
    bodies = await NotificationMessage.filter(
        message_id__in=[n.message_id for n in notifications]
    ).values_list("body", flat=True)
    assert len(bodies) == 1
    assert person.name not in bodies[0]
    assert person.email not in bodies[0]


async def test_a_request_about_an_unknown_address_is_recorded_without_it() -> None:
    data = await export_person(email="tidak.ada@example.org")

    assert (data["mentors"], data["accounts"], data["notifications"]) == ([], [], [])
    entry = await AuditEntry.all().order_by("-id").first()
    assert entry is not None
    assert (entry.action, entry.entity, entry.entity_id, entry.after) == (
        "PERSONAL_DATA_EXPORT",
        "Person",
        None,
        {"found": False},
    )
    assert "tidak.ada" not in json.dumps([entry.before, entry.after, entry.actor_label])


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


def test_person_commands_print_json_and_erase(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off"}
    mentors = tmp_path / "mentors.csv"
    mentors.write_text(
        "name,email,phone,kecamatan_code,community,skills\n"
        "Yusuf Hidayat,yusuf@example.org,0812-4444-0001,31.71.01,,KULINER:6\n"
    )
    _hub(env, "migrate")
    _hub(env, "import", "mentors", str(mentors))

    exported = json.loads(_hub(env, "person", "export", "Yusuf@Example.org").stdout)
    erased = json.loads(_hub(env, "person", "erase", "yusuf@example.org").stdout)
    after = json.loads(_hub(env, "person", "export", "yusuf@example.org").stdout)
    refused = _hub(env, "person", "export", "bukan-alamat", check=False)

    (mentor,) = exported["mentors"]
    assert (mentor["name"], mentor["phone"]) == ("Yusuf Hidayat", "+6281244440001")
    assert mentor["centre"]["kecamatanCode"] == "31.71.01"
    assert erased["mentors"] == [mentor["id"]]
    assert after["mentors"] == []
    listing = _hub(env, "export", "mentors").stdout
    assert f"Mentor #{mentor['id']} (dihapus),,,31.71.01,,KULINER:6" in listing
    assert "Yusuf" not in listing
    assert (refused.returncode, refused.stderr.strip().splitlines()[-1]) == (
        1,
        "hub: 'bukan-alamat' is not an email address",
    )


def _on_a_terminal(env: dict[str, str], answer: str, *args: str) -> tuple[int, str]:
    """Run `hub` with a pseudo-terminal as standard input, answer its question, and return
    the exit status and everything it wrote."""
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    os.close(terminal)
    try:
        os.write(controller, answer.encode())
        output, _ = process.communicate(timeout=120)
    finally:
        os.close(controller)
    return process.returncode, output


def test_erase_asks_on_a_terminal_and_an_unknown_email_exits_1(tmp_path: Path) -> None:
    # given a mentor with an email address
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env = {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off"}
    mentors = tmp_path / "mentors.csv"
    mentors.write_text(
        "name,email,phone,kecamatan_code,community,skills\n"
        "Ratna Lubis,ratna@example.org,,31.71.01,,KULINER:6\n"
    )
    _hub(env, "migrate")
    _hub(env, "import", "mentors", str(mentors))

    # when the operator answers no at the terminal, then nothing is erased
    status, output = _on_a_terminal(env, "n\n", "person", "erase", "ratna@example.org")
    assert status == 1
    assert "Erase the contact data of ratna@example.org (1 mentors)" in output
    assert "hub: nothing erased" in output
    kept = json.loads(_hub(env, "person", "export", "ratna@example.org").stdout)
    assert [m["name"] for m in kept["mentors"]] == ["Ratna Lubis"]

    # when they answer yes, it is erased
    status, output = _on_a_terminal(env, "y\n", "person", "erase", "ratna@example.org")
    assert status == 0
    assert json.loads(_hub(env, "person", "export", "ratna@example.org").stdout)["mentors"] == []

    # and an address the hub knows nothing about (now this one too) exits 1
    for email in ["ratna@example.org", "nobody@example.org"]:
        unknown = _hub(env, "person", "erase", "--yes", email, check=False)
        assert unknown.returncode == 1
        assert f"nobody with the email address '{email}'" in unknown.stderr
