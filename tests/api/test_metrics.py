"""`/metrics`: the series of DESIGN section 13 after real traffic, who may scrape, the outbox
gauges read from the database, and the bound on operation names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from hub.app import create_app
from hub.core import metrics
from hub.core.metrics import OperationNames
from hub.core.settings import Settings
from hub.notify import NotificationKind, notify_plan_event
from hub.web.metrics import may_scrape
from hub.web.ratelimit import TrustedProxies
from models.enums import DeliveryMode, NotificationStatus, WebhookDeliveryStatus
from models.notifications import Notification
from models.webhooks import Webhook, WebhookDelivery
from tests.notification_world import NotificationWorld, build_notification_world

pytestmark = pytest.mark.usefixtures("reference_data")

KECAMATANS = "query MetricsKecamatans { kecamatans(first: 5) { edges { node { code } } } }"
PREFERENCES = """
mutation MetricsPreferences($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { errors { code } }
}
"""
TOKEN = "metrics-token-0123456789abcdef"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


@pytest.fixture(autouse=True)
def fresh_operation_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other tests of the session have used up names: this module starts a bounded set anew."""
    monkeypatch.setattr(metrics, "operation_names", OperationNames())


@pytest.fixture
async def limited_client(app: Starlette, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose anonymous callers have a budget of 1 point an hour, with a metrics token."""
    limited = create_app(
        replace(settings, rate_limit={"ANONYMOUS": 1}, metrics_token=TOKEN),
    )
    transport = httpx.ASGITransport(app=limited, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def test_a_scrape_counts_the_requests_before_it(client: httpx.AsyncClient) -> None:
    # given a scrape before
    before = await scrape(client)

    # when an anonymous partner app reads twice (a miss, then a hit) and writes once
    for _ in range(2):
        response = await client.post("/graphql", json={"query": KECAMATANS})
        assert response.status_code == 200
    await client.post(
        "/graphql",
        json={"query": PREFERENCES, "variables": {"input": {"preferences": []}}},
    )
    after = await scrape(client)

    # then the counters moved by exactly that
    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("hub_requests_total", operation="MetricsKecamatans", status="200") == 2
    assert delta("hub_request_duration_seconds_count", operation="MetricsKecamatans") == 2
    assert (
        delta("hub_request_duration_seconds_bucket", operation="MetricsKecamatans", le="+Inf") == 2
    )
    assert delta("hub_request_duration_seconds_sum", operation="MetricsKecamatans") > 0
    assert delta("hub_response_cache_total", result="miss") == 1
    assert delta("hub_response_cache_total", result="hit") == 1
    assert delta("hub_response_cache_total", result="bypass") == 1
    # two reads of cost 5, one mutation of cost 10
    assert delta("hub_cost_points_total", role="ANONYMOUS") == 5 + 5 + 10
    # the first scrape is counted under its route
    assert delta("hub_requests_total", operation="/metrics", status="200") == 1


async def test_a_refused_budget_is_counted_by_role(limited_client: httpx.AsyncClient) -> None:
    # given an anonymous budget of 1 point, spent by a first request
    first = await limited_client.post("/graphql", json={"query": KECAMATANS})
    assert first.status_code == 200

    # when the next one is refused
    second = await limited_client.post("/graphql", json={"query": KECAMATANS})
    assert second.status_code == 429
    samples = await scrape_with_token(limited_client)

    # then one 429 is counted for ANONYMOUS, under the operation's name
    assert value(samples, "hub_rate_limited_total", role="ANONYMOUS") >= 1
    assert value(samples, "hub_requests_total", operation="MetricsKecamatans", status="429") >= 1


async def scrape_with_token(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return parse(response.text)


async def test_callers_off_loopback_need_the_token(limited_client: httpx.AsyncClient) -> None:
    # given a caller at an internet address
    # when it scrapes without a token, with a user's token, or with a wrong one: 403
    assert (await limited_client.get("/metrics")).status_code == 403
    for wrong in ("Bearer okh_not-the-metrics-token", f"Bearer {TOKEN}x", TOKEN):
        refused = await limited_client.get("/metrics", headers={"Authorization": wrong})
        assert refused.status_code == 403
    # and with the token: the metrics
    assert (
        "hub_requests_total"
        in (await limited_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    )


async def test_a_request_relayed_by_a_local_proxy_is_not_local(
    app: Starlette, settings: Settings
) -> None:
    # given a proxy on this machine that the hub trusts
    proxied = create_app(replace(settings, trusted_proxies=("127.0.0.1",)))
    transport = httpx.ASGITransport(app=proxied, client=("127.0.0.1", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        # when it relays a scrape from the internet (a forged loopback hop in front)
        relayed = await http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.4"})
        # and one from this machine
        local = await http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})

    # then the internet's is refused, the local one served
    assert relayed.status_code == 403
    assert local.status_code == 200


async def test_a_loopback_peer_forwarding_for_others_is_an_unknown_proxy(
    client: httpx.AsyncClient,
) -> None:
    # given the session app, which trusts no proxy, and a loopback peer (the test transport)
    # when the peer forwards a client: refused; without forwarding: served
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        response = await client.get("/metrics", headers={header: "198.51.100.4"})
        assert response.status_code == 403, header
    assert (await client.get("/metrics")).status_code == 200


def test_who_may_scrape() -> None:
    none = TrustedProxies([])
    proxies = TrustedProxies(["10.0.0.0/8"])

    def may(peer: str | None, token: str | None = None, **headers: str) -> bool:
        return may_scrape(
            peer=peer, headers=headers, proxies=proxies if peer == "10.1.1.1" else none, token=token
        )

    assert may("127.0.0.1")
    assert may("::1")
    assert may("::ffff:127.0.0.1")
    assert not may("192.0.2.1")
    assert not may(None)
    assert not may("not an address")
    assert may("192.0.2.1", TOKEN, authorization=f"Bearer {TOKEN}")
    assert not may("192.0.2.1", None, authorization="Bearer ")
    assert not may("192.0.2.1", TOKEN, authorization=f"Basic {TOKEN}")
    # behind a trusted proxy, the forwarded client decides
    assert not may("10.1.1.1", **{"x-forwarded-for": "192.0.2.1"})
    assert may("10.1.1.1", **{"x-forwarded-for": "127.0.0.1"})
    assert not may("10.1.1.1")  # the proxy itself is not loopback


@pytest.fixture(scope="module")
async def world(reference_data: None) -> NotificationWorld:
    return await build_notification_world("metrics")


async def test_the_mail_outbox_is_read_at_each_scrape(
    client: httpx.AsyncClient, world: NotificationWorld, settings: Settings
) -> None:
    # given an empty outbox, then a plan event's emails, one written ten minutes ago,
    # one already sent and one digest that is not due yet
    await Notification.all().delete()
    empty = await scrape(client)
    assert value(empty, "hub_outbox_depth", channel="mail") == 0
    assert value(empty, "hub_outbox_oldest_age_seconds", channel="mail") == 0
    async with in_transaction():
        written = await notify_plan_event(
            kind=NotificationKind.PLAN_PROPOSED,
            plan_id=world.plan.id,
            actor_id=None,
            settings=settings,
        )
    assert written >= 3
    rows = await Notification.all().order_by("id")
    now = datetime.now(UTC)
    await Notification.filter(id=rows[0].id).update(created_at=now - timedelta(minutes=10))
    await Notification.filter(id=rows[1].id).update(status=NotificationStatus.SENT)
    await Notification.filter(id=rows[2].id).update(
        mode=DeliveryMode.DIGEST,
        created_at=now - timedelta(hours=5),
        due_at=now + timedelta(hours=1),
    )

    # when Prometheus scrapes
    samples = await scrape(client)

    # then the depth counts every waiting row, the age the oldest one that is due
    assert value(samples, "hub_outbox_depth", channel="mail") == written - 1
    age = value(samples, "hub_outbox_oldest_age_seconds", channel="mail")
    assert 600 <= age < 700
    await Notification.all().delete()


async def test_a_channel_that_cannot_be_read_is_left_out(client: httpx.AsyncClient) -> None:
    # given a channel whose table does not exist
    async def missing() -> metrics.OutboxState:
        raise LookupError("no table webhook_delivery")

    metrics.register_outbox("broken", missing)
    try:
        # when Prometheus scrapes
        samples = await scrape(client)
    finally:
        metrics._outboxes.pop("broken")

    # then the scrape succeeds, with mail and without the broken channel
    assert ("hub_outbox_depth", (("channel", "mail"),)) in samples
    assert ("hub_outbox_depth", (("channel", "broken"),)) not in samples


def test_operation_names_are_bounded() -> None:
    names = OperationNames(limit=2)
    assert names.label("First", learn=True) == "First"
    assert names.label("Refused", learn=False) == "other"  # a failed request teaches nothing
    assert names.label("Second", learn=True) == "Second"
    assert names.label("Third", learn=True) == "other"
    assert names.label("First", learn=False) == "First"
    assert names.label(None, learn=True) == "anonymous"
    assert names.label("bad name", learn=True) == "other"


def test_operation_names_are_bounded_across_processes(tmp_path: Path) -> None:
    # given two processes sharing the metrics folder, a bound of 3
    one, two = OperationNames(limit=3, folder=str(tmp_path)), OperationNames(3, str(tmp_path))

    # when each learns two names of its own
    assert [one.label(n, learn=True) for n in ("A", "B")] == ["A", "B"]
    assert [two.label(n, learn=True) for n in ("C", "D")] == ["C", "other"]

    # then the whole server keeps three, and each process knows the others' names
    assert two.label("A", learn=True) == "A"
    assert one.label("C", learn=True) == "C"
    assert one.label("E", learn=True) == "other"
    assert (tmp_path / "operation-names.txt").read_text().split() == ["A", "B", "C"]


async def test_the_webhook_outbox_is_read_at_each_scrape(
    client: httpx.AsyncClient, world: NotificationWorld
) -> None:
    # given an endpoint with a delivery made an hour ago, one retrying and one delivered
    owner = next(iter(world.accounts.values()))
    hook = await Webhook.create(
        account=owner, url="https://hooks.example.org/x", events=",PING,", secret="whsec_x"
    )
    now = datetime.now(UTC)
    for status, age in (
        (WebhookDeliveryStatus.PENDING, timedelta(hours=1)),
        (WebhookDeliveryStatus.RETRYING, timedelta(minutes=5)),
        (WebhookDeliveryStatus.DELIVERED, timedelta(hours=3)),
    ):
        await WebhookDelivery.create(
            webhook=hook,
            kind="PING",
            status=status,
            next_attempt_at=now,
            created_at=now - age,
        )
    try:
        # when Prometheus scrapes
        samples = await scrape(client)
    finally:
        await hook.delete()

    # then the channel counts what is still to be delivered, the age its oldest row
    assert value(samples, "hub_outbox_depth", channel="webhook") == 2
    assert 3600 <= value(samples, "hub_outbox_oldest_age_seconds", channel="webhook") < 3700
