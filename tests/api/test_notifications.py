"""Notifications through GraphQL: a plan's life writes the right outbox rows and emails, staff
see delivery status, everyone chooses preferences, anyone with the link unsubscribes."""

from __future__ import annotations

import email
import email.policy
import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from hub.core import Settings, dataversion, encode_global_id
from hub.notify import NotificationKind, notify_plan_event
from hub.notify.delivery import DeliveryWorker, SmtpTarget
from hub.notify.sink import LocalSink
from hub.notify.unsubscribe import make_token, secret_key
from models.accounts import Account, NotificationPreference
from models.enums import DeliveryMode, NotificationStatus
from models.notifications import Notification
from models.plans import PlanEvent
from tests.api.plan_fixtures import World, at, build_world, day
from tests.conftest import GraphQLClient, count_statements, errors_of

pytestmark = pytest.mark.usefixtures("reference_data")

PLAN_PAYLOAD = """
  plan { id version status trainings { id revision } }
  errors { code field message }
"""
PROPOSE = (
    f"mutation ($input: ProposePlanInput!) {{ proposePlan(input: $input) {{ {PLAN_PAYLOAD} }} }}"
)
RESPOND = f"mutation ($input: RespondToPlanInput!) {{ respondToPlan(input: $input) {{ {PLAN_PAYLOAD} }} }}"
RESCHEDULE = (
    f"mutation ($input: RescheduleTrainingInput!) {{ rescheduleTraining(input: $input) "
    f"{{ {PLAN_PAYLOAD} }} }}"
)

PLAN_NOTIFICATIONS = """
query ($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Plan {
      notifications(first: $first) {
        totalCount
        edges { node { kind status mode attempts lastError messageId recipientName locale
                       dueAt sentAt createdAt plan { title } training { title } } }
      }
    }
  }
}
"""

PLANS_WITH_NOTIFICATIONS = """
query ($first: Int) {
  plans(first: $first) { edges { node { title notifications(first: 100) {
    totalCount edges { node { kind status attempts lastError recipientName training { title } } } } } } }
}
"""

ALL_NOTIFICATIONS = """
query ($filter: NotificationFilter, $first: Int, $after: String) {
  notifications(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { kind status attempts lastError recipientName recipientEmail
                   plan { title } training { title } } }
  }
}
"""

PREFERENCES = "query { notificationPreferences { kind mode } }"

UPDATE_PREFERENCES = """
mutation ($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    preferences { kind mode }
    errors { code field message }
  }
}
"""


@pytest.fixture(scope="module")
async def world(reference_data: None) -> World:
    return await build_world("notif")


@pytest.fixture(autouse=True)
async def empty_outbox(reference_data: None) -> None:
    await Notification.all().delete()
    await NotificationPreference.all().delete()


_days = itertools.count(20, 2)


