"""Calendar feeds (RFC 5545, DESIGN section 10): what a subscribed calendar program sees.

Public feeds list the public trainings (those of ACTIVE and COMPLETED plans, and those that were
public and were cancelled with their plan) of a kecamatan (the host centre's), a kota (its
kecamatan's centres) or a community (it organises them, or is an accepted party of their
plan): SCHEDULED and DONE ones, and CANCELLED ones for
`CANCELLED_DAYS` after the cancellation, as `STATUS:CANCELLED` so calendar programs strike
them. A private feed per account adds the trainings of the account's own plans (its centre's or
community's, or those it proposed), PLANNED ones and those of proposed plans included, as
`STATUS:TENTATIVE`.

Every event carries the UID and SEQUENCE of the email invites (hub/notify/calendar.py), so a
training that is both mailed and subscribed to is one entry that moves when it is rescheduled.
Feeds are bounded: trainings that ended more than `PAST_DAYS` ago are left out, and at most
`MAX_EVENTS` are listed (the earliest first). A feed holds public fields only: no mentor,
participant or account data, whoever asks.

The private URL is `/calendar/account/<token>.ics`, the token an HMAC-SHA256 of the account and
its feed generation under the hub's secret key (`HUB_SECRET_KEY`): nothing secret is stored, and
`rotate_feed` raises the generation so every older URL answers 404."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vDuration
from tortoise.expressions import F, Q, Subquery

from hub.access import PUBLIC_TRAINING_PLAN_STATUSES, Viewer
from hub.access.visibility import party_filter
from hub.core import Forbidden, Settings, dataversion, write_transaction
from hub.core.ids import parse_global_id
from hub.notify.calendar import PRODID, jakarta_timezone
from hub.notify.events import JAKARTA, base_url, mail_host, training_uid
from hub.notify.unsubscribe import secret_key
from models.accounts import Account
from models.directory import Community
from models.enums import PartyStatus, PlanStatus, RegionLevel, TrainingStatus
from models.feeds import CalendarFeed
from models.plans import Plan, PlanParty, Training, TrainingOrganiser
from models.regions import Region

CANCELLED_DAYS = 30
"""A cancelled training stays in feeds this long after its cancellation, as STATUS:CANCELLED."""

PAST_DAYS = 90
"""Trainings that ended longer ago than this are left out of every feed."""

MAX_EVENTS = 1000
"""At most this many trainings in one feed, the earliest first."""

REFRESH = timedelta(hours=1)
"""The refresh interval a feed suggests to calendar programs."""

_KECAMATAN_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}", re.ASCII)
_KOTA_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}", re.ASCII)
_TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})", re.ASCII)
_SIGNATURE_BYTES = 16
_COLUMNS = (
    "id",
    "title",
    "starts_at",
    "ends_at",
    "venue",
    "status",
    "revision",
    "updated_at",
    "plan__title",
    "sector__name",
    "centre__name",
)
_STATUS = {
    TrainingStatus.PLANNED: "TENTATIVE",
    TrainingStatus.SCHEDULED: "CONFIRMED",
    TrainingStatus.DONE: "CONFIRMED",
    TrainingStatus.CANCELLED: "CANCELLED",
}


@dataclass(frozen=True)
class Feed:
    """One rendered feed: its iCalendar body and the entity tag of exactly that body."""

    name: str
    body: bytes
    private: bool = False

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def _listed(now: datetime) -> Q:
    """Trainings a feed shows whatever their plan: not ended before the window, and cancelled
    ones only during their grace period."""
    return Q(ends_at__gte=now - timedelta(days=PAST_DAYS)) & (
        Q(status__in=[TrainingStatus.SCHEDULED, TrainingStatus.DONE, TrainingStatus.PLANNED])
        | Q(status=TrainingStatus.CANCELLED, updated_at__gte=now - timedelta(days=CANCELLED_DAYS))
    )


def _public(now: datetime) -> Q:
    """Trainings of ACTIVE and COMPLETED plans, and the trainings that were public and were
    called off with their plan: cancelling a plan cancels its trainings, and a calendar that
    showed one must see it struck out, not silently gone. A cancelled training with a revision
    above 0 of a cancelled plan was scheduled, and so public, while its plan was active (the
    rule `trainingUpdates` follows, hub/integration/fanout.py); a training that never was is
    PLANNED with revision 0 and stays out."""
    called_off = Q(
        plan__status=PlanStatus.CANCELLED, status=TrainingStatus.CANCELLED, revision__gt=0
    )
    return (
        _listed(now)
        & (Q(plan__status__in=PUBLIC_TRAINING_PLAN_STATUSES) | called_off)
        & ~Q(status=TrainingStatus.PLANNED)
    )


async def kecamatan_feed(
    *, code: str, settings: Settings, now: datetime | None = None
) -> Feed | None:
    """The public trainings hosted by the centre of kecamatan `code`; None: no such kecamatan."""
    if not _KECAMATAN_CODE.fullmatch(code):
        return None
    region = await Region.get_or_none(code=code, level=RegionLevel.KECAMATAN).only("id", "name")
    if region is None:
        return None
    now = now or datetime.now(UTC)
    rows = await _rows(Q(centre__kecamatan_id=region.id) & _public(now))
    return _render(f"Pelatihan OK OCE · Kecamatan {region.name}", rows, settings=settings)


async def kota_feed(*, code: str, settings: Settings, now: datetime | None = None) -> Feed | None:
    """The public trainings hosted by the centres of kota `code`; None: no such kota."""
    if not _KOTA_CODE.fullmatch(code):
        return None
    region = await Region.get_or_none(code=code, level=RegionLevel.KOTA).only("id", "name")
    if region is None:
        return None
    now = now or datetime.now(UTC)
    rows = await _rows(Q(centre__kecamatan__parent_id=region.id) & _public(now))
    return _render(f"Pelatihan OK OCE · {region.name}", rows, settings=settings)


async def community_feed(
    *, global_id: str, settings: Settings, now: datetime | None = None
) -> Feed | None:
    """The public trainings a community organises or whose plan it accepted; None: no such
    community (or not a Community id)."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != "Community":
        return None
    community = await Community.get_or_none(id=parsed[1]).only("id", "name")
    if community is None:
        return None
    now = now or datetime.now(UTC)
    organised = Subquery(TrainingOrganiser.filter(community_id=community.id).values("training_id"))
    accepted = Subquery(
        PlanParty.filter(community_id=community.id, status=PartyStatus.ACCEPTED).values("plan_id")
    )
    rows = await _rows((Q(id__in=organised) | Q(plan_id__in=accepted)) & _public(now))
    return _render(f"Pelatihan OK OCE · {community.name}", rows, settings=settings)


