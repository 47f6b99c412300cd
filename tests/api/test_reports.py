"""Programme reports (DESIGN section 12): a month of plans, trainings and registrations made
through the API, snapshots taken on chosen days, and the report read back through GraphQL, the
CLI and `GET /reports/…`, with exact numbers."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hub.reports import jakarta_day, take_snapshot
from hub.reports.monthly import Month
from hub.reports.snapshots import JAKARTA
from models.reports import KecamatanSnapshot, SnapshotDay
from tests.api.plan_fixtures import World, build_world
from tests.api.test_participation import CONSENT, REGISTER, resident
from tests.api.test_participation_reads import INTEREST
from tests.conftest import GraphQLClient, count_statements, errors_of

pytestmark = pytest.mark.usefixtures("reference_data")

REPORT_FIELDS = """
  kecamatan { code name kota { code } }
  demandStart demandEnd supplyStart supplyEnd gapStart gapEnd waitingEnd
  coverageStart coverageEnd plansActivated plansCompleted trainingsHeld
  participantsRegistered participantsConfirmed participantsAttended placesAdded
"""

REPORT = f"""
query ($month: String!, $kotaCode: String) {{
  report(month: $month, kotaCode: $kotaCode) {{
    month
    rows {{ {REPORT_FIELDS} }}
    total {{ {REPORT_FIELDS} }}
  }}
}}
"""

COVERAGE = """
query ($kotaCode: String) {
  coverage(kotaCode: $kotaCode) { kecamatan { code } demand supply gap waiting coalitionCoverage }
}
"""

SET_DEMAND = """
mutation ($input: SetDemandInput!) {
  setDemand(input: $input) { need { demand supply gap } errors { code field message } }
}
"""

PLAN = "plan { id status version trainings { id title status } } errors { code field message }"
PROPOSE = f"""
mutation ($input: ProposePlanInput!) {{ proposePlan(input: $input) {{ {PLAN} }} }}
"""
RESPOND = f"""
mutation ($input: RespondToPlanInput!) {{ respondToPlan(input: $input) {{ {PLAN} }} }}
"""
RESCHEDULE = f"""
mutation ($input: RescheduleTrainingInput!) {{ rescheduleTraining(input: $input) {{ {PLAN} }} }}
"""
COMPLETE = f"""
mutation ($input: CompletePlanInput!) {{ completePlan(input: $input) {{ {PLAN} }} }}
"""

ATTENDANCE = """
mutation ($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { training { attendedCount } errors { code field message } }
}
"""

GAMBIR = "31.71.01"
JAKARTA_PUSAT = "31.71"
NOW = dt.datetime.now(dt.UTC)
THIS_MONTH = Month(jakarta_day(NOW).year, jakarta_day(NOW).month)
LAST_MONTH = Month(
    (THIS_MONTH.first_day - dt.timedelta(days=1)).year,
    (THIS_MONTH.first_day - dt.timedelta(days=1)).month,
)
FIRST_SNAPSHOT = THIS_MONTH.first_day + dt.timedelta(days=1)
LAST_SNAPSHOT = THIS_MONTH.first_day + dt.timedelta(days=19)


def wib(moment: dt.datetime) -> str:
    return moment.astimezone(JAKARTA).isoformat()


@dataclass
class Month_:
    """What the month's story left behind: the world and the coverage seen at each snapshot."""

    world: World
    coverage_first: dict[str, Any]
    coverage_last: dict[str, Any]


async def coverage_of(gql: GraphQLClient, code: str) -> dict[str, Any]:
    rows = (await gql(COVERAGE, {"kotaCode": JAKARTA_PUSAT}))["data"]["coverage"]
    row: dict[str, Any] = next(r for r in rows if r["kecamatan"]["code"] == code)
    return row


async def ok(
    gql: GraphQLClient, query: str, variables: dict[str, Any], who: str, world: World
) -> dict[str, Any]:
    """The payload of a mutation that must succeed."""
    body = await gql(query, variables, headers=world.headers(who))
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    result: dict[str, Any] = payload
    return result


