"""The hub's load suite: a working day of partner apps, coordinators, centre staff, directory
edits, registrations and subscriptions (DESIGN section 13).

    locust -f bench/load/locustfile.py --host http://127.0.0.1:18500 \
        --headless -u 100 -r 20 -t 60s --csv /tmp/hub-load

Every simulated user has its own token from `bench/load/tokens.json` (made by
`setup_tokens.py`; another file with `HUB_LOAD_TOKENS=path`). The mix is in `mix.py`.

What counts as a failure: an HTTP status of 500 or more, a GraphQL error with code
`INTERNAL`, a time-out (10 s) or a lost connection. Refusals that racing users earn
(`CONFLICT`, `CAPACITY_EXCEEDED`, `INVALID_STATE`, `DOUBLE_BOOKED`, and `NOT_FOUND` for a
registration whose training was withdrawn meanwhile) and spent budgets (429, `RATE_LIMITED`)
are not failures: each is reported as a request of type `REFUSED` named after
its code and the kind of request, so they show apart in the statistics. Any other code
(FORBIDDEN, INVALID, NOT_FOUND...) is reported the same way with type `UNEXPECTED`: it means
the suite itself asked something wrong, and a clean run has none.

Request names are kinds (`read:popular`, `coordinator:propose`, ...): Locust's table gives
requests/s and percentiles per kind. Subscriptions report each event received as type `WS`
with the delay from the event's commit (`at`) to its arrival as the response time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from locust import User, between, events, task
from locust.contrib.fasthttp import FastHttpUser
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mix import BUSY, MIX

RACES = {"CONFLICT", "CAPACITY_EXCEEDED", "INVALID_STATE", "DOUBLE_BOOKED", "RATE_LIMITED"}
TIMEOUT = 10.0
SECTORS = ("KULINER", "FESYEN", "KRIYA", "JASA", "RITEL", "DIGITAL")
KECAMATAN = (
    [f"31.71.0{i}" for i in range(1, 9)]
    + [f"31.72.0{i}" for i in range(1, 8)]
    + [f"31.73.0{i}" for i in range(1, 9)]
    + [f"31.74.{i:02d}" for i in range(1, 11)]
    + [f"31.75.{i:02d}" for i in range(1, 11)]
)


def _tokens() -> dict[str, Iterator[str]]:
    path = Path(os.environ.get("HUB_LOAD_TOKENS") or Path(__file__).with_name("tokens.json"))
    if not path.exists():
        raise SystemExit(f"{path} is missing: run bench/load/setup_tokens.py first")
    stored = json.loads(path.read_text())
    return {kind: itertools.cycle([t["token"] for t in stored[kind]]) for kind in MIX}


TOKENS = _tokens()
"""Each user takes the next token of its class (with more users than tokens, they repeat)."""


WITHDRAWN = {"register:register", "register:cancel"}
"""Kinds for which NOT_FOUND is a race too: the training's plan was cancelled, declined or
completed between the partner app's read and its write, and a partner app no longer sees it."""


def expected(kind: str, code: str) -> bool:
    return code in RACES or (code == "NOT_FOUND" and kind in WITHDRAWN)


def refused(kind: str, code: str) -> None:
    events.request.fire(
        request_type="REFUSED" if expected(kind, code) else "UNEXPECTED",
        name=f"{code} {kind}",
        response_time=0,
        response_length=0,
        exception=None,
        context={},
    )


def codes_of(body: dict[str, Any]) -> list[str]:
    """Error codes of a GraphQL answer: top-level errors and every payload's `errors`."""
    found = [(e.get("extensions") or {}).get("code", "?") for e in body.get("errors") or []]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            found += [e.get("code", "?") for e in payload.get("errors") or []]
    return found


class GraphQLUser(FastHttpUser):
    """A user with a token that speaks GraphQL over HTTP."""

    abstract = True
    network_timeout = TIMEOUT
    connection_timeout = TIMEOUT

    def on_start(self) -> None:
        self.token = next(TOKENS[type(self).__name__])
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def gql(self, kind: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The answer's `data`, or None; refusals reported apart, failures marked failed."""
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.headers,
            name=kind,
            catch_response=True,
        ) as response:
            if response.status_code == 429:
                response.success()
                refused(kind, "RATE_LIMITED")
                return None
            if not response.status_code or response.status_code >= 500:
                response.failure(f"HTTP {response.status_code}: {response.error}")
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}: not JSON")
                return None
            codes = codes_of(body)
            if "INTERNAL" in codes:
                response.failure("INTERNAL")
                return None
            response.success()
            for code in codes:
                refused(kind, code)
            return body.get("data")