def proposal(world: World, *, allocate: bool = True) -> dict[str, Any]:
    """K1 proposes to Gambir and K2: M1 mentors (unless not `allocate`), C0 teaches a training
    on a day of its own (C0 is never double-booked)."""
    when = next(_days)
    return {
        "kecamatanCode": "31.71.01",
        "communityIds": [world.community["K1"], world.community["K2"]],
        "title": "Kuliner Gambir berkabar",
        "startsOn": day(0),
        "endsOn": day(60),
        "allocations": [{"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 1}]
        if allocate
        else [],
        "trainings": [
            {
                "title": "Kemasan produk",
                "sectorCode": "KULINER",
                "startsAt": at(when, 9),
                "endsAt": at(when, 12),
                "venue": "Aula Gambir",
                "mentorIds": [world.mentor["C0"]],
            }
        ],
    }


async def propose(gql: GraphQLClient, world: World, *, allocate: bool = True) -> dict[str, Any]:
    body = await gql(
        PROPOSE, {"input": proposal(world, allocate=allocate)}, headers=world.headers("k1")
    )
    payload = body["data"]["proposePlan"]
    assert payload["errors"] == [], payload
    return dict(payload["plan"])


async def accept(gql: GraphQLClient, world: World, plan: dict[str, Any], who: str) -> dict:
    body = await gql(
        RESPOND,
        {"input": {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"}},
        headers=world.headers(who),
    )
    payload = body["data"]["respondToPlan"]
    assert payload["errors"] == [], payload
    return dict(payload["plan"])


async def reschedule(
    gql: GraphQLClient, world: World, plan: dict[str, Any], hour: int
) -> dict[str, Any]:
    body = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": plan["trainings"][0]["id"],
                "version": plan["version"],
                "startsAt": at(59, hour),
                "endsAt": at(59, hour + 2),
            }
        },
        headers=world.headers("staff"),
    )
    payload = body["data"]["rescheduleTraining"]
    assert payload["errors"] == [], payload
    return dict(payload["plan"])


def address(world: World, who: str) -> str:
    return f"{who}.{world.tag}@test.example.org"


def mentor_address(world: World, name: str) -> str:
    return f"{name.lower()}.{world.tag}@example.org"


async def rows(kind: NotificationKind) -> list[Notification]:
    return await Notification.filter(kind=kind.value).order_by("recipient_email")


async def test_a_plans_life_writes_one_row_per_recipient_and_event_never_to_the_actor(
    gql: GraphQLClient, world: World
) -> None:
    # when K1's coordinator proposes
    plan = await propose(gql, world)

    # then the centre's staff, K2's coordinator, the allocated and the teaching mentor hear of it
    proposed = await rows(NotificationKind.PLAN_PROPOSED)
    assert sorted(r.recipient_email for r in proposed) == sorted(
        [
            address(world, "staff"),
            address(world, "k2"),
            mentor_address(world, "M1"),
            mentor_address(world, "C0"),
        ]
    )
    assert {r.status for r in proposed} == {NotificationStatus.PENDING}
    assert len({r.message_id for r in proposed}) == 4
    assert all(
        re.fullmatch(r"<notification\.[0-9a-f]{32}@[\w.-]+>", r.message_id) for r in proposed
    )

    # when the staff accepts (one of two), then K2 accepts (the last)
    plan = await accept(gql, world, plan, "staff")
    answered = await rows(NotificationKind.PLAN_ANSWERED)
    assert address(world, "staff") not in {r.recipient_email for r in answered}
    assert address(world, "k1") in {r.recipient_email for r in answered}
    plan = await accept(gql, world, plan, "k2")

    # then the plan is active and every recipient but K2's coordinator gets both emails
    assert plan["status"] == "ACTIVE"
    activated = await rows(NotificationKind.PLAN_ACTIVATED)
    scheduled = await rows(NotificationKind.TRAINING_SCHEDULED)
    expected = sorted(
        [
            address(world, "staff"),
            address(world, "k1"),
            mentor_address(world, "M1"),
            mentor_address(world, "C0"),
        ]
    )
    assert sorted(r.recipient_email for r in activated) == expected
    assert sorted(r.recipient_email for r in scheduled) == expected
    training_pk = int(scheduled[0].training_id or 0)
    assert encode_global_id("Training", training_pk) == plan["trainings"][0]["id"]
    assert scheduled[0].context["method"] == "REQUEST"
    assert all(r.due_at <= datetime.now(UTC) for r in activated + scheduled)


async def test_rapid_training_changes_coalesce_into_one_pending_email(
    gql: GraphQLClient, world: World
) -> None:
    # given an active plan (the app's coalescing window is the default 120 s)
    plan = await propose(gql, world)
    plan = await accept(gql, world, plan, "staff")
    plan = await accept(gql, world, plan, "k2")

    # when the staff moves the training twice in a row
    plan = await reschedule(gql, world, plan, 13)
    first = {r.recipient_email: r for r in await rows(NotificationKind.TRAINING_CHANGED)}
    plan = await reschedule(gql, world, plan, 15)

    # then each recipient still has one pending email, with its Message-ID, due after the window
    after = {r.recipient_email: r for r in await rows(NotificationKind.TRAINING_CHANGED)}
    assert set(after) == set(first)
    assert address(world, "staff") not in after
    for recipient, row in after.items():
        assert row.id == first[recipient].id
        assert row.message_id == first[recipient].message_id
        assert row.status is NotificationStatus.PENDING
        assert row.context["changes"] == 2
        assert row.context["trainings"][0]["revision"] == plan["trainings"][0]["revision"]
        assert row.context["trainings"][0]["starts_at"].startswith(f"{day(59)}T08:00")
        assert (row.due_at - row.created_at).total_seconds() == pytest.approx(120, abs=2)


async def test_no_coalescing_window_means_one_email_per_change(world: World) -> None:
    plan_id = await _world_plan(world)
    instant = Settings(mail_coalesce_seconds=0)
    for _ in range(2):
        async with in_transaction():
            await notify_plan_event(
                kind=NotificationKind.PLAN_REVISED, plan_id=plan_id, actor_id=None, settings=instant
            )
    revised = await rows(NotificationKind.PLAN_REVISED)
    assert len(revised) == 2 * len({r.recipient_email for r in revised})
    assert all(r.due_at <= datetime.now(UTC) for r in revised)


async def _world_plan(world: World) -> int:
    event = await PlanEvent.filter(kind="PROPOSED").order_by("-id").first()
    assert event is not None, "an earlier test proposes a plan"
    return event.plan_id


async def test_rows_written_in_a_transaction_that_fails_are_gone(world: World) -> None:
    plan_id = await _world_plan(world)
    seen_inside: list[int] = []

    async def change_that_fails() -> None:
        async with in_transaction():
            written = await notify_plan_event(
                kind=NotificationKind.PLAN_CANCELLED, plan_id=plan_id, actor_id=None
            )
            seen_inside.extend([written, await Notification.filter(kind="PLAN_CANCELLED").count()])
            raise RuntimeError("the change failed after its notifications were written")

    with pytest.raises(RuntimeError, match="the change failed"):
        await change_that_fails()

    written, counted = seen_inside
    assert written > 0
    assert counted == written
    assert await Notification.filter(kind="PLAN_CANCELLED").count() == 0


async def test_languages_follow_each_account(world: World) -> None:
    plan_id = await _world_plan(world)
    k2 = await Account.get(email=address(world, "k2"))
    k2.locale = "en"
    await k2.save()
    try:
        async with in_transaction():
            await notify_plan_event(
                kind=NotificationKind.PLAN_COMPLETED, plan_id=plan_id, actor_id=None
            )
        locales = {r.recipient_email: r.locale for r in await rows(NotificationKind.PLAN_COMPLETED)}
        assert locales[address(world, "k2")] == "en"
        assert locales[address(world, "staff")] == "id"
        assert locales[mentor_address(world, "M1")] == "id"
    finally:
        k2.locale = "id"
        await k2.save()


async def test_preferences_are_read_and_changed_by_the_signed_in_account(
    gql: GraphQLClient, world: World
) -> None:
    # given the defaults
    body = await gql(PREFERENCES, headers=world.headers("k2"))
    assert {p["mode"] for p in body["data"]["notificationPreferences"]} == {"IMMEDIATE"}
    assert len(body["data"]["notificationPreferences"]) == len(NotificationKind)
    version = await dataversion.current()

    # when K2's coordinator wants revisions in a digest and no completions
    body = await gql(
        UPDATE_PREFERENCES,
        {
            "input": {
                "preferences": [
                    {"kind": "PLAN_REVISED", "mode": "DIGEST"},
                    {"kind": "PLAN_COMPLETED", "mode": "OFF"},
                ]
            }
        },
        headers=world.headers("k2"),
    )

    # then both are stored, shown, and the data version moved
    payload = body["data"]["updateNotificationPreferences"]
    assert payload["errors"] == []
    modes = {p["kind"]: p["mode"] for p in payload["preferences"]}
    assert modes["PLAN_REVISED"] == "DIGEST"
    assert modes["PLAN_COMPLETED"] == "OFF"
    assert modes["PLAN_PROPOSED"] == "IMMEDIATE"
    assert await dataversion.current() == version + 1
    again = await gql(PREFERENCES, headers=world.headers("k2"))
    assert {p["kind"]: p["mode"] for p in again["data"]["notificationPreferences"]} == modes

    # and the outbox honours them: no row when OFF, a digest row due at 07:00 Jakarta
    plan_id = await _world_plan(world)
    async with in_transaction():
        await notify_plan_event(
            kind=NotificationKind.PLAN_COMPLETED,
            plan_id=plan_id,
            actor_id=None,
            settings=Settings(),
        )
        await notify_plan_event(
            kind=NotificationKind.PLAN_REVISED, plan_id=plan_id, actor_id=None, settings=Settings()
        )
    completed = {r.recipient_email for r in await rows(NotificationKind.PLAN_COMPLETED)}
    assert address(world, "k2") not in completed
    assert address(world, "staff") in completed
    digest = await Notification.get(kind="PLAN_REVISED", recipient_email=address(world, "k2"))
    assert digest.mode is DeliveryMode.DIGEST
    jakarta = digest.due_at.astimezone(UTC)
    assert (jakarta.hour, jakarta.minute) == (0, 0)  # 07:00 WIB


async def test_bad_preference_input_changes_nothing(gql: GraphQLClient, world: World) -> None:
    twice = [{"kind": "PLAN_REVISED", "mode": "OFF"}, {"kind": "PLAN_REVISED", "mode": "DIGEST"}]
    body = await gql(
        UPDATE_PREFERENCES, {"input": {"preferences": twice}}, headers=world.headers("k1")
    )
    payload = body["data"]["updateNotificationPreferences"]
    assert payload["preferences"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["preferences", "1", "kind"])
    ]
    assert await NotificationPreference.filter(email=address(world, "k1")).count() == 0

    anonymous = await gql(UPDATE_PREFERENCES, {"input": {"preferences": twice[:1]}})
    assert [e["code"] for e in anonymous["data"]["updateNotificationPreferences"]["errors"]] == [
        "FORBIDDEN"
    ]
    assert errors_of(await gql(PREFERENCES)) == [("FORBIDDEN", ["notificationPreferences"])]


