"""Side-by-side read benchmark: the hub against PostGraphile 4.14 and a SQL floor.

One command, on a machine with PostgreSQL running, the project installed in the virtualenv,
Node.js with npm, and wrk (Debian's package `wrk`)::

    python bench/read_compare.py --database-url postgres://postgres@127.0.0.1:5432/hub_bench_read

What it does, in this order:

1. Migrates the given database and loads the Jakarta demo into it with the hub's own code
   (`hub.core.database.open_database`, `hub.seed.reference.load_reference_data`,
   `hub.seed.demo.load_demo`);
   a database that already holds the demo is used as it is. Give it a scratch database on this
   machine: only loopback hosts are accepted, and it is loaded hard.
2. Installs PostGraphile 4.14.1 (pinned) with npm into `bench/.work/` unless it is already
   there, and wrk with apt-get when it is missing (as root; otherwise it says how).
3. Starts, on four loopback ports from `--port-base`, each in its own process with one worker:
   the hub (uvicorn, `hub.app:create_app`, access log off, response cache off and/or on:
   `--cache`), PostGraphile (Node.js) over the same tables, and the floor: one hand-written SQL
   query per operation that builds the hub's JSON inside PostgreSQL (json_agg /
   json_build_object), passed through by a bare Starlette route (uvicorn, asyncpg). Every
   server gets a database pool of the same size (`--pool-size`).
4. Asks every server every operation and compares each answer, reduced to plain values, with
   what SQL reads from the tables: an error, a non-200 status or other data stops the run
   before anything is measured. The check is repeated after loading.
5. Loads each server with wrk at the same concurrency in alternating rounds (per round and
   operation: hub, PostGraphile, floor in turn), after a warm-up run each, and prints
   requests/s, p50 and p99 (medians over the rounds), the ratios to PostGraphile and the
   issue's targets as a Markdown section. It is also written, with every round's figures as
   JSON, to `bench/.work/read_compare-<time>.md` and `.json`.
6. With `--profile`, it has also profiled hub requests of each operation in-process
   (cProfile, cache off), before starting the servers, and adds where the time goes.

Operations, written equivalently for each server (the documents and SQL are in
`bench/read_compare/operations.py`):

- `nested`: all kecamatan (at most 100) by code → kota name, centre name → the centre's
  mentors (at most 100) by name → skills (capacity) by sector id → sector code and name.
- `kecamatan`: one kecamatan by code (`--kecamatan`, default 31.71.01) with its centre's name
  and demand per sector, and the communities serving its kota. The hub has no field for the
  demand rows themselves: it reads `needs { sector { code } demand }`, which also works out
  supply and leaves out sectors with neither demand nor supply; PostGraphile and the floor
  return the centre's demand rows. They are compared on the sectors with demand above 0.
  "Serving its kota" is what the hub's `communities(filter: {areaCode: KOTA,
  includeAnywhere: false})` means: an area equal to the kota, the province containing it, or
  a kecamatan inside it. PostGraphile expresses that as the kota's, its parent's and its
  children's served areas (the client merges the three lists and drops repeats).
- `node`: one community by global id: the hub's `node(id:)`, PostGraphile's `node(nodeId:)`,
  the floor a SELECT by primary key after decoding the id.

Child processes run in their own process groups and are stopped on every exit, Ctrl-C and
SIGTERM included. Every wait and every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from read_compare.common import OPERATIONS, REPO, BenchError, Options, plain_dsn
from read_compare.load import run_rounds, write_scripts
from read_compare.operations import read_facts, requests_for
from read_compare.report import figures, section, versions
from read_compare.servers import (
    check_database_url,
    ensure_postgraphile,
    ensure_wrk,
    plan_servers,
    prepare_requests,
    start_all,
    stop,
    verify,
)


async def prepare_database(database_url: str, work_dir: Path) -> bool:
    """Migrate, then load the reference data and the Jakarta demo unless they are there.
    True when the demo was loaded now."""
    from hub.core import Settings, open_database, setup_lock
    from hub.seed import load_demo, load_reference_data

    settings = Settings.from_env(
        {"HUB_DATABASE_URL": plain_dsn(database_url), "HUB_DATA_DIR": str(work_dir / "hub-data")}
    )
    async with open_database(settings, migrate_on_open=True), setup_lock():
        await load_reference_data()
        return await load_demo()


def benchmark(options: Options, command: str) -> int:
    check_database_url(options.database_url)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    node, postgraphile_cli = ensure_postgraphile(options.work_dir)
    try:
        loaded = asyncio.run(prepare_database(options.database_url, options.work_dir))
    except Exception as error:  # the driver's and the ORM's errors vary; say which it was
        raise BenchError(
            f"cannot migrate and seed the database ({type(error).__name__}: {error}). Is "
            "PostgreSQL running, and does the database exist? (createdb -h 127.0.0.1 -U "
            "postgres hub_bench_read)"
        ) from error
    print("Jakarta demo loaded" if loaded else "Jakarta demo already there: reused", flush=True)
    facts = asyncio.run(read_facts(options.database_url, options.kecamatan))
    started, found = datetime.now(UTC), versions(node, wrk, facts)
    profile = ""
    if options.profile:  # first, on the code the servers are about to load, on an idle machine
        from read_compare.profiling import profile_requests

        hub_requests = requests_for("hub", facts, postgraphile_node_id="")
        bodies = {o: hub_requests[o].body for o in OPERATIONS if o in options.operations}
        profile = asyncio.run(profile_requests(options.database_url, options.work_dir, bodies))
        if options.executor:
            executor = asyncio.run(
                profile_requests(options.database_url, options.work_dir, bodies, compiled="off")
            )
            profile += "\nThe same with the compiled path off (the executor):\n\n" + executor
    servers = plan_servers(options)
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.callback(stop, server)
        start_all(servers, options, node, postgraphile_cli)
        prepare_requests(servers, facts)
        sizes = verify(servers, options.operations, facts)
        print("answers checked: every server returns the data the tables hold", flush=True)
        scripts = write_scripts(servers, options.operations, options.work_dir)
        results = run_rounds(wrk, servers, scripts, options)
        if options.rounds:
            verify(servers, options.operations, facts)
    text = section(figures(results, servers, sizes, facts, options), started, found, command)
    if options.profile:
        text += "\nProfile of one hub request per operation, cache off:\n\n" + profile
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    markdown = options.work_dir / f"read_compare-{stamp}.md"
    markdown.write_text(text)
    markdown.with_suffix(".json").write_text(
        json.dumps(
            {
                "command": command,
                "options": asdict(options),
                "sizes": sizes,
                "results": {key: [asdict(r) for r in runs] for key, runs in results.items()},
            },
            indent=2,
            default=str,
        )
    )
    print(f"\n{text}\n(also in {markdown} and {markdown.with_suffix('.json').name})")
    return 0


def parse_args(argv: Sequence[str] | None) -> tuple[Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description="Reads of the hub side by side with PostGraphile 4.14 and a SQL floor.",
        epilog="The module docstring says what is measured and how.",
    )
    add = parser.add_argument
    add("--database-url", required=True, help="postgres://... of a scratch database here")
    add("--duration", type=int, default=10, help="seconds per wrk run (10)")
    add("--warmup", type=int, default=3, help="warm-up seconds per server and operation (3)")
    add("--rounds", type=int, default=3, help="alternating rounds (3; 0 only checks answers)")
    add("--connections", type=int, default=16, help="wrk connections (16)")
    add("--threads", type=int, default=2, help="wrk threads (2)")
    add("--wrk-timeout", type=int, default=30, help="seconds before wrk gives a request up (30)")
    add("--port-base", type=int, default=18700, help="first of four loopback ports (18700)")
    add("--pool-size", type=int, default=10, help="database connections per server (10)")
    add("--cache", choices=["off", "on", "both"], default="both", help="the hub's cache (both)")
    add("--operations", default=",".join(OPERATIONS), help="comma-separated (all)")
    add("--kecamatan", default="31.71.01", help="of the `kecamatan` operation (31.71.01)")
    add("--profile", action="store_true", help="profile one hub request per operation too")
    add(
        "--no-executor",
        action="store_true",
        help="leave out the hub with the compiled path off (HUB_COMPILED_READS=off)",
    )
    add("--two-workers", action="store_true", help="add the hub, cache off, with 2 workers")
    add("--work-dir", type=Path, default=REPO / "bench" / ".work", help="installs and results")
    add("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    add("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    operations = tuple(dict.fromkeys(o.strip() for o in args.operations.split(",") if o.strip()))
    if not operations or not set(operations) <= set(OPERATIONS):
        parser.error(f"--operations: a comma-separated choice of {', '.join(OPERATIONS)}")
    for name in ("duration", "connections", "threads", "pool_size", "wrk_timeout"):
        if not 1 <= getattr(args, name) <= 3600:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 3600")
    if not (0 <= args.rounds <= 50 and 0 <= args.warmup <= 600):
        parser.error("--rounds must be between 0 and 50, --warmup between 0 and 600")
    if not 1024 <= args.port_base <= 65530:
        parser.error("--port-base must be between 1024 and 65530")
    options = Options(
        database_url=args.database_url,
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        connections=args.connections,
        threads=args.threads,
        wrk_timeout=args.wrk_timeout,
        port_base=args.port_base,
        pool_size=args.pool_size,
        cache=args.cache,
        operations=operations,
        kecamatan=args.kecamatan,
        profile=args.profile,
        work_dir=args.work_dir.resolve(),
        executor=not args.no_executor,
        two_workers=args.two_workers,
    )
    return options, args


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`: the servers stop


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def main(argv: Sequence[str] | None = None) -> int:
    options, args = parse_args(argv)
    if args.serve_floor:
        from read_compare.floor import serve_floor

        return serve_floor(options.database_url, args.port, options.pool_size)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    given = sys.argv[1:] if argv is None else list(argv)
    command = "python bench/read_compare.py " + " ".join(_quote(a) for a in given)
    try:
        return benchmark(options, command)
    except BenchError as error:
        print(f"read_compare: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("read_compare: interrupted; every server stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