# -- partner apps reading the graph ----------------------------------------------------------

POPULAR = """
query PartnerComplements($code: String!) {
  kecamatan(code: $code) {
    name
    needs { sector { code } demand supply gap waiting }
    complements(first: 5) { community { name } score reach filled }
  }
}
"""
SCHEDULE = """
query PartnerSchedule($code: String!, $first: Int!) {
  trainings(filter: { kecamatanCode: $code }, first: $first) {
    totalCount
    edges { node { id title startsAt status capacity placesLeft organisers { name } } }
  }
}
"""
DIRECTORY = """
query PartnerDirectory($sector: String!) {
  communities(filter: { sectorCode: $sector }, first: 20) {
    edges { node { name kind mentors(first: 10) { totalCount edges { node { name } } } } }
  }
}
"""


class PartnerReader(GraphQLUser):
    """A partner app showing schedules and directories: the same few popular pages most of the
    time (answered from the response cache until a write moves the data on), now and then a
    page of its own (a miss)."""

    weight = MIX["PartnerReader"]
    wait_time = between(1, 3)

    @task(6)
    def popular(self) -> None:
        # The app relays its own visitors: the same page for three of them in a row.
        code = random.choice(BUSY)
        for _ in range(3):
            self.gql("read:popular", POPULAR, {"code": code})

    @task(3)
    def schedule(self) -> None:
        variables = {"code": random.choice(KECAMATAN), "first": random.randint(5, 25)}
        self.gql("read:schedule", SCHEDULE, variables)

    @task(1)
    def directory(self) -> None:
        self.gql("read:directory", DIRECTORY, {"sector": random.choice(SECTORS)})


# -- coordinators: proposing and looking after joint plans -----------------------------------

MY_COMMUNITY = """
query CoordinatorCommunity {
  viewer {
    community {
      id
      mentors(first: 20) { edges { node { id skills { sector { code } free } } } }
      opportunities(first: 5) { kecamatan { code } score filled }
    }
  }
}
"""
PROPOSE = """
mutation CoordinatorPropose($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id version status } errors { code field message } }
}
"""
MY_PLANS = """
query CoordinatorPlans($community: ID!) {
  plans(filter: { communityId: $community, statuses: [PROPOSED, ACTIVE] }, first: 20) {
    totalCount
    edges { node { id version status } }
  }
}
"""
CANCEL = """
mutation CoordinatorCancel($input: CancelPlanInput!) {
  cancelPlan(input: $input) { plan { id status } errors { code message } }
}
"""


def future_day(days: int) -> datetime:
    start = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    return start + timedelta(days=days)


class Coordinator(GraphQLUser):
    """A community coordinator: reads its mentors' free places and opportunities, proposes a
    plan with one mentor and a training to a busy centre, and cancels its older plans (which
    gives the places back)."""

    weight = MIX["Coordinator"]
    wait_time = between(2, 6)

    def on_start(self) -> None:
        super().on_start()
        self.community: str | None = None
        self.free: list[tuple[str, str]] = []
        self.read()

    @task(3)
    def read(self) -> None:
        data = self.gql("coordinator:read", MY_COMMUNITY)
        community = ((data or {}).get("viewer") or {}).get("community")
        if not community:
            return
        self.community = community["id"]
        self.free = [
            (edge["node"]["id"], skill["sector"]["code"])
            for edge in community["mentors"]["edges"]
            for skill in edge["node"]["skills"]
            if skill["free"] > 0
        ]

    @task(2)
    def propose(self) -> None:
        if not self.community or not self.free:
            self.read()
            return
        mentor, sector = random.choice(self.free)
        day = random.randint(14, 120)
        starts = future_day(day) + timedelta(hours=random.randint(0, 6))
        variables = {
            "input": {
                "kecamatanCode": random.choice(BUSY),
                "communityIds": [self.community],
                "title": f"Pendampingan {sector.lower()} {uuid.uuid4().hex[:6]}",
                "startsOn": future_day(day - 7).date().isoformat(),
                "endsOn": future_day(day + 60).date().isoformat(),
                "allocations": [{"mentorId": mentor, "sectorCode": sector, "mentees": 1}],
                "trainings": [
                    {
                        "title": f"Kelas {sector.lower()}",
                        "sectorCode": sector,
                        "startsAt": starts.isoformat(),
                        "endsAt": (starts + timedelta(hours=2)).isoformat(),
                        "venue": "Aula pusat OK OCE",
                        "capacity": random.randint(3, 8),
                    }
                ],
            }
        }
        self.gql("coordinator:propose", PROPOSE, variables)

    @task(1)
    def tidy(self) -> None:
        if not self.community:
            return
        data = self.gql("coordinator:plans", MY_PLANS, {"community": self.community})
        plans = [e["node"] for e in ((data or {}).get("plans") or {}).get("edges", [])]
        if len(plans) > 4:
            oldest = plans[-1]
            variables = {"input": {"planId": oldest["id"], "version": oldest["version"]}}
            self.gql("coordinator:cancel", CANCEL, variables)


