"""Concurrent registrations through HTTP, several client processes, against `hub serve`.

    python bench/registrations.py --database sqlite
    python bench/registrations.py --database-url postgres://postgres@127.0.0.1:5432/hub_bench_reg

Sets up a scratch database (SQLite in a temporary folder, or the given PostgreSQL database,
which must be empty and on this machine): reference data, an active plan of Gambir's centre
and one scheduled training of capacity `--capacity` (50) starting in ten days, and a PARTNER
token. Starts `hub serve --no-demo --workers W` (no mail worker: the outbox rows are written,
not sent) on a loopback port, then `--processes` client processes (4) send `--requests` (200)
registrations at the same moment, each for a different resident, split between them and all
in flight at once. Then `--cancellations` (20) confirmed registrations are cancelled at once
the same way. It checks, from the database:

- exactly `capacity` CONFIRMED and the rest WAITLISTED with positions 1..n, no one twice;
- after the cancellations, exactly the first `cancellations` in line confirmed, in order,
  the others at 1..n-`cancellations`, still `capacity` confirmed;

and prints the latencies (p50, p90, p99, max) of both phases and the wall time. Exit status 1
when a check fails.

    python bench/registrations.py --national --database-url postgres://.../hub_national

On a database holding `hub seed --synthetic national`: starts `hub serve` (response cache
off), picks 50 upcoming trainings of active plans, and one client process runs 50 concurrent
clients, each registering new residents for its own training one after the other
(`--per-client`, 20); prints the registrations' p50/p99. Then `trainings(first: 100)` with
every count (capacity, registeredCount, placesLeft, waitlistCount, attendedCount), asked 30
times one after the other: p50.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

REGISTER = """
mutation ($input: RegisterForTrainingInput!) {
  registerForTraining(input: $input) {
    registration { id status position participant { id } } errors { code message }
  }
}
"""

CANCEL = """
mutation ($input: CancelRegistrationInput!) {
  cancelRegistration(input: $input) { registration { id status } errors { code message } }
}
"""

CONSENT = {"purpose": "Pendaftaran pelatihan", "textVersion": "2026-01", "channel": "APP"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def setup(database_url: str, capacity: int) -> tuple[str, str]:
    """Migrate, load the reference data and the world; the training's id and a token."""
    from hub.access import create_token
    from hub.core import Settings, encode_global_id, open_database
    from hub.seed import load_reference_data
    from models.directory import Centre, Sector
    from models.enums import PartyStatus, PlanStatus, Role, TrainingStatus
    from models.plans import Plan, PlanParty, Training

    settings = Settings(database_url=database_url)
    async with open_database(settings):
        await load_reference_data()
        if await Plan.all().count():
            raise SystemExit("the database is not empty: give the benchmark a scratch one")
        centre = await Centre.get(kecamatan__code="31.71.01")
        sector = await Sector.get(code="KULINER")
        now = dt.datetime.now(dt.UTC)
        plan = await Plan.create(
            title="Bench",
            status=PlanStatus.ACTIVE,
            starts_on=now.date(),
            ends_on=(now + dt.timedelta(days=30)).date(),
            centre=centre,
        )
        await PlanParty.create(plan=plan, centre=centre, status=PartyStatus.ACCEPTED)
        starts = now + dt.timedelta(days=10)
        training = await Training.create(
            plan=plan,
            centre=centre,
            sector=sector,
            title="Rush",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            capacity=capacity,
            status=TrainingStatus.SCHEDULED,
            revision=1,
        )
        issued = await create_token(email="bench.partner@example.org", role=Role.PARTNER)
        return encode_global_id("Training", training.id), issued.secret


async def database_state(database_url: str, training_gid: str) -> list[tuple[int, str, Any, int]]:
    """(id, status, position, participant) of every registration of the training."""
    from hub.core import Settings, decode_global_id, open_database
    from models.participation import Registration

    async with open_database(Settings(database_url=database_url), migrate_on_open=False):
        rows = await Registration.filter(
            training_id=decode_global_id(training_gid, "Training")
        ).order_by("id")
        return [(r.id, r.status.value, r.position, r.participant_id) for r in rows]


def client_process(
    base_url: str, token: str, calls: list[dict[str, Any]], start_at: float, queue: Any
) -> None:
    """Send every call at once at `start_at`; put (latency seconds, payload) per call."""

    async def run() -> list[tuple[float, dict[str, Any]]]:
        limits = httpx.Limits(max_connections=len(calls) + 1)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
            await http.post("/graphql", json={"query": "{ __typename }"})  # connect early

            async def one(call: dict[str, Any]) -> tuple[float, dict[str, Any]]:
                began = time.perf_counter()
                response = await http.post(
                    "/graphql", json=call, headers={"Authorization": f"Bearer {token}"}
                )
                took = time.perf_counter() - began
                body = response.json()
                return took, next(iter((body.get("data") or {"error": body}).values()))

            await asyncio.sleep(max(0.0, start_at - time.time()))
            return await asyncio.gather(*(one(c) for c in calls))

    queue.put(asyncio.run(run()))


