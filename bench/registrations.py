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
"""

from __future__ import annotations

import argparse
import asyncio
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--database-url", help="an empty PostgreSQL database on this machine")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--processes", type=int, default=4, help="client processes (4)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--cancellations", type=int, default=20)
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
