"""Calendar feeds over HTTP (DESIGN section 10): public feeds of a kecamatan, a kota and a
community, the private feed of an account and its rotation, the invites' UID and SEQUENCE,
ETag / If-None-Match, hostile keys and bounds. Every feed is parsed back with icalendar."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar, Event

from hub.access import Viewer
from hub.core import Settings, encode_global_id
from hub.integration import feeds
from hub.notify.calendar import training_invite
from hub.notify.events import mail_host, training_uid
from models.accounts import Account
from models.directory import Centre, Community, Sector
from models.enums import PartyStatus, PlanStatus, TrainingStatus
from models.feeds import CalendarFeed
from models.notifications import Notification
from models.plans import Plan, PlanParty, Training, TrainingOrganiser
from tests.api.participation_world import ParticipationWorld, build_participation_world
from tests.conftest import GraphQLClient, count_statements, errors_of

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()
NOW = dt.datetime.now(dt.UTC)
GAMBIR = "/calendar/kecamatan/31.71.01.ics"

FEED_URL = "query { viewer { calendarFeedUrl } }"
ROTATE = "mutation { rotateCalendarFeed { calendarFeedUrl errors { code message } } }"
ACCOUNT_FEED_URL = """
query ($id: ID!) { node(id: $id) { ... on Account { calendarFeedUrl } } }
"""
RESCHEDULE = """
mutation ($input: RescheduleTrainingInput!) {
  rescheduleTraining(input: $input) { plan { version } errors { code field message } }
}
"""
CANCEL_PLAN = """
mutation ($input: CancelPlanInput!) {
  cancelPlan(input: $input) { plan { status } errors { code field message } }
}
"""
CANCEL = """
mutation ($input: CancelTrainingInput!) {
  cancelTraining(input: $input) { plan { version } errors { code field message } }
}
"""


HOST = ""


@pytest.fixture(autouse=True)
def mail_host_of_the_session(settings: Settings) -> None:
    global HOST
    HOST = mail_host(settings)


@pytest.fixture
async def world() -> ParticipationWorld:
    """The participation world (an ACTIVE plan of Gambir with `open`, `started`, `wide`; one of
    Menteng with `other`), plus trainings no public feed lists: `planned` (a PROPOSED plan of
    Gambir), `stale` (cancelled 40 days ago), `recent` (cancelled 2 days ago: listed) and
    `ancient` (ended 100 days ago)."""
    tag = f"f{next(_worlds)}"
    world = await build_participation_world(tag)
    gambir = await Centre.get(kecamatan__code="31.71.01")
    kuliner = await Sector.get(code="KULINER")
    proposed = await Plan.create(
        title=f"Proposed {tag}",
        status=PlanStatus.PROPOSED,
        starts_on=NOW.date(),
        ends_on=(NOW + dt.timedelta(days=60)).date(),
        centre=gambir,
    )
    await PlanParty.create(plan=proposed, centre=gambir, status=PartyStatus.ACCEPTED)
    specs: dict[str, tuple[int, int, TrainingStatus, int]] = {
        "planned": (proposed.id, 20, TrainingStatus.PLANNED, 0),
        "stale": (world.plan_id, 25, TrainingStatus.CANCELLED, 2),
        "recent": (world.plan_id, 26, TrainingStatus.CANCELLED, 2),
        "ancient": (world.plan_id, -100, TrainingStatus.DONE, 1),
    }
    for name, (plan_id, days, status, revision) in specs.items():
        starts = NOW + dt.timedelta(days=days)
        training = await Training.create(
            plan_id=plan_id,
            centre=gambir,
            sector=kuliner,
            title=f"{name} {tag}",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            status=status,
            revision=revision,
        )
        await TrainingOrganiser.create(training=training, community_id=world.community_id)
        world.trainings[name] = training.id
    await Training.filter(id=world.trainings["stale"]).update(
        updated_at=NOW - dt.timedelta(days=40)
    )
    await Training.filter(id=world.trainings["recent"]).update(
        updated_at=NOW - dt.timedelta(days=2)
    )
    return world


def events_of(body: bytes) -> dict[str, Event]:
    """The feed parsed back, its events by UID."""
    calendar = Calendar.from_ical(body)
    assert calendar.get("version") == "2.0"
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(world: ParticipationWorld, name: str) -> str:
    """The UID the invites give the world's training `name`."""
    return training_uid(world.trainings[name], HOST)


