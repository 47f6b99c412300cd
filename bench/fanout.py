"""Subscription fan-out on PostgreSQL: many `planEvents` subscribers over two server processes.

    python bench/fanout.py --database-url postgres://postgres@127.0.0.1:5432/hub_bench_fanout

Sets up the given PostgreSQL database (which must be empty and on this machine): reference
data, two communities, an ADMIN token and a COORDINATOR token. Starts `--servers` (2) separate
`hub serve --no-demo` processes on loopback ports (`HUB_WORKER=off`: no mail is sent; rate
limits off with `HUB_RATE_LIMIT=0`, since the benchmark's own changes would otherwise count
against the coordinator's hourly budget). One separate client process (asyncio and the
`websockets` library) opens `--subscribers` (1,000) WebSockets, spread evenly over the servers,
each subscribing to `planEvents` over `graphql-transport-ws` as the ADMIN. Then this process
makes `--changes` (100) plan changes through the API (proposals of a plan, alternately through
each server, one after the other with `--interval` seconds between them), and the client
process records when each subscriber receives each event.

It checks that every subscriber received every event exactly once and in order, and prints:

- commit-to-delivery latency, p50/p90/p99/max, two ways: from the event's `at` (stamped in the
  change's transaction, before its commit: an upper bound) and from the arrival of the
  mutation's response (after the commit: a lower bound, negative when the event arrived
  first);
- the servers' resident memory before and after the subscribers connected, per subscriber;
- the load average at the start and the end (the machine may be shared).

Exit status 1 when a subscriber missed an event, got one twice or out of order.

    git archive <commit> | tar -x -C /tmp/hub-before
    python bench/fanout.py --database-url postgres://…/hub_bench_fanout \
        --compare-root /tmp/hub-before --compare-database-url postgres://…/hub_bench_fanout_before

measures the servers of another checkout first, then this one's, in the same run (each on its
own empty database; the clients and the changes are this file's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
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
PROTOCOL = "graphql-transport-ws"

SUBSCRIPTION = """
subscription { planEvents { kind event cursor at version plan { id title } } }
"""

PROPOSE = """
mutation ($input: ProposePlanInput!) {
  proposePlan(input: $input) { plan { id events { kind cursor } } errors { code message } }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def setup(database_url: str) -> dict[str, Any]:
    """Migrate, load the reference data, two communities and the tokens."""
    from hub.access import create_token
    from hub.core import Settings, encode_global_id, open_database
    from hub.seed import load_reference_data
    from models.directory import Community
    from models.enums import CommunityKind, Role
    from models.plans import Plan

    async with open_database(Settings(database_url=database_url)):
        await load_reference_data()
        if await Plan.all().count():
            raise SystemExit("the database is not empty: give the benchmark a scratch one")
        k1 = await Community.create(name="Bench K1", kind=CommunityKind.SECTOR)
        k2 = await Community.create(name="Bench K2", kind=CommunityKind.SECTOR)
        admin = await create_token(email="bench.admin@example.org", role=Role.ADMIN)
        coordinator = await create_token(
            email="bench.k1@example.org", role=Role.COORDINATOR, community_id=k1.id
        )
        return {
            "admin": admin.secret,
            "coordinator": coordinator.secret,
            "communities": [encode_global_id("Community", c.id) for c in (k1, k2)],
        }


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(
    env: dict[str, str], port: int, log_path: Path, root: Path
) -> Iterator[tuple[str, int]]:
    """One `hub serve` (one process) on `port` until the block ends: its base URL and pid."""
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--no-demo", "--port", str(port)],
            env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.time() + 120
            while True:
                try:
                    if httpx.get(f"{base_url}/healthz").is_success:
                        break
                except httpx.TransportError:
                    pass
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f"the server did not start; see {log_path}")
                time.sleep(0.3)
            yield base_url, server.pid
        finally:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)


# The client process -----------------------------------------------------------------------