# -- centre staff: answering and completing plans --------------------------------------------

WAITING = """
query StaffWaiting {
  plans(filter: { waitingForMe: true }, first: 5) { edges { node { id version status } } }
}
"""
RESPOND = """
mutation StaffRespond($input: RespondToPlanInput!) {
  respondToPlan(input: $input) { plan { id version status } errors { code message } }
}
"""
ACTIVE = """
query StaffActive($code: String!) {
  plans(filter: { kecamatanCode: $code, statuses: [ACTIVE] }, first: 20) {
    totalCount
    edges { node { id version } }
  }
}
"""
COMPLETE = """
mutation StaffComplete($input: CompletePlanInput!) {
  completePlan(input: $input) { plan { id status } errors { code message } }
}
"""
CENTRE = """
query StaffCentre {
  viewer {
    centre {
      kecamatan {
        code
        needs { sector { code } demand supply gap waiting }
        coalition(maxCommunities: 3) { coverage members { community { name } filled } }
      }
    }
  }
}
"""


class Staff(GraphQLUser):
    """Centre staff (two per busy centre, so their answers race): answer what waits for them,
    mostly accepting, and complete the oldest active plans."""

    weight = MIX["Staff"]
    wait_time = between(2, 6)

    def on_start(self) -> None:
        super().on_start()
        self.code: str | None = None
        self.centre()

    @task(3)
    def centre(self) -> None:
        data = self.gql("staff:centre", CENTRE)
        centre = ((data or {}).get("viewer") or {}).get("centre")
        if centre:
            self.code = centre["kecamatan"]["code"]

    @task(4)
    def answer(self) -> None:
        data = self.gql("staff:waiting", WAITING)
        plans = [e["node"] for e in ((data or {}).get("plans") or {}).get("edges", [])]
        if not plans:
            return
        plan = random.choice(plans)
        decision = "DECLINE" if random.random() < 0.15 else "ACCEPT"
        variables = {
            "input": {"planId": plan["id"], "version": plan["version"], "decision": decision}
        }
        self.gql("staff:respond", RESPOND, variables)

    @task(1)
    def complete(self) -> None:
        if not self.code:
            return
        data = self.gql("staff:active", ACTIVE, {"code": self.code})
        plans = [e["node"] for e in ((data or {}).get("plans") or {}).get("edges", [])]
        if len(plans) > 6:
            oldest = plans[-1]
            variables = {"input": {"planId": oldest["id"], "version": oldest["version"]}}
            self.gql("staff:complete", COMPLETE, variables)


# -- directory edits -------------------------------------------------------------------------

SET_DEMAND = """
mutation EditDemand($input: SetDemandInput!) {
  setDemand(input: $input) { errors { code field message } }
}
"""


class DirectoryEditor(GraphQLUser):
    """Centre staff keeping their centre's demand current: a write every few seconds, each of
    which moves the data version (and so empties every response cache)."""

    weight = MIX["DirectoryEditor"]
    wait_time = between(4, 10)

    def on_start(self) -> None:
        super().on_start()
        data = self.gql("staff:centre", CENTRE)
        centre = ((data or {}).get("viewer") or {}).get("centre")
        self.code = centre["kecamatan"]["code"] if centre else None

    @task
    def demand(self) -> None:
        if not self.code:
            return
        variables = {
            "input": {
                "kecamatanCode": self.code,
                "sectorCode": random.choice(SECTORS),
                "demand": random.randint(20, 90),
            }
        }
        self.gql("edit:demand", SET_DEMAND, variables)


# -- registrations at partner desks ----------------------------------------------------------