def names_in(world: ParticipationWorld, events: dict[str, Event]) -> set[str]:
    return {name for name in world.trainings if uid(world, name) in events}


async def feed(client: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    return await client.get(path, headers=headers)


async def test_kecamatan_feed_lists_the_public_trainings_hosted_there(
    client: httpx.AsyncClient, world: ParticipationWorld
) -> None:
    # when a calendar program fetches Gambir's feed
    response = await feed(client, GAMBIR)
    # then it is an iCalendar of Gambir's public trainings: scheduled ones, and the cancelled
    # one only within its 30 days, struck out
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    events = events_of(response.content)
    assert names_in(world, events) == {"open", "started", "wide", "recent"}
    open_ = events[uid(world, "open")]
    training = await Training.get(id=world.trainings["open"])
    assert open_["SEQUENCE"] == 1
    # (iCalendar counts in seconds)
    assert open_.decoded("DTSTART") == training.starts_at.replace(microsecond=0)
    assert open_.decoded("DTEND") == training.ends_at.replace(microsecond=0)
    assert str(open_["STATUS"]) == "CONFIRMED"
    assert str(open_["SUMMARY"]) == training.title
    assert str(events[uid(world, "recent")]["STATUS"]) == "CANCELLED"
    # times are written in Jakarta time with its VTIMEZONE
    assert open_["DTSTART"].params["TZID"] == "Asia/Jakarta"
    calendar = Calendar.from_ical(response.content)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Jakarta"]
    assert str(calendar["X-WR-CALNAME"]) == "Pelatihan OK OCE · Kecamatan Gambir"
    # and no personal data: no account or participant address appears
    assert b"@test.example.org" not in response.content
    assert b"@example.org" not in response.content


async def test_kota_and_community_feeds(
    client: httpx.AsyncClient, world: ParticipationWorld
) -> None:
    # the kota of Gambir and Menteng lists the trainings of both centres
    kota = events_of((await feed(client, "/calendar/kota/31.71.ics")).content)
    assert names_in(world, kota) == {"open", "started", "wide", "recent", "other"}
    # another kota lists none of them
    other_kota = events_of((await feed(client, "/calendar/kota/31.74.ics")).content)
    assert names_in(world, other_kota) == set()
    # the organising community, an accepted party of both plans, lists all its public ones
    community = encode_global_id("Community", world.community_id)
    organised = events_of((await feed(client, f"/calendar/community/{community}.ics")).content)
    assert names_in(world, organised) == {"open", "started", "wide", "recent", "other"}
    # a community that takes no part lists none
    outsider = await Community.get(name=f"Outsiders {world.tag}")
    path = f"/calendar/community/{encode_global_id('Community', outsider.id)}.ics"
    response = await feed(client, path)
    assert response.status_code == 200
    assert names_in(world, events_of(response.content)) == set()


async def test_rescheduled_and_cancelled_trainings_keep_the_invites_uid_and_sequence(
    client: httpx.AsyncClient, gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given the staff of Gambir moves the `open` training by two days and a new venue
    training = await Training.get(id=world.trainings["open"])
    starts = training.starts_at + dt.timedelta(days=2)
    moved = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": world.training("open"),
                "version": 1,
                "startsAt": starts.isoformat(),
                "endsAt": (starts + dt.timedelta(hours=3)).isoformat(),
                "venue": "Aula Kecamatan Gambir",
            }
        },
        headers=world.headers("staff"),
    )
    assert moved["data"]["rescheduleTraining"]["errors"] == [], moved
    # then the feed carries the new time with SEQUENCE 2, the invite's
    events = events_of((await feed(client, GAMBIR)).content)
    event = events[uid(world, "open")]
    assert event["SEQUENCE"] == 2
    assert event.decoded("DTSTART") == starts.replace(microsecond=0)
    assert str(event["LOCATION"]) == "Aula Kecamatan Gambir"
    invite = await invite_of(world, "TRAINING_CHANGED")
    assert (str(invite["UID"]), invite["SEQUENCE"]) == (str(event["UID"]), event["SEQUENCE"])
    assert invite.decoded("DTSTART") == event.decoded("DTSTART")

    # when it is cancelled
    cancelled = await gql(
        CANCEL,
        {"input": {"trainingId": world.training("open"), "version": 2, "reason": "Hujan"}},
        headers=world.headers("staff"),
    )
    assert cancelled["data"]["cancelTraining"]["errors"] == [], cancelled
    # then the feed keeps it, struck out, with the cancellation's SEQUENCE
    events = events_of((await feed(client, GAMBIR)).content)
    event = events[uid(world, "open")]
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 3)
    invite = await invite_of(world, "TRAINING_CANCELLED")
    assert (str(invite["UID"]), invite["SEQUENCE"]) == (str(event["UID"]), event["SEQUENCE"])
    assert str(invite["STATUS"]) == "CANCELLED"