def client_process(
    urls: list[str],
    token: str,
    count: int,
    expected: int,
    ready: Any,
    results: Any,
    give_up: Any,
) -> None:
    """Open `count` subscriptions round-robin over `urls`, tell `ready`, receive until every
    subscriber has `expected` events (then one quiet second, to catch duplicates) or
    `give_up` is set; put each subscriber's (arrival time, message) list on `results`."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results.put(asyncio.run(_clients(urls, token, count, expected, ready, give_up)))


async def _clients(
    urls: list[str], token: str, count: int, expected: int, ready: Any, give_up: Any
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    received: list[list[tuple[float, str]]] = [[] for _ in range(count)]
    complete = 0
    all_in = asyncio.Event()
    sockets: list[Any] = [None] * count
    opening = asyncio.Semaphore(50)
    failures: list[str] = []

    async def open_one(i: int) -> None:
        async with opening:
            ws = await connect(
                urls[i % len(urls)],
                subprotocols=[PROTOCOL],  # type: ignore[list-item]
                max_queue=None,
                open_timeout=60,
                ping_interval=None,
            )
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            await ws.send(
                json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION}})
            )
            sockets[i] = ws

    async def receive(i: int) -> None:
        nonlocal complete
        mine = received[i]
        async for raw in sockets[i]:
            mine.append((time.time(), raw if isinstance(raw, str) else raw.decode()))
            if len(mine) == expected:
                complete += 1
                if complete == count:
                    all_in.set()

    began = time.time()
    opened = await asyncio.gather(*(open_one(i) for i in range(count)), return_exceptions=True)
    failures += [repr(e) for e in opened if isinstance(e, BaseException)]
    connect_seconds = time.time() - began
    receivers = [asyncio.create_task(receive(i)) for i in range(count) if sockets[i] is not None]
    ready.put(
        {"opened": count - len(failures), "failures": failures[:5], "seconds": connect_seconds}
    )

    async def stop_asked() -> None:
        await asyncio.to_thread(give_up.wait)

    stop = asyncio.create_task(stop_asked())
    waiting = asyncio.create_task(all_in.wait())
    await asyncio.wait([stop, waiting], return_when=asyncio.FIRST_COMPLETED)
    if all_in.is_set():
        await asyncio.sleep(1.0)  # anything twice would arrive now
    for task in receivers:
        task.cancel()
    stop.cancel()
    waiting.cancel()
    closing = asyncio.Semaphore(100)

    async def close(ws: Any) -> None:
        async with closing:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)

    await asyncio.gather(*(close(ws) for ws in sockets if ws is not None))
    out: list[list[tuple[float, str | None, str | None, str]]] = []
    for messages in received:
        parsed = []
        for at, raw in messages:
            message = json.loads(raw)
            data = (message.get("payload") or {}).get("data") or {}
            event = data.get("planEvents") or {}
            parsed.append((at, event.get("cursor"), event.get("at"), message.get("type", "?")))
        out.append(parsed)
    return {"received": out}


# The benchmark ----------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return (
        f"p50 {q[49] * 1000:.0f} ms, p90 {q[89] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms (n={len(ordered)})"
    )


def make_changes(
    bases: list[str], token: str, communities: list[str], changes: int, interval: float
) -> list[tuple[str, float]]:
    """`changes` proposals through the API, alternately through each server: the cursor of
    each one's event and the time its response arrived."""
    today = dt.date.today()
    done: list[tuple[str, float]] = []
    clients = [httpx.Client(base_url=b, timeout=60) for b in bases]
    try:
        for n in range(changes):
            variables = {
                "input": {
                    "kecamatanCode": "31.71.01",
                    "communityIds": communities,
                    "title": f"Rencana bangku {n + 1}",
                    "goals": "Mengukur penyebaran peristiwa",
                    "startsOn": today.isoformat(),
                    "endsOn": (today + dt.timedelta(days=60)).isoformat(),
                    "allocations": [],
                    "trainings": [],
                }
            }
            response = clients[n % len(clients)].post(
                "/graphql",
                json={"query": PROPOSE, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            arrived = time.time()
            payload = response.json()["data"]["proposePlan"]
            if payload["errors"]:
                raise SystemExit(f"a change was refused: {payload['errors']}")
            (line,) = payload["plan"]["events"]
            done.append((line["cursor"], arrived))
            time.sleep(interval)
    finally:
        for client in clients:
            client.close()
    return done


def measure(args: argparse.Namespace, database_url: str, root: Path, label: str) -> bool:
    """One complete run against the code in `root`; prints its figures; True when every
    subscriber got every event exactly once and in order."""
    url = urllib.parse.urlsplit(database_url)
    if not url.scheme.startswith("postgres") or url.hostname not in LOOPBACK:
        raise SystemExit("give a PostgreSQL database on this machine (postgres://…@127.0.0.1/…)")
    print(f"== {label} ({root})")
    load_start = os.getloadavg()
    ids = asyncio.run(setup(database_url))
    scratch = tempfile.TemporaryDirectory(prefix="hub-bench-fanout-")
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_DATA_DIR": scratch.name,
        "HUB_WORKER": "off",
        "HUB_RATE_LIMIT": "0",
        "HUB_CACHE": "off",
        "PYTHONPATH": str(root),
    }
    ports = [args.port + i if args.port else free_port() for i in range(args.servers)]
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(serving(env, port, Path(scratch.name) / f"serve-{port}.log", root))
            for port in ports
        ]
        bases = [base for base, _ in servers]
        pids = [pid for _, pid in servers]
        time.sleep(1.0)
        before = [rss_bytes(pid) for pid in pids]

        context = multiprocessing.get_context("spawn")
        ready, results, give_up = context.Queue(), context.Queue(), context.Event()
        ws_urls = [b.replace("http://", "ws://") + "/graphql" for b in bases]
        client = context.Process(
            target=client_process,
            args=(ws_urls, ids["admin"], args.subscribers, args.changes, ready, results, give_up),
        )
        client.start()
        opened = ready.get(timeout=600)
        print(
            f"{opened['opened']} of {args.subscribers} subscribers connected and subscribed in "
            f"{opened['seconds']:.1f} s over {args.servers} servers"
            + (f"; failures: {opened['failures']}" if opened["failures"] else "")
        )
        time.sleep(3.0)  # every operation registered with its process's fan-out
        after = [rss_bytes(pid) for pid in pids]

        cpu_before = [cpu_seconds(pid) for pid in [*pids, client.pid or 0]]
        began = time.time()
        made = make_changes(
            bases, ids["coordinator"], ids["communities"], args.changes, args.interval
        )
        changes_seconds = time.time() - began
        client_cpu = cpu_seconds(client.pid or 0)  # approximately: deliveries may be in flight
        # the client stops by itself once everyone has everything; give up after 120 s
        try:
            outcome = results.get(timeout=120)
        except Exception:
            give_up.set()
            outcome = results.get(timeout=120)
        cpu_after = [*(cpu_seconds(pid) for pid in pids), client_cpu]
        client.join(timeout=30)
    load_end = os.getloadavg()
    return report(args, made, outcome, changes_seconds, before, after, cpu_before, cpu_after,
                  ports, (load_start[0], load_end[0]))  # fmt: skip


