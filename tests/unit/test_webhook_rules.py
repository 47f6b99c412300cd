"""The webhook worker's pure rules, with numbers worked by hand: backoff, Retry-After, which
statuses retry, what a payload may carry, and the pinned request URL."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from hub.integration.events import EventKind
from hub.integration.webhook_worker import (
    MAX_RETRY_AFTER,
    _pinned,
    event_data,
    retry_after,
    retry_delay,
    retryable,
    sign,
)
from hub.integration.webhooks import decode_events, encode_events, new_secret, signing_secrets
from models.enums import Role
from models.integration import Event
from models.webhooks import Webhook

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "jitter", "seconds"),
    [(1, 0.0, 15.0), (1, 0.999999, 29.99997), (2, 0.0, 30.0), (3, 0.5, 90.0), (5, 0.0, 240.0)],
)
def test_backoff_doubles_from_the_base_with_jitter(
    attempt: int, jitter: float, seconds: float
) -> None:
    assert retry_delay(attempt, base=30, jitter=jitter) == pytest.approx(seconds)


def test_backoff_stops_growing() -> None:
    assert retry_delay(100, base=30, jitter=0.0) == retry_delay(11, base=30, jitter=0.0) == 15360


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("999999", MAX_RETRY_AFTER),
        ("Sun, 29 Nov 2026 12:01:30 GMT", 90.0),
        ("Sun, 29 Nov 2026 11:00:00 GMT", 0.0),
        ("Mon, 30 Nov 2026 12:00:00 GMT", MAX_RETRY_AFTER),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_in_seconds_or_a_date_capped(header: str | None, seconds: float | None) -> None:
    assert retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("status", "again"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (302, False),
        (418, False),
    ],
)
def test_which_statuses_are_retried(status: int, again: bool) -> None:
    assert retryable(status) is again


def registration_event() -> Event:
    event = Event(
        position=41,
        kind="REGISTRATION_CHANGED",
        plan_id=3,
        training_id=7,
        actor_id=9,
        data={
            "confirmed": 12,
            "waitlisted": 2,
            "registrations": [
                {"id": 100, "status": "CONFIRMED", "registeredBy": 9},
                {"id": 101, "status": "WAITLISTED", "registeredBy": 5},
            ],
        },
        at=NOW,
    )
    event.plan_id = 3  # an unsaved model takes its foreign keys as attributes
    return event


def test_a_partner_hears_of_its_own_registrations_only() -> None:
    data = event_data(registration_event(), owner_id=9, owner_role=Role.PARTNER)
    assert data == {
        "cursor": "Y3Vyc29yOjQx",
        "planId": "UGxhbjoz",
        "trainingId": "VHJhaW5pbmc6Nw==",
        "confirmed": 12,
        "waitlisted": 2,
        "registrations": [{"id": "UmVnaXN0cmF0aW9uOjEwMA==", "status": "CONFIRMED"}],
    }
    assert "actor" not in str(data)
    other = event_data(registration_event(), owner_id=77, owner_role=Role.PARTNER)
    assert other["registrations"] == []
    admin = event_data(registration_event(), owner_id=1, owner_role=Role.ADMIN)
    assert len(admin["registrations"]) == 2


def test_kinds_are_stored_between_commas() -> None:
    stored = encode_events(
        [EventKind.TRAINING_CHANGED, EventKind.PLAN_PROPOSED, EventKind.TRAINING_CHANGED]
    )
    assert stored == ",PLAN_PROPOSED,TRAINING_CHANGED,"
    assert decode_events(stored) == [EventKind.PLAN_PROPOSED, EventKind.TRAINING_CHANGED]


def test_the_previous_secret_signs_for_a_day_after_rotation() -> None:
    webhook = Webhook(
        secret=new_secret(),
        previous_secret=new_secret(),
        previous_secret_until=NOW + timedelta(hours=24),
    )
    assert signing_secrets(webhook, NOW) == [webhook.secret, webhook.previous_secret]
    assert signing_secrets(webhook, NOW + timedelta(hours=24)) == [webhook.secret]
    header = sign(signing_secrets(webhook, NOW), msg_id="evt_1", at=NOW, body="{}")
    assert [part[:3] for part in header.split(" ")] == ["v1,", "v1,"]


@pytest.mark.parametrize(
    ("url", "address", "pinned", "host", "sni"),
    [
        (
            "https://hooks.example.org/in?x=1",
            "93.184.215.14",
            "https://93.184.215.14/in?x=1",
            "hooks.example.org",
            "hooks.example.org",
        ),
        (
            "https://hooks.example.org:8443",
            "2606:2800::1",
            "https://[2606:2800::1]:8443/",
            "hooks.example.org:8443",
            "hooks.example.org",
        ),
        (
            "http://localhost:18100/hook",
            "127.0.0.1",
            "http://127.0.0.1:18100/hook",
            "localhost:18100",
            None,
        ),
    ],
)
def test_requests_go_to_the_checked_address_under_the_real_name(
    url: str, address: str, pinned: str, host: str, sni: str | None
) -> None:
    headers: dict[str, str] = {}
    found, extensions = _pinned(url, ipaddress.ip_address(address), headers)
    assert found == pinned
    assert headers["host"] == host
    assert extensions.get("sni_hostname") == sni
