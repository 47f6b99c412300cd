"""Calendar invites for trainings (iCalendar, RFC 5545; iTIP, RFC 5546; iMIP, RFC 6047).

One VCALENDAR per training, so each invite carries one UID as iTIP expects: `REQUEST` to add
or update it, `CANCEL` to remove it. The UID never changes for a training; SEQUENCE is the
training's revision, so mail programs replace the older version. Times are written in
Asia/Jakarta with its VTIMEZONE."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from functools import cache
from typing import Any

from icalendar import Calendar, Event, Timezone

from hub.notify.events import JAKARTA

PRODID = "-//OK OCE//Collaboration Hub//ID"


@cache
def jakarta_timezone() -> Timezone:
    """The VTIMEZONE of Asia/Jakarta, computed once from the zoneinfo database."""
    return Timezone.from_tzid("Asia/Jakarta")


def training_invite(
    *,
    training: dict[str, Any],
    method: str,
    organiser: str,
    attendee_email: str,
    attendee_name: str,
    description: str,
    stamp: datetime,
) -> bytes:
    """The iCalendar object of one training snapshot (see `outbox.event_snapshot`)."""
    if method not in {"REQUEST", "CANCEL"}:
        raise ValueError(f"unsupported iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(jakarta_timezone())

    event = Event()
    event.add("uid", training["uid"])
    event.add("sequence", int(training["revision"]))
    event.add("dtstamp", stamp)
    event.add("dtstart", datetime.fromisoformat(training["starts_at"]).astimezone(JAKARTA))
    event.add("dtend", datetime.fromisoformat(training["ends_at"]).astimezone(JAKARTA))
    event.add("summary", training["title"])
    if training.get("venue"):
        event.add("location", training["venue"])
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    name, address = parseaddr(organiser)
    event.add("organizer", f"mailto:{address}", parameters={"CN": name or address})
    event.add(
        "attendee",
        f"mailto:{attendee_email}",
        parameters={
            "CN": attendee_name or attendee_email,
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "FALSE",
        },
    )
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