def report(
    args: argparse.Namespace,
    made: list[tuple[str, float]],
    outcome: dict[str, Any],
    changes_seconds: float,
    before: list[int],
    after: list[int],
    cpu_before: list[float],
    cpu_after: list[float],
    ports: list[int],
    load: tuple[float, float],
) -> bool:
    expected = [cursor for cursor, _ in made]
    response_at = dict(made)
    received = outcome["received"]
    exact = missing = twice = disordered = errors = 0
    by_at: list[float] = []
    by_response: list[float] = []
    for messages in received:
        cursors = [cursor for _, cursor, _, _ in messages]
        errors += sum(1 for *_, kind in messages if kind != "next")
        if cursors == expected:
            exact += 1
        else:
            missing += len(set(expected) - set(cursors))
            twice += len(cursors) - len(set(cursors))
            disordered += int(sorted(cursors, key=expected.index) != cursors)
        for arrived, cursor, at, _ in messages:
            if at is not None:
                by_at.append(arrived - dt.datetime.fromisoformat(at).timestamp())
            if cursor in response_at:
                by_response.append(arrived - response_at[cursor])

    print(
        f"{args.changes} changes in {changes_seconds:.1f} s (interval {args.interval} s), "
        f"alternately through {args.servers} servers"
    )
    print(
        f"exactly once and in order: {exact} of {len(received)} subscribers "
        f"(missing {missing}, twice {twice}, out of order {disordered}, error messages {errors})"
    )
    if by_at:
        print(f"latency from the event's `at` (upper bound): {percentiles(by_at)}")
    if by_response:
        print(f"latency from the mutation's response (lower bound): {percentiles(by_response)}")
    per_server = max(1, args.subscribers // args.servers)
    for port, b, a in zip(ports, before, after, strict=True):
        print(
            f"server :{port}: RSS {b / 2**20:.0f} MiB -> {a / 2**20:.0f} MiB, "
            f"{(a - b) / per_server / 1024:.0f} KiB per subscriber"
        )
    total = sum(after) - sum(before)
    used = [a - b for a, b in zip(cpu_after, cpu_before, strict=True)]
    deliveries = args.subscribers * args.changes
    print(
        f"CPU during the changes: servers {' + '.join(f'{u:.1f}' for u in used[:-1])} s "
        f"({sum(used[:-1]) / deliveries * 1e6:.0f} µs per delivery), client process "
        f"{used[-1]:.1f} s ({used[-1] / deliveries * 1e6:.0f} µs per message), "
        f"in {changes_seconds:.1f} s of wall time"
    )
    print(f"memory per subscriber (both servers): {total / args.subscribers / 1024:.0f} KiB")
    print(f"load average at start {load[0]:.2f}, at end {load[1]:.2f} ({os.cpu_count()} cores)")
    return exact == len(received) == args.subscribers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--servers", type=int, default=2, help="hub serve processes (2)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument(
        "--interval", type=float, default=0.1, help="seconds between two changes (0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="first server port (free ports)")
    parser.add_argument(
        "--compare-root",
        type=Path,
        help="another checkout of the hub (e.g. a `git worktree` of an older commit) to measure "
        "first, in the same run, on --compare-database-url",
    )
    parser.add_argument("--compare-database-url", help="an empty PostgreSQL database")
    args = parser.parse_args()
    ok = True
    if args.compare_root:
        if not args.compare_database_url:
            raise SystemExit("--compare-root needs --compare-database-url (another empty one)")
        ok = measure(args, args.compare_database_url, args.compare_root.resolve(), "compared")
        print()
    ok = measure(args, args.database_url, ROOT, "this checkout") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