async def test_the_trainings_of_a_cancelled_plan_stay_struck_out_for_30_days(
    client: httpx.AsyncClient, gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given Gambir's active plan with its scheduled trainings, and a proposal with a PLANNED one
    plan = await Plan.get(id=world.plan_id)
    proposed = await Training.get(id=world.trainings["planned"]).prefetch_related("plan")
    # when the staff of Gambir cancels both plans
    for cancelled_plan in (plan, proposed.plan):
        body = await gql(
            CANCEL_PLAN,
            {
                "input": {
                    "planId": encode_global_id("Plan", cancelled_plan.id),
                    "version": cancelled_plan.version,
                    "reason": "Dana dialihkan",
                }
            },
            headers=world.headers("staff"),
        )
        assert body["data"]["cancelPlan"] == {"plan": {"status": "CANCELLED"}, "errors": []}
    # then every feed that showed the active plan's trainings keeps them, struck out, with the
    # SEQUENCE of the cancellation's invite; the proposal's training, never public, stays out
    community = encode_global_id("Community", world.community_id)
    for path in (GAMBIR, "/calendar/kota/31.71.ics", f"/calendar/community/{community}.ics"):
        events = events_of((await feed(client, path)).content)
        assert names_in(world, events) >= {"open", "started", "wide", "recent"}, path
        assert "planned" not in names_in(world, events), path
        for name in ("open", "started", "wide"):
            event = events[uid(world, name)]
            assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 2), (path, name)
    invite = await invite_of(world, "TRAINING_CANCELLED")
    assert invite["SEQUENCE"] == 2
    assert str(invite["STATUS"]) == "CANCELLED"

    # and 31 days after the cancellation they are gone from the public feeds
    await Training.filter(plan_id=world.plan_id).update(updated_at=NOW - dt.timedelta(days=31))
    events = events_of((await feed(client, GAMBIR)).content)
    assert names_in(world, events) & {"open", "started", "wide", "recent"} == set()


async def invite_of(world: ParticipationWorld, kind: str) -> Event:
    """The calendar invite the outbox would mail for the world's plan's latest `kind`."""
    row = await Notification.filter(plan_id=world.plan_id, kind=kind).order_by("-id").first()
    assert row is not None, f"no {kind} notification"
    (snapshot,) = [t for t in row.context["trainings"] if t["id"] == world.trainings["open"]]
    body = training_invite(
        training=snapshot,
        method=row.context["method"],
        organiser="Hub <hub@localhost>",
        attendee_email=row.recipient_email,
        attendee_name=row.recipient_name,
        description="",
        stamp=NOW,
    )
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    return event


