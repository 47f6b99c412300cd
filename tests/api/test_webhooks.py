"""Webhooks through GraphQL (DESIGN section 10): who may register which kinds, the SSRF rules
at registration, owners' isolation, delivery rows written in the change's transaction,
ping, redelivery, rotation, audit, and the list's statement count."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from hub.access import create_token
from hub.core import decode_global_id
from hub.integration import latest_position
from models.audit import AuditEntry
from models.enums import Role
from models.integration import Event
from models.webhooks import Webhook, WebhookDelivery
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import active_plan, propose
from tests.conftest import GraphQLClient, count_statements

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()

CREATE = """
mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url events description enabled createdAt disabledAt }
    secret
    errors { code field message }
  }
}
"""
UPDATE = """
mutation ($input: UpdateWebhookInput!) {
  updateWebhook(input: $input) { webhook { id url events description enabled disabledAt }
    errors { code field message } }
}
"""
DELETE = """
mutation ($input: WebhookInput!) {
  deleteWebhook(input: $input) { webhook { id } errors { code field message } }
}
"""
ROTATE = """
mutation ($input: WebhookInput!) {
  rotateWebhookSecret(input: $input) { webhook { id } secret errors { code field message } }
}
"""
PING = """
mutation ($input: WebhookInput!) {
  pingWebhook(input: $input) { webhook { id } errors { code field message } }
}
"""
REDELIVER = """
mutation ($input: RedeliverWebhookEventInput!) {
  redeliverWebhookEvent(input: $input) { webhook { id } errors { code field message } }
}
"""
WEBHOOKS = """
query ($first: Int) {
  webhooks(first: $first) {
    totalCount
    edges { node { id url events enabled
      deliveries(first: 5) { totalCount edges { node { eventCursor kind status attempts } } } } }
  }
}
"""
HOOK = """
query ($id: ID!) {
  node(id: $id) { ... on Webhook { url deliveries(first: 50) { totalCount edges { node {
    eventCursor kind status attempts responseStatus } } } } }
}
"""

PUBLIC_URL = "https://93.184.215.14/hooks/okoce"
"""An address literal of the public internet: no DNS lookup needed to check it."""


@pytest.fixture(autouse=True)
async def no_webhooks(reference_data: None) -> None:
    await Webhook.all().delete()


@pytest.fixture
async def world(reference_data: None) -> World:
    found = await build_world(f"w{next(_worlds)}")
    issued = await create_token(email=f"partner2.{found.tag}@test.example.org", role=Role.PARTNER)
    found.tokens["partner2"] = issued.secret
    return found


async def create(
    gql: GraphQLClient, world: World, who: str, events: list[str], url: str = PUBLIC_URL
) -> dict[str, Any]:
    body = await gql(
        CREATE,
        {"input": {"url": url, "events": events, "description": "Aplikasi warga"}},
        headers=world.headers(who),
    )
    payload: dict[str, Any] = body["data"]["createWebhook"]
    return payload


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_a_partner_registers_training_kinds_and_gets_the_secret_once(
    gql: GraphQLClient, world: World
) -> None:
    # When a partner app registers a webhook for training kinds
    payload = await create(gql, world, "partner", ["TRAINING_SCHEDULED", "REGISTRATION_CHANGED"])

    # Then it gets the webhook and its secret, once
    assert payload["errors"] == []
    assert payload["secret"].startswith("whsec_")
    hook = payload["webhook"]
    assert hook["url"] == PUBLIC_URL
    assert sorted(hook["events"]) == ["REGISTRATION_CHANGED", "TRAINING_SCHEDULED"]
    assert (hook["enabled"], hook["disabledAt"]) == (True, None)
    listed = await gql(WEBHOOKS, {"first": 10}, headers=world.headers("partner"))
    assert [e["node"]["id"] for e in listed["data"]["webhooks"]["edges"]] == [hook["id"]]
    assert "secret" not in str(listed)


async def test_a_partner_may_not_choose_plan_kinds(gql: GraphQLClient, world: World) -> None:
    payload = await create(
        gql, world, "partner", ["TRAINING_CHANGED", "PLAN_PROPOSED", "PLAN_ACTIVATED"]
    )
    assert payload["webhook"] is None
    assert payload["secret"] is None
    assert errors(payload) == [("FORBIDDEN", ["events", "1"]), ("FORBIDDEN", ["events", "2"])]
    assert await Webhook.all().count() == 0


async def test_an_admin_may_choose_any_kind(gql: GraphQLClient, world: World) -> None:
    payload = await create(gql, world, "admin", ["PLAN_PROPOSED", "TRAINING_CHANGED"])
    assert payload["errors"] == []


@pytest.mark.parametrize("who", [None, "staff", "k1"])
async def test_other_roles_may_not_register(
    gql: GraphQLClient, world: World, who: str | None
) -> None:
    payload = await create(gql, world, who, ["TRAINING_CHANGED"])  # type: ignore[arg-type]
    assert [code for code, _ in errors(payload)] == ["FORBIDDEN"]
    listed = await gql(WEBHOOKS, {"first": 10}, headers=world.headers(who))
    assert listed["data"]["webhooks"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:8080/hook", "https://"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:192.168.1.1]/hook", "private"),
        ("https://user:pw@93.184.215.14/hook", "no user"),
        ("not a url", "https://"),
    ],
)
async def test_unsafe_targets_are_refused_at_registration(
    gql: GraphQLClient, world: World, url: str, says: str
) -> None:
    payload = await create(gql, world, "admin", ["PLAN_PROPOSED"], url=url)
    assert errors(payload) == [("INVALID", ["url"])]
    assert says in payload["errors"][0]["message"]


async def test_a_huge_url_is_refused_before_anything_runs(gql: GraphQLClient, world: World) -> None:
    payload = await create(
        gql, world, "admin", ["PLAN_PROPOSED"], url="https://a.example/" + "x" * 5000
    )
    assert errors(payload) == [("INVALID", ["url"])]


async def test_another_owners_webhook_is_not_found(gql: GraphQLClient, world: World) -> None:
    # Given a webhook of one partner
    hook = (await create(gql, world, "partner", ["TRAINING_CHANGED"]))["webhook"]
    other = world.headers("partner2")

    # Then another partner can neither see nor touch it, and learns nothing of it
    assert (await gql(HOOK, {"id": hook["id"]}, headers=other))["data"]["node"] is None
    for mutation, name, extra in [
        (UPDATE, "updateWebhook", {"enabled": False}),
        (PING, "pingWebhook", {}),
        (ROTATE, "rotateWebhookSecret", {}),
        (DELETE, "deleteWebhook", {}),
    ]:
        body = await gql(mutation, {"input": {"webhookId": hook["id"], **extra}}, headers=other)
        assert errors(body["data"][name]) == [("NOT_FOUND", ["webhookId"])], name
    assert (await Webhook.get()).enabled is True

    # And an admin sees and may change every webhook
    admin = world.headers("admin")
    listed = await gql(WEBHOOKS, {"first": 10}, headers=admin)
    assert hook["id"] in [e["node"]["id"] for e in listed["data"]["webhooks"]["edges"]]
    body = await gql(UPDATE, {"input": {"webhookId": hook["id"], "enabled": False}}, headers=admin)
    assert body["data"]["updateWebhook"]["webhook"]["enabled"] is False


async def test_changes_are_audited_without_the_secret(gql: GraphQLClient, world: World) -> None:
    created = await create(gql, world, "partner", ["TRAINING_CHANGED"])
    hook = created["webhook"]
    headers = world.headers("partner")
    await gql(
        UPDATE,
        {
            "input": {
                "webhookId": hook["id"],
                "description": "Baru",
                "events": ["TRAINING_CANCELLED"],
            }
        },
        headers=headers,
    )
    rotated = await gql(ROTATE, {"input": {"webhookId": hook["id"]}}, headers=headers)
    await gql(DELETE, {"input": {"webhookId": hook["id"]}}, headers=headers)

    pk = decode_global_id(hook["id"], "Webhook")
    entries = await AuditEntry.filter(entity="Webhook", entity_id=pk).order_by("id")
    assert [e.action for e in entries] == ["CREATE", "UPDATE", "ROTATE_SECRET", "DELETE"]
    assert entries[1].before["events"] == ["TRAINING_CHANGED"]  # type: ignore[index]
    assert entries[1].after["events"] == ["TRAINING_CANCELLED"]  # type: ignore[index]
    secrets = [created["secret"], rotated["data"]["rotateWebhookSecret"]["secret"]]
    for entry in entries:
        assert not any(s in str(entry.before) + str(entry.after) for s in secrets)
    assert await Webhook.filter(id=pk).count() == 0


async def test_each_change_writes_deliveries_for_the_webhooks_that_may_see_it(
    gql: GraphQLClient, world: World
) -> None:
    # Given an admin's webhook for plan and training kinds, a partner's for trainings, and a
    # disabled one
    admin = (
        await create(gql, world, "admin", ["PLAN_PROPOSED", "PLAN_ACTIVATED", "TRAINING_SCHEDULED"])
    )["webhook"]
    partner = (await create(gql, world, "partner", ["TRAINING_SCHEDULED", "TRAINING_CHANGED"]))[
        "webhook"
    ]
    off = (await create(gql, world, "partner2", ["TRAINING_SCHEDULED"]))["webhook"]
    await gql(
        UPDATE,
        {"input": {"webhookId": off["id"], "enabled": False}},
        headers=world.headers("partner2"),
    )
    start = await latest_position()

    # When a plan is proposed and activated (its training scheduled)
    await active_plan(gql, world)

    # Then each webhook has a PENDING delivery per event of its kinds that it may see
    async def kinds(hook: dict[str, Any], who: str) -> list[tuple[str, str]]:
        body = await gql(HOOK, {"id": hook["id"]}, headers=world.headers(who))
        edges = body["data"]["node"]["deliveries"]["edges"]
        return sorted((e["node"]["kind"], e["node"]["status"]) for e in edges)

    assert await kinds(admin, "admin") == [
        ("PLAN_ACTIVATED", "PENDING"),
        ("PLAN_PROPOSED", "PENDING"),
        ("TRAINING_SCHEDULED", "PENDING"),
    ]
    assert await kinds(partner, "partner") == [("TRAINING_SCHEDULED", "PENDING")]
    assert await kinds(off, "partner2") == []
    # And each delivery points at its event in the stream
    events = {e.position: e.kind for e in await Event.filter(position__gt=start)}
    for row in await WebhookDelivery.all():
        assert events[row.event_id] == row.kind


async def test_a_change_that_fails_leaves_no_delivery(gql: GraphQLClient, world: World) -> None:
    await create(gql, world, "admin", ["PLAN_PROPOSED"])
    # A proposal that is refused (its dates backwards) writes nothing
    body = await propose(gql, world, startsOn="2030-02-01", endsOn="2030-01-01")
    assert body["errors"]
    assert await WebhookDelivery.all().count() == 0


async def test_ping_and_redelivery(gql: GraphQLClient, world: World) -> None:
    hook = (await create(gql, world, "admin", ["PLAN_PROPOSED"]))["webhook"]
    partner_hook = (await create(gql, world, "partner", ["TRAINING_CHANGED"]))["webhook"]
    await propose(gql, world)
    body = await gql(HOOK, {"id": hook["id"]}, headers=world.headers("admin"))
    (edge,) = body["data"]["node"]["deliveries"]["edges"]
    cursor = edge["node"]["eventCursor"]

    # When the admin pings and asks for the event again
    headers = world.headers("admin")
    ping = await gql(PING, {"input": {"webhookId": hook["id"]}}, headers=headers)
    again = await gql(
        REDELIVER, {"input": {"webhookId": hook["id"], "eventCursor": cursor}}, headers=headers
    )
    assert ping["data"]["pingWebhook"]["errors"] == []
    assert again["data"]["redeliverWebhookEvent"]["errors"] == []

    # Then the webhook has a PING (no event) and a second delivery of the same event
    body = await gql(HOOK, {"id": hook["id"]}, headers=headers)
    found = [
        (e["node"]["kind"], e["node"]["eventCursor"])
        for e in body["data"]["node"]["deliveries"]["edges"]
    ]
    assert found == [("PLAN_PROPOSED", cursor), ("PING", None), ("PLAN_PROPOSED", cursor)]

    # And a partner cannot have a plan event sent to its webhook, nor use a bad cursor
    refused = await gql(
        REDELIVER,
        {"input": {"webhookId": partner_hook["id"], "eventCursor": cursor}},
        headers=world.headers("partner"),
    )
    assert errors(refused["data"]["redeliverWebhookEvent"]) == [("NOT_FOUND", ["eventCursor"])]
    bad = await gql(
        REDELIVER,
        {"input": {"webhookId": hook["id"], "eventCursor": "bm90IGEgY3Vyc29y"}},
        headers=headers,
    )
    assert errors(bad["data"]["redeliverWebhookEvent"]) == [("INVALID", ["eventCursor"])]


async def test_the_list_loads_in_a_constant_number_of_statements(
    gql: GraphQLClient, world: World
) -> None:
    async def statements() -> int:
        with count_statements() as counter:
            body = await gql(WEBHOOKS, {"first": 50}, headers=world.headers("admin"))
        assert "errors" not in body
        return counter.count

    for _ in range(2):
        hook = (await create(gql, world, "admin", ["PLAN_PROPOSED"]))["webhook"]
        await gql(PING, {"input": {"webhookId": hook["id"]}}, headers=world.headers("admin"))
    few = await statements()
    for _ in range(6):
        hook = (await create(gql, world, "admin", ["PLAN_PROPOSED"]))["webhook"]
        for _ in range(3):
            await gql(PING, {"input": {"webhookId": hook["id"]}}, headers=world.headers("admin"))
    body = await gql(WEBHOOKS, {"first": 50}, headers=world.headers("admin"))
    assert body["data"]["webhooks"]["totalCount"] == 8
    assert [e["node"]["deliveries"]["totalCount"] for e in body["data"]["webhooks"]["edges"]] == [
        1,
        1,
        3,
        3,
        3,
        3,
        3,
        3,
    ]
    assert await statements() == few