async def test_unsubscribe_link_asks_then_turns_the_kind_off_without_an_account(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    # given a mentor's pending email and the link its email carries
    mentor = mentor_address(world, "M1")
    plan_id = await _world_plan(world)
    async with in_transaction():
        await notify_plan_event(kind=NotificationKind.PLAN_ANSWERED, plan_id=plan_id, actor_id=None)
    token = make_token(
        key=secret_key(settings), email=mentor, kinds=[NotificationKind.PLAN_ANSWERED]
    )
    version = await dataversion.current()

    # when the link is opened, nothing changes yet: the page asks
    page = await client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert f'<form method="post" action="/unsubscribe/{token}">' in page.text
    assert mentor in page.text
    assert await NotificationPreference.filter(email=mentor).count() == 0

    # when the mail program posts the one-click request
    done = await client.post(
        f"/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    # then that kind is off for that address, its pending email skipped, the version moved
    assert done.status_code == 200
    assert "tidak akan lagi menerima" in done.text
    preference = await NotificationPreference.get(email=mentor)
    assert (preference.kind, preference.mode) == ("PLAN_ANSWERED", DeliveryMode.OFF)
    skipped = await Notification.get(kind="PLAN_ANSWERED", recipient_email=mentor)
    assert skipped.status is NotificationStatus.SKIPPED
    others = await Notification.filter(kind="PLAN_ANSWERED").exclude(recipient_email=mentor)
    assert {r.status for r in others} == {NotificationStatus.PENDING}
    assert await dataversion.current() == version + 1


async def test_a_forged_unsubscribe_link_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    forged = make_token(
        key=b"not the hub's key", email=address(world, "k1"), kinds=list(NotificationKind)
    )
    for response in [
        await client.get(f"/unsubscribe/{forged}"),
        await client.post(f"/unsubscribe/{forged}"),
        await client.post("/unsubscribe/garbage"),
    ]:
        assert response.status_code == 400
        assert "tidak valid" in response.text
    assert await NotificationPreference.all().count() == 0


async def test_staff_of_a_party_see_the_plans_emails_others_do_not(
    gql: GraphQLClient, world: World
) -> None:
    plan = await propose(gql, world)

    body = await gql(PLAN_NOTIFICATIONS, {"id": plan["id"]}, headers=world.headers("staff"))
    connection = body["data"]["node"]["notifications"]
    assert connection["totalCount"] == 4
    node = connection["edges"][0]["node"]
    assert node["kind"] == "PLAN_PROPOSED"
    assert (node["status"], node["mode"], node["attempts"], node["lastError"]) == (
        "PENDING",
        "IMMEDIATE",
        0,
        None,
    )
    assert node["plan"] == {"title": "Kuliner Gambir berkabar"}
    assert node["training"] is None
    assert node["messageId"].startswith("<notification.")

    hidden = await gql(PLAN_NOTIFICATIONS, {"id": plan["id"]}, headers=world.headers("other_staff"))
    assert hidden["data"]["node"] is None


async def test_admins_list_every_email_by_status_others_are_forbidden(
    gql: GraphQLClient, world: World
) -> None:
    plan = await propose(gql, world)
    await Notification.filter(recipient_email=address(world, "k2")).update(
        status=NotificationStatus.FAILED, attempts=3, last_error="550 5.1.1 No such user"
    )

    failed = await gql(
        ALL_NOTIFICATIONS, {"filter": {"status": "FAILED"}}, headers=world.headers("admin")
    )
    connection = failed["data"]["notifications"]
    assert connection["totalCount"] == 1
    node = connection["edges"][0]["node"]
    assert (node["status"], node["attempts"], node["lastError"], node["recipientEmail"]) == (
        "FAILED",
        3,
        "550 5.1.1 No such user",
        address(world, "k2"),
    )
    pending = await gql(
        ALL_NOTIFICATIONS,
        {"filter": {"status": "PENDING"}, "first": 2},
        headers=world.headers("admin"),
    )
    assert pending["data"]["notifications"]["totalCount"] == 3
    assert pending["data"]["notifications"]["pageInfo"]["hasNextPage"] is True

    for who in ["staff", "k1", "partner"]:
        body = await gql(ALL_NOTIFICATIONS, headers=world.headers(who))
        assert errors_of(body) == [("FORBIDDEN", ["notifications"])]
    anonymous = await gql(ALL_NOTIFICATIONS)
    assert errors_of(anonymous) == [("FORBIDDEN", ["notifications"])]

    # a party's staff see statuses on the plan, but not other people's addresses
    seen = await gql(
        """query ($id: ID!) { node(id: $id) { ... on Plan { notifications { edges { node {
             recipientName recipientEmail } } } } } }""",
        {"id": plan["id"]},
        headers=world.headers("staff"),
    )
    assert {c for c, _ in errors_of(seen)} == {"FORBIDDEN"}


async def test_notification_lists_load_in_a_constant_number_of_statements(
    gql: GraphQLClient, world: World
) -> None:
    async def statements(query: str, variables: dict[str, Any]) -> tuple[int, int]:
        with count_statements() as counter:
            body = await gql(query, variables, headers=world.headers("admin"))
        assert body.get("errors") is None, body
        return counter.count, len(str(body))

    await propose(gql, world)
    await gql(ALL_NOTIFICATIONS, {"first": 1}, headers=world.headers("admin"))  # warm up
    few_plans = await statements(PLANS_WITH_NOTIFICATIONS, {"first": 1})
    few_rows = await statements(ALL_NOTIFICATIONS, {"first": 2})
    for _ in range(3):
        await propose(gql, world, allocate=False)
    many_plans = await statements(PLANS_WITH_NOTIFICATIONS, {"first": 4})
    many_rows = await statements(ALL_NOTIFICATIONS, {"first": 16})

    assert many_plans[1] > 2 * few_plans[1]
    assert many_rows[1] > 2 * few_rows[1]
    assert many_plans[0] == few_plans[0]
    assert many_rows[0] == few_rows[0]
    assert many_rows[0] <= 6


async def test_a_plans_life_lands_in_the_local_sink(
    gql: GraphQLClient, world: World, tmp_path: Path, settings: Settings
) -> None:
    # given a plan proposed and accepted by everyone, through GraphQL
    plan = await propose(gql, world)
    plan = await accept(gql, world, plan, "staff")
    plan = await accept(gql, world, plan, "k2")

    # when the worker delivers to the embedded sink
    sink = LocalSink(tmp_path / "mail")
    sink.start()
    try:
        worker = DeliveryWorker(
            settings=settings, target=SmtpTarget(host=sink.host, port=sink.port), timeout=5
        )
        report = await worker.drain()
        await worker.close()
    finally:
        sink.stop()

    # then every email is a file in the maildir, addressed and worded as its row says
    files = sorted((tmp_path / "mail" / "new").iterdir())
    assert report.sent == len(files) == await Notification.all().count()
    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files
    ]
    to_k1 = sorted(str(m["Subject"]) for m in messages if m["Delivered-To"] == address(world, "k1"))
    assert to_k1 == [
        "[OK OCE] Pelatihan dijadwalkan: Kemasan produk (Kuliner Gambir berkabar)",
        "[OK OCE] Rencana disetujui semua pihak dan kini aktif: Kuliner Gambir berkabar",
        "[OK OCE] Tanggapan baru untuk rencana: Kuliner Gambir berkabar",
    ]
    assert await Notification.filter(status=NotificationStatus.SENT).count() == len(files)


def readme_operations() -> list[str]:
    """The GraphQL blocks of the README's section on email notifications."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = text.split("## Email notifications", 1)[1].split("\n## ", 1)[0]
    return list(re.findall(r"```graphql\n(.*?)```", section, re.S))


async def test_the_readmes_notification_operations_work_as_written(
    gql: GraphQLClient, world: World
) -> None:
    listing, preferences = readme_operations()

    body = await gql(listing, headers=world.headers("admin"))
    assert body.get("errors") is None, body
    assert body["data"]["notifications"]["totalCount"] == 0

    body = await gql(preferences, headers=world.headers("k3"))
    payload = body["data"]["updateNotificationPreferences"]
    assert payload["errors"] == []
    modes = {p["kind"]: p["mode"] for p in payload["preferences"]}
    assert (modes["PLAN_REVISED"], modes["TRAINING_CHANGED"]) == ("DIGEST", "OFF")


async def test_a_delivery_error_quoting_an_address_is_redacted_where_the_address_is_hidden(
    gql: GraphQLClient, world: World
) -> None:
    plan = await propose(gql, world)
    refused = address(world, "k2")
    await Notification.filter(recipient_email=refused).update(
        status=NotificationStatus.FAILED,
        attempts=1,
        last_error=f"recipient refused: 550 5.1.1 <{refused.upper()}>: no such user (cc x@y.test)",
    )
    query = """query ($id: ID!) { node(id: $id) { ... on Plan { notifications { edges { node {
                 status lastError } } } } } }"""

    def failed(body: dict[str, Any]) -> list[str]:
        edges = body["data"]["node"]["notifications"]["edges"]
        return [e["node"]["lastError"] for e in edges if e["node"]["status"] == "FAILED"]

    staff = await gql(query, {"id": plan["id"]}, headers=world.headers("staff"))
    assert failed(staff) == [
        "recipient refused: 550 5.1.1 <[address hidden]>: no such user (cc [address hidden])"
    ]
    admin = await gql(query, {"id": plan["id"]}, headers=world.headers("admin"))
    assert failed(admin) == [
        f"recipient refused: 550 5.1.1 <{refused.upper()}>: no such user (cc x@y.test)"
    ]
    recipient = await gql(query, {"id": plan["id"]}, headers=world.headers("k2"))
    assert failed(recipient) == failed(admin)