async def private_feed(
    *, token: str, settings: Settings, now: datetime | None = None
) -> Feed | None:
    """The feed of the account whose current URL carries `token`; None for any other token."""
    account = await _account_of(token, settings)
    if account is None:
        return None
    now = now or datetime.now(UTC)
    own = _own_plans(Viewer.of(account))
    condition = _public(now) | (Q(plan_id__in=Subquery(own.values("id"))) & _listed(now))
    rows = await _rows(condition)
    return _render(
        f"Pelatihan OK OCE · {account.name or 'akun saya'}", rows, settings=settings, private=True
    )


async def feed_url(*, account_id: int, settings: Settings) -> str:
    """The private feed URL of an account, as it stands (one query)."""
    return _url(account_id, await _generation(account_id), settings)


async def rotate_feed(*, viewer: Viewer, settings: Settings) -> str:
    """A new private feed URL for the signed-in account; every earlier one answers 404 from
    now on."""
    account_id = viewer.account_id
    if account_id is None:
        raise Forbidden("sign in to rotate your calendar feed")
    async with write_transaction():
        # The data version's row lock first: two first rotations of one account then run one
        # after the other, and the second raises the generation the first created.
        await dataversion.bump()
        updated = await CalendarFeed.filter(account_id=account_id).update(
            generation=F("generation") + 1, rotated_at=datetime.now(UTC)
        )
        if not updated:
            await CalendarFeed.create(account_id=account_id, generation=1)
        # read in the transaction: the URL of this rotation, not of a later one
        return _url(account_id, await _generation(account_id), settings)


def _own_plans(viewer: Viewer) -> Any:
    """Plans that are the account's own: its centre's or community's, or those it proposed."""
    condition = Q(proposed_by_id=viewer.account_id)
    parties = party_filter(viewer)
    if parties is not None:
        condition |= parties
    return Plan.filter(condition)


async def _generation(account_id: int) -> int:
    feed = await CalendarFeed.get_or_none(account_id=account_id).only("id", "generation")
    return feed.generation if feed is not None else 0


def _signature(account_id: int, generation: int, settings: Settings) -> str:
    message = f"calendar-feed:{account_id}:{generation}".encode()
    digest = hmac.new(secret_key(settings), message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _url(account_id: int, generation: int, settings: Settings) -> str:
    token = f"{account_id}.{_signature(account_id, generation, settings)}"
    return f"{base_url(settings)}/calendar/account/{token}.ics"


async def _account_of(token: str, settings: Settings) -> Account | None:
    match = _TOKEN.fullmatch(token)
    if match is None or int(match[1]) > 2**31 - 1:
        return None
    account_id = int(match[1])
    account = await Account.get_or_none(id=account_id)
    if account is None:
        return None
    expected = _signature(account_id, await _generation(account_id), settings)
    return account if hmac.compare_digest(expected, match[2]) else None


async def _rows(condition: Q) -> Sequence[dict[str, Any]]:
    """The trainings of a feed, in one query whatever their number (bounded)."""
    rows = (
        await Training.filter(condition)
        .order_by("starts_at", "id")
        .limit(MAX_EVENTS)
        .values(*_COLUMNS)
    )
    return rows


def _render(
    name: str, rows: Sequence[dict[str, Any]], *, settings: Settings, private: bool = False
) -> Feed:
    """The VCALENDAR of `rows`. Deterministic for the same data (DTSTAMP is the training's last
    change), so the ETag of the body changes only when the feed does."""
    host = mail_host(settings)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Jakarta")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add_component(jakarta_timezone())
    for row in rows:
        calendar.add_component(_event(row, host))
    return Feed(name=name, body=calendar.to_ical(), private=private)


def _event(row: dict[str, Any], host: str) -> Event:
    changed = _utc(row["updated_at"])
    event = Event()
    event.add("uid", training_uid(int(row["id"]), host))
    event.add("sequence", int(row["revision"]))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("dtstart", _utc(row["starts_at"]).astimezone(JAKARTA))
    event.add("dtend", _utc(row["ends_at"]).astimezone(JAKARTA))
    event.add("summary", row["title"])
    if row["venue"]:
        event.add("location", row["venue"])
    event.add(
        "description",
        f"{row['plan__title']}\n{row['sector__name']} · {row['centre__name']}",
    )
    event.add("status", _STATUS[TrainingStatus(row["status"])])
    return event


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