def burst(
    base_url: str, token: str, calls: list[dict[str, Any]], processes: int
) -> tuple[list[float], list[dict[str, Any]], float]:
    """Run `calls` split over `processes` client processes, all released together."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3.0
    shares = [calls[i::processes] for i in range(processes)]
    workers = [
        context.Process(target=client_process, args=(base_url, token, share, start_at, queue))
        for share in shares
        if share
    ]
    for w in workers:
        w.start()
    results: list[tuple[float, dict[str, Any]]] = []
    for _ in workers:
        results += queue.get(timeout=300)
    wall = time.time() - start_at
    for w in workers:
        w.join(timeout=30)
    return [t for t, _ in results], [p for _, p in results], wall


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return (
        f"p50 {q[49] * 1000:.0f} ms, p90 {q[89] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


TRAININGS_PAGE = """
query {
  trainings(first: 100) { edges { node { id title capacity registeredCount placesLeft
    waitlistCount attendedCount } } }
}
"""


async def national_setup(database_url: str, count: int) -> tuple[list[str], str]:
    """`count` upcoming trainings of active plans (by id), and a PARTNER token."""
    from hub.access import create_token
    from hub.core import Settings, encode_global_id, open_database
    from models.enums import PlanStatus, Role, TrainingStatus
    from models.plans import Training

    async with open_database(Settings(database_url=database_url)):
        ids = await (
            Training.filter(
                status=TrainingStatus.SCHEDULED,
                plan__status=PlanStatus.ACTIVE,
                starts_at__gt=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            )
            .order_by("id")
            .limit(count)
            .values_list("id", flat=True)
        )
        issued = await create_token(email="bench.national@example.org", role=Role.PARTNER)
        return [encode_global_id("Training", int(i)) for i in ids], issued.secret


def national_clients(
    base_url: str, token: str, trainings: list[str], per_client: int, queue: Any
) -> None:
    """50 clients (one per training) in this process, each registering in turn."""

    async def run() -> tuple[list[float], int]:
        limits = httpx.Limits(max_connections=len(trainings) + 1)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
            seen: list[float] = []
            failed = 0

            async def client(number: int, training: str) -> None:
                nonlocal failed
                for i in range(per_client + 1):
                    n = number * 10_000 + i
                    call = {
                        "query": REGISTER,
                        "variables": {
                            "input": {
                                "trainingId": training,
                                "participant": {
                                    "name": f"Warga Bench {n}",
                                    "phone": f"0819-{n // 10000:04d}-{n % 10000:04d}",
                                    "email": f"bench{n}@example.org" if n % 2 else None,
                                    "kecamatanCode": "31.71.01",
                                    "sectorCode": "KULINER",
                                },
                                "consent": CONSENT,
                            }
                        },
                    }
                    began = time.perf_counter()
                    response = await http.post("/graphql", json=call, headers=headers)
                    took = time.perf_counter() - began
                    payload = (response.json().get("data") or {}).get("registerForTraining")
                    if not payload or not payload.get("registration"):
                        failed += 1
                    if i:  # the first of each client warms the connection up
                        seen.append(took)

            await asyncio.gather(*(client(k, t) for k, t in enumerate(trainings)))
            return seen, failed

    queue.put(asyncio.run(run()))


def national(args: argparse.Namespace, env: dict[str, str], database_url: str) -> int:
    trainings, token = asyncio.run(national_setup(database_url, args.trainings))
    if len(trainings) < args.trainings:
        raise SystemExit("load the national dataset first: hub seed --synthetic national")
    with serving(env, args.workers) as base_url:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        began = time.time()
        process = context.Process(
            target=national_clients, args=(base_url, token, trainings, args.per_client, queue)
        )
        process.start()
        latencies, failed = queue.get(timeout=1200)
        wall = time.time() - began
        process.join(timeout=30)
        print(
            f"PostgreSQL, national dataset, {args.workers} uvicorn workers, "
            f"{len(trainings)} clients over {len(trainings)} trainings, in a separate process"
        )
        print(
            f"  {len(latencies)} registrations in {wall:.1f} s ({len(latencies) / wall:.0f}/s), "
            f"{failed} failed; {percentiles(latencies)}"
        )
        page: list[float] = []
        with httpx.Client(base_url=base_url, timeout=120) as http:
            for i in range(33):
                began_page = time.perf_counter()
                body = http.post("/graphql", json={"query": TRAININGS_PAGE}).json()
                if i >= 3:
                    page.append(time.perf_counter() - began_page)
            edges = body["data"]["trainings"]["edges"]
        print(
            f"  trainings(first: 100) with every count, cache off, {len(edges)} trainings: "
            f"p50 {statistics.median(page) * 1000:.0f} ms, max {max(page) * 1000:.0f} ms "
            f"({len(page)} requests)"
        )
    return 1 if failed else 0


@contextlib.contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[str]:
    """`hub serve` on a loopback port until the block ends; its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(env["HUB_DATA_DIR"]) / "serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--no-demo", "--port", str(port),
             "--workers", str(workers)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.time() + 120
            while True:
                try:
                    ready = httpx.post(f"{base_url}/graphql", json={"query": "{ __typename }"})
                    if ready.is_success:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f"the server did not start; see {log_path}")
                time.sleep(0.3)
            yield base_url
        finally:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--database-url", help="an empty PostgreSQL database on this machine")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--processes", type=int, default=4, help="client processes (4)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--cancellations", type=int, default=20)
    parser.add_argument("--national", action="store_true", help="the national measurement")
    parser.add_argument("--trainings", type=int, default=50, help="national: clients (50)")
    parser.add_argument("--per-client", type=int, default=20, help="national: each (20)")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="hub-bench-reg-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    if args.database_url:
        parts = urllib.parse.urlsplit(args.database_url)
        if parts.scheme not in {"postgres", "postgresql"} or (parts.hostname or "") not in LOOPBACK:
            raise SystemExit("--database-url must be a postgres:// URL on this machine")
        database_url = f"{args.database_url}?maxsize=10"
        label = "PostgreSQL"
    else:
        if args.database == "postgres":
            raise SystemExit("give --database-url for PostgreSQL, or --database sqlite")
        from hub.core.settings import sqlite_url

        database_url = sqlite_url(Path(scratch.name) / "bench.sqlite3")
        label = "SQLite"
    env |= {
        "HUB_DATABASE_URL": database_url,
        "HUB_DATA_DIR": scratch.name,
        "HUB_WORKER": "off",
        "HUB_CACHE": "off",
    }
    if args.national:
        if not args.database_url:
            raise SystemExit("--national needs --database-url")
        return national(args, env, database_url)
    training, token = asyncio.run(setup(database_url, args.capacity))

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = open(Path(scratch.name) / "serve.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--no-demo", "--port", str(port),
         "--workers", str(args.workers)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.post(f"{base_url}/graphql", json={"query": "{ __typename }"}).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"the server did not start; see {log.name}")
            time.sleep(0.3)

        calls = [
            {
                "query": REGISTER,
                "variables": {
                    "input": {
                        "trainingId": training,
                        "participant": {
                            "name": f"Warga {i}",
                            "phone": f"0813-9{i:03d}-{i:04d}",
                            "email": f"warga{i}@example.org" if i % 2 else None,
                            "kecamatanCode": "31.71.01",
                            "sectorCode": "KULINER",
                        },
                        "consent": CONSENT,
                        "idempotencyKey": f"bench-{i}",
                    }
                },
            }
            for i in range(args.requests)
        ]
        latencies, payloads, wall = burst(base_url, token, calls, args.processes)
        failures = [p for p in payloads if not p.get("registration")]
        rows = asyncio.run(database_state(database_url, training))
        confirmed = [r for r in rows if r[1] == "CONFIRMED"]
        waiting = sorted((r for r in rows if r[1] == "WAITLISTED"), key=lambda r: r[2])
        checks = {
            "every request answered with a registration": not failures,
            f"{args.capacity} CONFIRMED": len(confirmed) == args.capacity,
            f"{args.requests - args.capacity} WAITLISTED at 1..n": [r[2] for r in waiting]
            == list(range(1, args.requests - args.capacity + 1)),
            "no one twice": len({r[3] for r in rows}) == len(rows) == args.requests,
        }
        print(f"{label}, {args.workers} uvicorn workers, {args.processes} client processes")
        print(
            f"  {args.requests} registrations at once for {args.capacity} places: wall "
            f"{wall:.2f} s; {percentiles(latencies)}"
        )

        from hub.core import encode_global_id

        cancels = [
            {"query": CANCEL, "variables": {"input": {
                "registrationId": encode_global_id("Registration", r[0])}}}
            for r in confirmed[: args.cancellations]
        ]  # fmt: skip
        c_latencies, c_payloads, c_wall = burst(base_url, token, cancels, args.processes)
        after = {r[0]: r for r in asyncio.run(database_state(database_url, training))}
        line = waiting
        promoted = [after[r[0]][1] for r in line[: args.cancellations]]
        rest = [after[r[0]][2] for r in line[args.cancellations :]]
        checks |= {
            "every cancellation done": all(p.get("registration") for p in c_payloads),
            f"the first {args.cancellations} in line promoted": promoted
            == ["CONFIRMED"] * args.cancellations,
            "the others moved up without gaps": rest
            == list(range(1, len(line) - args.cancellations + 1)),
            f"still {args.capacity} CONFIRMED": sum(r[1] == "CONFIRMED" for r in after.values())
            == args.capacity,
        }
        print(
            f"  {args.cancellations} cancellations at once: wall {c_wall:.2f} s; "
            f"{percentiles(c_latencies)}"
        )
        for name, ok in checks.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
        if failures:
            print(f"  first failure: {failures[0]}")
        return 0 if all(checks.values()) else 1
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()
        scratch.cleanup()


if __name__ == "__main__":
    sys.exit(main())
