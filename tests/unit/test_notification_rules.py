"""Pure rules of notifications: backoff, digest time, relay URLs, tokens, dates, invites."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from hub.core import Invalid, SettingsError
from hub.notify.calendar import training_invite
from hub.notify.delivery import SmtpTarget, parse_smtp_url, retry_delay
from hub.notify.outbox import NotificationKind, next_digest_at
from hub.notify.render import format_day, format_period
from hub.notify.unsubscribe import make_token, read_token


@pytest.mark.parametrize(
    ("attempt", "jitter", "seconds"),
    [
        (1, 0.0, 30.0),  # 60 x 1 x 0.5
        (1, 0.5, 45.0),  # 60 x 1 x 0.75
        (2, 0.0, 60.0),  # 60 x 2 x 0.5
        (3, 0.5, 180.0),  # 60 x 4 x 0.75
        (5, 1.0, 960.0),  # 60 x 16 x 1.0
    ],
)
def test_retry_delay_doubles_with_jitter_between_half_and_whole(
    attempt: int, jitter: float, seconds: float
) -> None:
    assert retry_delay(attempt, base=60, jitter=jitter) == pytest.approx(seconds)


def test_retry_delay_stops_doubling_after_twenty_attempts() -> None:
    assert retry_delay(100, base=1, jitter=1.0) == 2**20


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # 06:30 in Jakarta: today's 07:00
        (datetime(2031, 3, 2, 23, 30, tzinfo=UTC), datetime(2031, 3, 3, 0, 0, tzinfo=UTC)),
        # exactly 07:00 in Jakarta: tomorrow's
        (datetime(2031, 3, 3, 0, 0, tzinfo=UTC), datetime(2031, 3, 4, 0, 0, tzinfo=UTC)),
        # 15:00 in Jakarta on the last day of the year: 07:00 on 1 January
        (datetime(2031, 12, 31, 8, 0, tzinfo=UTC), datetime(2032, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_digests_are_due_at_the_next_seven_oclock_in_jakarta(now: datetime, due: datetime) -> None:
    assert next_digest_at(now) == due


def test_relay_urls() -> None:
    assert parse_smtp_url("smtp://mail.example.org") == SmtpTarget("mail.example.org", 25)
    assert parse_smtp_url("smtp://relay:2525?starttls=1") == SmtpTarget(
        "relay", 2525, start_tls=True
    )
    assert parse_smtp_url("smtps://hub%40okoce:s%3Acret@smtp.example.org") == SmtpTarget(
        "smtp.example.org", 465, use_tls=True, username="hub@okoce", password="s:cret"
    )
    assert parse_smtp_url("smtp://relay:587?starttls=1&cafile=/etc/ca.pem").cafile == "/etc/ca.pem"
    for bad in ["http://relay", "smtp://", "relay:25", "smtp://relay:99999"]:
        with pytest.raises(SettingsError):
            parse_smtp_url(bad)


def test_unsubscribe_tokens_name_address_and_kinds_and_resist_tampering() -> None:
    key = b"k" * 32
    token = make_token(
        key=key,
        email=" Siti@Example.org ",
        kinds=[NotificationKind.PLAN_REVISED, NotificationKind.PLAN_ANSWERED],
    )
    granted = read_token(key=key, token=token)
    assert granted.email == "siti@example.org"
    assert granted.kinds == (NotificationKind.PLAN_ANSWERED, NotificationKind.PLAN_REVISED)

    payload, signature = token.split(".")
    other = make_token(key=key, email="budi@example.org", kinds=[NotificationKind.PLAN_REVISED])
    for forged in [
        f"{other.split('.')[0]}.{signature}",  # another address under this signature
        f"{payload}.{signature[:-2]}AA",
        token + "x",
        "",
        "no-dot-at-all",
    ]:
        with pytest.raises(Invalid):
            read_token(key=key, token=forged)
    with pytest.raises(Invalid):
        read_token(key=b"another key", token=token)


def test_dates_read_naturally_in_both_languages() -> None:
    assert format_day(datetime(2031, 3, 3).date(), "id") == "Senin, 3 Maret 2031"
    assert format_day(datetime(2031, 3, 3).date(), "en") == "Monday, 3 March 2031"
    start, end = "2031-03-03T02:00:00+00:00", "2031-03-03T05:30:00+00:00"
    assert format_period(start, end, "id") == "Senin, 3 Maret 2031, 09.00\u201312.30 WIB"
    overnight = "2031-03-04T03:00:00+00:00"
    assert format_period(start, overnight, "en") == (
        "Monday, 3 March 2031, 09:00\u2013Tuesday, 4 March 2031, 10:00 WIB"
    )


def test_an_invite_parses_back_with_its_method_uid_sequence_and_zone() -> None:
    training = {
        "id": 7,
        "uid": "training-7@hub.example.org",
        "title": "Foto produk",
        "starts_at": "2031-03-03T02:00:00+00:00",
        "ends_at": "2031-03-03T05:00:00+00:00",
        "venue": "Aula Gambir",
        "revision": 4,
    }
    ics = training_invite(
        training=training,
        method="CANCEL",
        organiser="OK OCE Hub <noreply@hub.example.org>",
        attendee_email="siti@example.org",
        attendee_name="Siti",
        description="Dibatalkan",
        stamp=datetime(2031, 3, 1, tzinfo=UTC),
    )
    calendar = Calendar.from_ical(ics)
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "CANCEL"
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
        "training-7@hub.example.org",
        4,
        "CANCELLED",
    )
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert event["DTSTART"].dt.hour == 9
    assert str(event["ORGANIZER"]) == "mailto:noreply@hub.example.org"
    assert str(event["ATTENDEE"]) == "mailto:siti@example.org"
    with pytest.raises(ValueError, match="PUBLISH"):
        training_invite(
            training=training,
            method="PUBLISH",
            organiser="x@example.org",
            attendee_email="y@example.org",
            attendee_name="",
            description="",
            stamp=datetime(2031, 3, 1, tzinfo=UTC),
        )