OPEN = """
query RegistrarOpen($after: DateTime!) {
  trainings(filter: { statuses: [SCHEDULED], startsAfter: $after }, first: 30) {
    edges { node { id placesLeft } }
  }
}
"""
REGISTER = """
mutation RegistrarRegister($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) {
    registration { id status position }
    errors { code field message }
  }
}
"""
UNREGISTER = """
mutation RegistrarCancel($input: CancelRegistrationInput!) {
  cancelRegistration(input: $input) { registration { id status } errors { code message } }
}
"""


class Registrar(GraphQLUser):
    """A partner app registering residents for scheduled trainings (confirmed, or waitlisted
    once full), and cancelling some of its own registrations (which promotes the waitlist)."""

    weight = MIX["Registrar"]
    wait_time = between(2, 5)

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[str] = []

    @task(4)
    def register(self) -> None:
        after = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        data = self.gql("register:open", OPEN, {"after": after})
        trainings = [e["node"] for e in ((data or {}).get("trainings") or {}).get("edges", [])]
        if not trainings:
            return
        training = random.choice(trainings)
        n = random.randint(0, 10**7)
        variables = {
            "input": {
                "trainingId": training["id"],
                "participant": {
                    "name": f"Warga {n}",
                    "phone": f"0812{n:08d}",
                    "kecamatanCode": random.choice(BUSY),
                    "sectorCode": random.choice(SECTORS),
                },
                "consent": {
                    "purpose": "Pendaftaran pelatihan OK OCE",
                    "textVersion": "2026-01",
                    "channel": "APP",
                },
                "idempotencyKey": uuid.uuid4().hex,
            }
        }
        data = self.gql("register:register", REGISTER, variables)
        registration = ((data or {}).get("registerForTraining") or {}).get("registration")
        if registration:
            self.mine.append(registration["id"])

    @task(1)
    def cancel(self) -> None:
        if self.mine:
            registration = self.mine.pop(random.randrange(len(self.mine)))
            self.gql("register:cancel", UNREGISTER, {"input": {"registrationId": registration}})


# -- subscriptions ---------------------------------------------------------------------------

TRAINING_UPDATES = "subscription LiveSchedule { trainingUpdates { cursor kind at } }"


class Subscriber(User):
    """A partner app's live schedule: one graphql-transport-ws connection for the whole run,
    `trainingUpdates` of every centre; each event received is reported with its delay."""

    weight = MIX["Subscriber"]
    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.token = next(TOKENS["Subscriber"])
        self.ws: Any = None
        self.stack = contextlib.ExitStack()

    def open(self) -> None:
        url = self.host.replace("http", "ws", 1) + "/graphql"
        started = time.perf_counter()
        try:
            ws = self.stack.enter_context(
                connect(url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT)
            )
            ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"Authorization": f"Bearer {self.token}"},
                    }
                )
            )
            ack = json.loads(ws.recv(timeout=TIMEOUT))
            if ack.get("type") != "connection_ack":
                raise ConnectionError(f"no connection_ack: {ack}")
            ws.send(
                json.dumps({"type": "subscribe", "id": "1", "payload": {"query": TRAINING_UPDATES}})
            )
        except Exception as error:
            self.report("ws:connect", started, error)
            time.sleep(1)
            return
        self.report("ws:connect", started, None)
        self.ws = ws

    def report(
        self, name: str, started: float, error: Exception | None, ms: float | None = None
    ) -> None:
        events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000 if ms is None else ms,
            response_length=0,
            exception=error,
            context={},
        )

    @task
    def listen(self) -> None:
        if self.ws is None:
            self.open()
            return
        try:
            raw = self.ws.recv(timeout=1.0)
        except TimeoutError:
            return
        except ConnectionClosed as closed:
            self.report("ws:closed", time.perf_counter(), closed)
            self.ws = None
            self.stack.close()
            return
        message = json.loads(raw)
        if message.get("type") == "ping":
            self.ws.send(json.dumps({"type": "pong"}))
            return
        if message.get("type") != "next":
            self.report(
                f"ws:{message.get('type')}",
                time.perf_counter(),
                ConnectionError(str(message)[:200]),
            )
            return
        payload = message["payload"]
        if payload.get("errors"):
            codes = [(e.get("extensions") or {}).get("code") for e in payload["errors"]]
            self.report("ws:event", time.perf_counter(), ConnectionError(f"errors {codes}"))
            return
        at = datetime.fromisoformat(payload["data"]["trainingUpdates"]["at"])
        delay = (datetime.now(UTC) - at).total_seconds() * 1000
        self.report("ws:event", time.perf_counter(), None, ms=max(0.0, delay))

    def on_stop(self) -> None:
        self.ws = None
        self.stack.close()