async def test_etag_and_if_none_match(
    client: httpx.AsyncClient, gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given a feed fetched once
    first = await feed(client, GAMBIR)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    # when fetched again with its ETag (strong, weak, or among others): 304 without a body
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await feed(client, GAMBIR, **{"If-None-Match": header})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == etag
    # a stale tag gets the feed
    assert (await feed(client, GAMBIR, **{"If-None-Match": '"stale"'})).status_code == 200
    # when a training moves, the same tag no longer matches
    training = await Training.get(id=world.trainings["wide"])
    starts = training.starts_at + dt.timedelta(hours=1)
    moved = await gql(
        RESCHEDULE,
        {
            "input": {
                "trainingId": world.training("wide"),
                "version": 1,
                "startsAt": starts.isoformat(),
                "endsAt": (starts + dt.timedelta(hours=3)).isoformat(),
            }
        },
        headers=world.headers("staff"),
    )
    assert moved["data"]["rescheduleTraining"]["errors"] == [], moved
    changed = await feed(client, GAMBIR, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert events_of(changed.content)[uid(world, "wide")]["SEQUENCE"] == 2


async def test_private_feed_adds_the_accounts_own_plans_and_rotates(
    client: httpx.AsyncClient, gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given the staff of Gambir reads its feed URL
    url = (await gql(FEED_URL, headers=world.headers("staff")))["data"]["viewer"]["calendarFeedUrl"]
    path = urlsplit(url).path
    assert path.startswith("/calendar/account/")
    assert path.endswith(".ics")
    # the URL is stable until rotated
    again = await gql(FEED_URL, headers=world.headers("staff"))
    assert again["data"]["viewer"]["calendarFeedUrl"] == url
    # when its calendar program fetches it
    response = await feed(client, path)
    # then it has the public trainings and the planned one of its own proposed plan, tentative
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["referrer-policy"] == "no-referrer"
    events = events_of(response.content)
    assert names_in(world, events) == {"open", "started", "wide", "recent", "other", "planned"}
    assert str(events[uid(world, "planned")]["STATUS"]) == "TENTATIVE"
    # another centre's staff does not get Gambir's planned training
    other = (await gql(FEED_URL, headers=world.headers("staff2")))["data"]["viewer"]
    other_events = events_of((await feed(client, urlsplit(other["calendarFeedUrl"]).path)).content)
    assert "planned" not in names_in(world, other_events)
    assert other["calendarFeedUrl"] != url

    # when the staff rotates its feed
    rotated = await gql(ROTATE, headers=world.headers("staff"))
    new_url = rotated["data"]["rotateCalendarFeed"]["calendarFeedUrl"]
    assert rotated["data"]["rotateCalendarFeed"]["errors"] == []
    # then the old URL is gone and the new one works, and the viewer reads the new one
    assert new_url != url
    gone = await feed(client, path)
    assert (gone.status_code, gone.text) == (404, "No such calendar feed.\n")
    assert (await feed(client, urlsplit(new_url).path)).status_code == 200
    now = await gql(FEED_URL, headers=world.headers("staff"))
    assert now["data"]["viewer"]["calendarFeedUrl"] == new_url
    # a second rotation retires the first new one too
    newest = (await gql(ROTATE, headers=world.headers("staff")))["data"]["rotateCalendarFeed"]
    assert (await feed(client, urlsplit(new_url).path)).status_code == 404
    assert (await feed(client, urlsplit(newest["calendarFeedUrl"]).path)).status_code == 200


async def test_only_the_account_itself_sees_its_feed_url(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # anonymous clients have no viewer and cannot rotate
    assert (await gql(FEED_URL))["data"]["viewer"] is None
    refused = await gql(ROTATE)
    assert refused["data"]["rotateCalendarFeed"]["calendarFeedUrl"] is None
    assert [e["code"] for e in refused["data"]["rotateCalendarFeed"]["errors"]] == ["FORBIDDEN"]
    # an admin reading another account sees no feed URL of it
    viewer = await gql("query { viewer { id } }", headers=world.headers("staff"))
    account_id = viewer["data"]["viewer"]["id"]
    body = await gql(ACCOUNT_FEED_URL, {"id": account_id}, headers=world.headers("admin"))
    assert errors_of(body) == []
    assert body["data"]["node"] == {"calendarFeedUrl": None}


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/kecamatan/99.99.99.ics",
        "/calendar/kecamatan/31.71.ics",
        "/calendar/kecamatan/31.71.01.01.ics",
        "/calendar/kecamatan/31.71.01%00.ics",
        "/calendar/kecamatan/%27%20OR%201%3D1--.ics",
        "/calendar/kecamatan/" + "3" * 5000 + ".ics",
        "/calendar/kota/31.71.01.ics",
        "/calendar/kota/99.99.ics",
        "/calendar/kota/%E2%80%AE.ics",
        "/calendar/community/" + encode_global_id("Community", 2**31 - 1) + ".ics",
        "/calendar/community/" + encode_global_id("Community", 2**40) + ".ics",
        "/calendar/community/" + encode_global_id("Mentor", 1) + ".ics",
        "/calendar/community/not-base64!.ics",
        "/calendar/community/Q29tbXVuaXR5OjAx.ics",
        "/calendar/account/1.AAAAAAAAAAAAAAAAAAAAAA.ics",
        "/calendar/account/99999999999.AAAAAAAAAAAAAAAAAAAAAA.ics",
        "/calendar/account/1.ics",
        "/calendar/account/%2e%2e%2fsecret.key.ics",
    ],
)
async def test_unknown_or_malformed_keys_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert len(response.content) < 100


async def test_feeds_are_bounded_and_take_a_constant_number_of_statements(
    client: httpx.AsyncClient, world: ParticipationWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the number of statements does not grow with the number of trainings
    with count_statements() as before:
        assert (await feed(client, GAMBIR)).status_code == 200
    plan = await Plan.get(id=world.plan_id)
    for n in range(5):
        starts = NOW + dt.timedelta(days=30 + n)
        await Training.create(
            plan=plan,
            centre_id=plan.centre_id,
            sector=await Sector.get(code="KULINER"),
            title=f"more {n} {world.tag}",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            status=TrainingStatus.SCHEDULED,
        )
    with count_statements() as after:
        response = await feed(client, GAMBIR)
    assert before.count == after.count == 2
    assert len(events_of(response.content)) >= 9
    # and a feed lists at most MAX_EVENTS trainings, the earliest first
    monkeypatch.setattr(feeds, "MAX_EVENTS", 3)
    bounded = Calendar.from_ical((await feed(client, GAMBIR)).content).walk("VEVENT")
    assert len(bounded) == 3
    starts_list = [e.decoded("DTSTART") for e in bounded]
    assert starts_list == sorted(starts_list)


async def test_concurrent_first_rotations_both_succeed(
    gql: GraphQLClient, world: ParticipationWorld
) -> None:
    # given an account that never rotated its feed, when two rotations race
    first, second = await asyncio.gather(
        gql(ROTATE, headers=world.headers("coordinator")),
        gql(ROTATE, headers=world.headers("coordinator")),
    )
    # then both succeed, one after the other, and the account's URL is the later one
    answers = [b["data"]["rotateCalendarFeed"] for b in (first, second)]
    assert [a["errors"] for a in answers] == [[], []]
    urls = {a["calendarFeedUrl"] for a in answers}
    assert len(urls) == 2
    now = await gql(FEED_URL, headers=world.headers("coordinator"))
    assert now["data"]["viewer"]["calendarFeedUrl"] in urls
    viewer = Viewer.of(await Account.get(email=f"coordinator.{world.tag}@test.example.org"))
    assert (await CalendarFeed.get(account_id=viewer.account_id)).generation == 2