@pytest.fixture(scope="module")
async def story(reference_data: None, app: Any) -> Month_:
    """A month at Gambir, through the API: demand set, a snapshot, a plan proposed with four
    trainings (one the evening before the month began, one at the month's first midnight, one
    for registrations, one after the plan's end), activated, two residents registered (one
    confirmed, one waitlisted), an interest, attendance, a second snapshot, the plan completed.
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        gql = GraphQLClient(http)
        world = await build_world("report")
        await ok(
            gql,
            SET_DEMAND,
            {"input": {"kecamatanCode": GAMBIR, "sectorCode": "KULINER", "demand": 40}},
            "staff",
            world,
        )
        assert (await take_snapshot(day=FIRST_SNAPSHOT)).written
        coverage_first = await coverage_of(gql, GAMBIR)

        month_start = THIS_MONTH.starts_at
        soon = NOW + dt.timedelta(days=2)
        trainings = {
            "before": month_start - dt.timedelta(hours=2),
            "first": month_start,
            "registrations": soon,
            "later": soon + dt.timedelta(days=1),
        }
        proposal = {
            "kecamatanCode": GAMBIR,
            "communityIds": [world.community["K1"], world.community["K2"]],
            "title": "Kuliner Gambir bulan ini",
            "startsOn": (month_start.astimezone(JAKARTA).date() - dt.timedelta(days=1)).isoformat(),
            "endsOn": (NOW + dt.timedelta(days=40)).date().isoformat(),
            "allocations": [
                {"mentorId": world.mentor["M1"], "sectorCode": "KULINER", "mentees": 5},
                {"mentorId": world.mentor["C0"], "sectorCode": "KULINER", "mentees": 4},
            ],
            "trainings": [
                {
                    "title": name,
                    "sectorCode": "KULINER",
                    "startsAt": wib(starts),
                    "endsAt": wib(starts + dt.timedelta(minutes=30)),
                    "venue": "Aula Gambir",
                    "capacity": 1,
                }
                for name, starts in trainings.items()
            ],
        }
        plan = (await ok(gql, PROPOSE, {"input": proposal}, "k1", world))["plan"]
        for who in ("staff", "k2"):
            answer = {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"}
            plan = (await ok(gql, RESPOND, {"input": answer}, who, world))["plan"]
        assert plan["status"] == "ACTIVE"
        training = next(t["id"] for t in plan["trainings"] if t["title"] == "registrations")
        registered = []
        for n in (1, 2):
            body = await gql(
                REGISTER,
                {
                    "input": {
                        "trainingId": training,
                        "participant": resident(n),
                        "consent": CONSENT,
                    }
                },
                headers=world.headers("partner"),
            )
            registered.append(body["data"]["registerForTraining"]["registration"])
        assert [r["status"] for r in registered] == ["CONFIRMED", "WAITLISTED"]
        await ok(
            gql,
            INTEREST,
            {
                "input": {
                    "kecamatanCode": GAMBIR,
                    "sectorCode": "KULINER",
                    "participant": resident(3),
                    "consent": CONSENT,
                }
            },
            "partner",
            world,
        )
        # The registrations' training took place earlier this month after all.
        held = max(month_start + dt.timedelta(seconds=1), NOW - dt.timedelta(hours=1))
        moved = {
            "trainingId": training,
            "version": plan["version"],
            "startsAt": wib(held),
            "endsAt": wib(held + dt.timedelta(minutes=30)),
        }
        plan = (await ok(gql, RESCHEDULE, {"input": moved}, "staff", world))["plan"]
        await ok(
            gql,
            ATTENDANCE,
            {"input": {"trainingId": training, "attendedRegistrationIds": [registered[0]["id"]]}},
            "staff",
            world,
        )
        assert (await take_snapshot(day=LAST_SNAPSHOT)).written
        coverage_last = await coverage_of(gql, GAMBIR)
        done = {"planId": plan["id"], "version": plan["version"]}
        plan = (await ok(gql, COMPLETE, {"input": done}, "staff", world))["plan"]
        assert sorted((t["title"], t["status"]) for t in plan["trainings"]) == [
            ("before", "DONE"),
            ("first", "DONE"),
            ("later", "CANCELLED"),
            ("registrations", "DONE"),
        ]
        return Month_(world, coverage_first, coverage_last)


async def report(
    gql: GraphQLClient, world: World, month: str, kota: str | None = None, who: str = "admin"
) -> dict[str, Any]:
    body = await gql(REPORT, {"month": month, "kotaCode": kota}, headers=world.headers(who))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["report"]
    return result


def gambir_expected(story: Month_) -> dict[str, Any]:
    first, last = story.coverage_first, story.coverage_last
    return {
        "kecamatan": {"code": GAMBIR, "name": "Gambir", "kota": {"code": JAKARTA_PUSAT}},
        "demandStart": 40,
        "demandEnd": 40,
        "supplyStart": 10,  # mentor C0 of the centre
        "supplyEnd": 15,  # and M1's 5 mentees in the active plan
        "gapStart": 30,
        "gapEnd": 25,
        "waitingEnd": 1,  # the interest (the waitlisted resident's training is past)
        "coverageStart": first["coalitionCoverage"],
        "coverageEnd": last["coalitionCoverage"],
        "plansActivated": 1,
        "plansCompleted": 1,
        "trainingsHeld": 2,  # "first" and "registrations"; "before" was last month
        "participantsRegistered": 2,
        "participantsConfirmed": 1,
        "participantsAttended": 1,
        "placesAdded": 15,  # C0's capacity 10 + M1's 5 allocated mentees
    }


async def test_the_month_at_gambir_in_numbers(gql: GraphQLClient, story: Month_) -> None:
    # When the admin reads the month's report of Jakarta Pusat
    found = await report(gql, story.world, THIS_MONTH.label, JAKARTA_PUSAT)

    # Then Gambir's row holds the snapshots' figures and the month's activity exactly
    assert found["month"] == THIS_MONTH.label
    rows = {r["kecamatan"]["code"]: r for r in found["rows"]}
    assert list(rows) == sorted(rows)
    assert len(rows) == 8
    assert rows[GAMBIR] == gambir_expected(story)
    assert story.coverage_first["gap"] == 30
    assert story.coverage_last["gap"] == 25
    assert story.coverage_last["waiting"] == 1

    # And every other kecamatan has snapshots with nothing missing and no activity
    other = rows["31.71.02"]
    assert (other["gapStart"], other["gapEnd"], other["coverageStart"]) == (0, 0, 1.0)
    assert other["plansActivated"] == other["placesAdded"] == 0

    # And the total sums them, with coverage recomputed from covered places over the gap
    total = found["total"]
    assert total["kecamatan"] is None
    assert (total["demandStart"], total["gapStart"], total["gapEnd"]) == (40, 30, 25)
    assert total["trainingsHeld"] == 2
    assert total["placesAdded"] == 15
    covered_first = round(30 * story.coverage_first["coalitionCoverage"])
    assert total["coverageStart"] == pytest.approx(covered_first / 30)
    # (a mean of the eight shares would be near 1, not Gambir's share)
    assert total["coverageStart"] < 1.0


async def test_the_whole_country_and_a_month_without_snapshots(
    gql: GraphQLClient, story: Month_
) -> None:
    # The whole country: every kecamatan of the reference data, Gambir's row the same
    country = await report(gql, story.world, THIS_MONTH.label)
    assert len(country["rows"]) == 44
    assert next(r for r in country["rows"] if r["kecamatan"]["code"] == GAMBIR) == (
        gambir_expected(story)
    )
    assert country["total"]["gapEnd"] == 25

    # Last month: no snapshot (figures null), but the training held the evening before
    earlier = await report(gql, story.world, LAST_MONTH.label, JAKARTA_PUSAT)
    gambir = next(r for r in earlier["rows"] if r["kecamatan"]["code"] == GAMBIR)
    assert gambir["demandStart"] is None
    assert gambir["coverageEnd"] is None
    assert gambir["trainingsHeld"] == 1
    assert gambir["plansActivated"] == 0
    assert earlier["total"]["gapStart"] is None
    assert earlier["total"]["coverageStart"] is None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [(None, False), ("partner", False), ("k1", False), ("staff", True), ("admin", True)],
)
async def test_reports_are_for_admins_and_staff(
    gql: GraphQLClient, story: Month_, who: str | None, allowed: bool
) -> None:
    body = await gql(
        REPORT, {"month": THIS_MONTH.label}, headers=story.world.headers(who) if who else {}
    )
    if allowed:
        assert len(body["data"]["report"]["rows"]) == 44
    else:
        assert body["data"] is None
        assert errors_of(body) == [("FORBIDDEN", ["report"])]


@pytest.mark.parametrize(
    ("month", "kota", "expected"),
    [
        ("2026-13", None, ("INVALID", ["month"])),
        ("2026-1", None, ("INVALID", ["month"])),
        ("26-11", None, ("INVALID", ["month"])),
        ("november", None, ("INVALID", ["month"])),
        ("2026-11-01", None, ("INVALID", ["month"])),
        ("2026-11", "31.99", ("NOT_FOUND", ["kotaCode"])),
        ("2026-11", "31.71.01", ("NOT_FOUND", ["kotaCode"])),
    ],
)
async def test_bad_months_and_unknown_kota_are_coded(
    gql: GraphQLClient, story: Month_, month: str, kota: str | None, expected: tuple[str, list]
) -> None:
    body = await gql(
        REPORT, {"month": month, "kotaCode": kota}, headers=story.world.headers("admin")
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == expected


async def test_the_report_reads_the_same_statements_whatever_the_number_of_kecamatan(
    uncached_gql: GraphQLClient, story: Month_
) -> None:
    # Kepulauan Seribu has 2 kecamatan, Jakarta Timur 10, the country 44
    counts = {}
    for kota in ("31.01", "31.75", None):
        with count_statements() as counter:
            found = await uncached_gql(
                REPORT,
                {"month": THIS_MONTH.label, "kotaCode": kota},
                headers=story.world.headers("admin"),
            )
        assert "errors" not in found
        counts[kota] = counter.count
    # the token, (the kota,) the kecamatan, the snapshots, the activity, the kotas of the rows
    assert counts == {"31.01": 6, "31.75": 6, None: 5}, counts


async def test_a_day_is_snapshotted_once_however_many_take_it(story: Month_) -> None:
    day = THIS_MONTH.first_day + dt.timedelta(days=9)
    results = await asyncio.gather(*(take_snapshot(day=day) for _ in range(4)))
    assert sorted(r.written for r in results) == [False, False, False, True]
    assert {r.kecamatans for r in results} == {44}
    assert await KecamatanSnapshot.filter(day=day).count() == 44
    assert await SnapshotDay.filter(day=day).count() == 1
    again = await take_snapshot(day=day)
    assert (again.written, again.kecamatans) == (False, 44)
    await KecamatanSnapshot.filter(day=day).delete()
    await SnapshotDay.filter(day=day).delete()


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_cli_writes_the_same_report_as_csv_and_html(
    story: Month_, settings: Any, tmp_path: Any
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=settings.database_url, HUB_AUTO_MIGRATE="off", HUB_WORKER="off")
    command = [sys.executable, "-m", "hub.cli", "report", "--month", THIS_MONTH.label]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    printed = await asyncio.to_thread(run, "--kota", JAKARTA_PUSAT)
    assert printed.returncode == 0, printed.stderr
    rows = read_csv(printed.stdout)
    assert list(rows[0]) == [
        "kecamatan",
        "name",
        "kota",
        "demandStart",
        "demandEnd",
        "supplyStart",
        "supplyEnd",
        "gapStart",
        "gapEnd",
        "waitingEnd",
        "coverageStart",
        "coverageEnd",
        "plansActivated",
        "plansCompleted",
        "trainingsHeld",
        "participantsRegistered",
        "participantsConfirmed",
        "participantsAttended",
        "placesAdded",
    ]
    assert len(rows) == 9
    assert rows[-1]["kecamatan"] == ""
    assert rows[-1]["name"] == "Total"
    gambir = rows[0]
    expected = gambir_expected(story)
    assert gambir["kecamatan"] == GAMBIR
    for column in ("demandStart", "supplyEnd", "gapEnd", "trainingsHeld", "placesAdded"):
        assert int(gambir[column]) == expected[column], column
    assert float(gambir["coverageEnd"]) == pytest.approx(expected["coverageEnd"], abs=5e-5)

    page = tmp_path / "report.html"
    written = await asyncio.to_thread(run, str(page))
    assert written.returncode == 0, written.stderr
    html = page.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count('class="chart"') == 3
    assert "http://" not in html
    assert "https://" not in html

    bad = await asyncio.to_thread(run, "--kota", "99.99")
    assert bad.returncode == 1
    assert "no kota has the code '99.99'" in bad.stderr
    command[-1] = "2026-13"
    wrong = await asyncio.to_thread(run)
    assert wrong.returncode == 1
    assert "month must be YYYY-MM" in wrong.stderr


async def test_the_report_files_over_http_need_an_admin_or_staff_token(
    client: httpx.AsyncClient, story: Month_
) -> None:
    month = THIS_MONTH.label
    world = story.world

    csv_answer = await client.get(
        f"/reports/{month}.csv", params={"kota": JAKARTA_PUSAT}, headers=world.headers("staff")
    )
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_answer.headers["content-disposition"]
    rows = read_csv(csv_answer.text)
    assert len(rows) == 9
    assert int(rows[0]["placesAdded"]) == 15

    page = await client.get(f"/reports/{month}.html", headers=world.headers("admin"))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.text.count("<svg") == 3

    refusals = [
        (f"/reports/{month}.csv", {}, 401),
        (f"/reports/{month}.csv", {"Authorization": "Bearer nope"}, 401),
        (f"/reports/{month}.html", world.headers("partner"), 403),
        (f"/reports/{month}.html", world.headers("k1"), 403),
        ("/reports/2026-13.csv", world.headers("admin"), 400),
        (f"/reports/{month}.csv?kota=31.99", world.headers("admin"), 404),
        (f"/reports/{month}.csv?kota={'9' * 5000}", world.headers("admin"), 404),
    ]
    for path, headers, status in refusals:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.text)
        assert answer.json()["errors"][0]["message"]
    assert (
        await client.get(f"/reports/{month}.pdf", headers=world.headers("admin"))
    ).status_code == 404


async def test_a_new_snapshot_shows_in_a_report_read_before(
    gql: GraphQLClient, story: Month_
) -> None:
    # Given last month's report read once (no snapshot then), answered from the cache after
    def gambir(found: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = next(r for r in found["rows"] if r["kecamatan"]["code"] == GAMBIR)
        return row

    before = await report(gql, story.world, LAST_MONTH.label, JAKARTA_PUSAT)
    assert gambir(before)["demandEnd"] is None

    # When the snapshot of one of its days is taken (late)
    day = LAST_MONTH.last_day
    try:
        assert (await take_snapshot(day=day)).written
        after = await report(gql, story.world, LAST_MONTH.label, JAKARTA_PUSAT)
    finally:
        await KecamatanSnapshot.filter(day=day).delete()
        await SnapshotDay.filter(day=day).delete()

    # Then the report shows it at once
    assert (gambir(after)["demandStart"], gambir(after)["demandEnd"]) == (40, 40)
