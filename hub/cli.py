"""The `hub` command: serve, migrate, seed, worker, token, import, export, person, backup,
restore, report, snapshot, export-schema.

Only `serve`, `migrate` and `seed` may create a database; every other command refuses one that
does not exist. Every command that opens a database names it on standard error first."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hub.core import HubError, Settings, SettingsError

if TYPE_CHECKING:
    from hub.seed import DemoTokens

STDIO = "-"
"""The FILE argument meaning standard input (import) or standard output (export)."""


def _say(message: str) -> None:
    """Progress and notes for the person at the terminal: standard error, never mixed into
    what a command prints for scripts (CSV, JSON, tokens)."""
    print(f"hub: {message}", file=sys.stderr, flush=True)


def _run(settings: Settings, work: Callable[[], Awaitable[Any]], *, create: bool = False) -> Any:
    """Open the database (creating it only when `create`), name it, run `work`."""
    from hub.core import open_database
    from hub.core.database import database_label

    _say(f"database {database_label(settings.database_url)}")

    async def main() -> Any:
        async with open_database(settings, create=create):
            return await work()

    return asyncio.run(main())


async def _prepare(settings: Settings, *, demo: bool) -> DemoTokens | None:
    """Reference data into an empty database; with `demo`, the demo and its tokens."""
    from hub.core import setup_lock
    from hub.seed import demo_tokens, load_demo, load_reference_data

    async with setup_lock():
        await load_reference_data()
        if demo:
            await load_demo()
            return await demo_tokens(settings.data_dir)
    return None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1 to 65535")
    return port


def _at_least_one(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _port_problem(host: str, port: int) -> str | None:
    """Why `hub serve` could not listen on host:port, found by binding it the way uvicorn
    will (SO_REUSEADDR), before anything else happens; None when it can."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {host}: {error.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another `hub serve`?); "
                    "stop it or choose another with --port"
                )
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from hub.core.backup import serving
    from hub.web import uvicorn_log_config

    problem = _port_problem(args.host, args.port)
    if problem:
        _say(problem)
        return 1
    with serving(settings):
        tokens = _run(settings, lambda: _prepare(settings, demo=not args.no_demo), create=True)
        base_url = settings.base_url or f"http://{args.host}:{args.port}"
        os.environ.setdefault("HUB_BASE_URL", base_url)
        print(f"OK OCE hub: GraphiQL at {base_url}/graphql", flush=True)
        if tokens is not None and tokens.tokens:
            _print_demo_tokens(tokens)
        sys.stdout.flush()
        delivery = _start_delivery_worker(settings)
        try:
            uvicorn.run(
                "hub.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                ws_per_message_deflate=settings.ws_per_message_deflate,
                log_level="info",
                log_config=uvicorn_log_config(),
            )
        finally:
            _stop_delivery_worker(delivery)
    return 0


def _print_demo_tokens(tokens: DemoTokens) -> None:
    if tokens.renewed:
        _say(f"new demo tokens written to {tokens.path} ({tokens.renewed})")
    last_day = min(t.expires_on for t in tokens.tokens)
    print(
        f"Demo tokens, valid until {last_day.isoformat()} (kept in {tokens.path}; paste into "
        'GraphiQL\'s Headers as {"Authorization": "Bearer …"}):'
    )
    for token in tokens.tokens:
        print(f"  {token.role:<12} {token.email:<34} {token.secret}")


def _start_delivery_worker(settings: Settings) -> subprocess.Popen[bytes] | None:
    """One delivery worker (and, without HUB_SMTP_URL, the local sink) beside the web
    workers, however many there are: a `hub worker` child that exits with this process."""
    if not settings.worker_enabled:
        return None
    command = [sys.executable, "-m", "hub.cli", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command, env=os.environ.copy())


def _stop_delivery_worker(process: subprocess.Popen[bytes] | None) -> None:
    """Graceful stop: the worker finishes the message in flight and hands the rest back."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return seconds


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core.backup import serving
    from hub.core.database import DatabaseMissing, database_exists, database_label
    from hub.notify import run_worker

    if args.parent_pid is None:  # `hub serve`'s own worker: serve has named and made it
        _say(f"database {database_label(settings.database_url)}")
        if not asyncio.run(database_exists(settings.database_url)):
            raise DatabaseMissing(settings.database_url)
    with serving(settings):
        return run_worker(
            settings,
            lease_seconds=args.lease_seconds,
            batch_size=args.batch_size,
            parent_pid=args.parent_pid,
        )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from hub.matching import places

    async def migrate() -> int:
        await _prepare(settings, demo=False)
        return await places.repair()

    mended = _run(settings, migrate, create=True)
    print("database migrated; reference data present")
    if mended:
        _say(
            f"{mended} kept figures (free places, supplies, demand, gaps) differed from the "
            "full computation; mended"
        )
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    if args.synthetic:
        return _seed_synthetic(args, settings)
    from hub.core import setup_lock
    from hub.seed import demo_tokens, load_demo, load_reference_data

    async def seed() -> tuple[bool, DemoTokens]:
        async with setup_lock():
            await load_reference_data()
            loaded = await load_demo()
            return loaded, await demo_tokens(settings.data_dir)

    loaded, tokens = _run(settings, seed, create=True)
    print("Jakarta demo loaded" if loaded else "Jakarta demo already present; nothing changed")
    if tokens.renewed:
        _say(f"demo tokens written to {tokens.path} (`hub serve` prints them)")
    return 0


def _seed_synthetic(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core import setup_lock
    from hub.seed import NATIONAL, Loaded, load_national
    from hub.seed.synthetic import NATIONAL_STEPS

    if args.scale <= 0:
        _say("--scale must be positive")
        return 2

    async def seed() -> Loaded:
        with _progress(len(NATIONAL_STEPS), unit="step") as step:
            async with setup_lock():
                return await load_national(
                    seed=args.seed, size=NATIONAL.scaled(args.scale), step=step
                )

    print(f"loading the synthetic {args.synthetic} dataset (seed {args.seed})...", flush=True)
    loaded = _run(settings, seed, create=True)
    print(f"synthetic {args.synthetic} dataset loaded: {loaded.summary()}")
    return 0


@contextmanager
def _counter(*, unit: str, description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error when it is a terminal, nothing otherwise: the
    callback is told (done, total); the bar appears with the first call."""
    from tqdm import tqdm

    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(
                total=total,
                unit=unit,
                desc=description,
                disable=not sys.stderr.isatty(),
                leave=False,
            )
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


@contextmanager
def _progress(total: int, *, unit: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on standard error when it is a terminal (tqdm), nothing otherwise: the
    callback is called with the name of each step as it begins."""
    from tqdm import tqdm

    with tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), leave=False) as bar:
        started = False

        def step(name: str) -> None:
            nonlocal started
            if started:
                bar.update(1)
            started = True
            bar.set_description(name)

        yield step
        if started:
            bar.update(1)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from hub.access import auth
    from models.enums import Role

    if args.token_command == "create":

        async def create() -> Any:
            community_id = await _community_pk(args.community) if args.community else None
            return await auth.create_token(
                email=args.email,
                role=Role(args.role),
                centre_code=args.centre,
                community_id=community_id,
                name=args.name or "",
                expires_days=args.expires_days,
            )

        issued = _run(settings, create)
        expiry = issued.token.expires_at.isoformat() if issued.token.expires_at else "never"
        print(
            f"token {issued.token.id} for {issued.account.email} "
            f"({issued.account.role.value}), expires {expiry}. Shown once:"
        )
        print(issued.secret)
        return 0
    if args.token_command == "list":
        tokens = _run(settings, lambda: auth.list_tokens(email=args.email))
        print("id\taccount\trole\tname\tcreated\tlast used\texpires\trevoked")
        for t in tokens:
            print(
                "\t".join(
                    [
                        str(t.id),
                        t.account.email,
                        t.account.role.value,
                        t.name or "-",
                        _when(t.created_at),
                        _when(t.last_used_at),
                        _when(t.expires_at),
                        _when(t.revoked_at),
                    ]
                )
            )
        return 0
    token = _run(settings, lambda: auth.revoke_token(token_id=args.token_id))
    print(f"token {token.id} revoked")
    return 0


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


async def _community_pk(value: str) -> int:
    """A community named by its exact name, its global id or its number."""
    from hub.core import NotFound, decode_global_id
    from models.directory import Community

    named = await Community.get_or_none(name=value.strip())
    if named is not None:
        return named.id
    if value.isdigit():
        return int(value)
    try:
        return decode_global_id(value, "Community", field="community")
    except HubError:
        raise NotFound(
            f"no community named {value!r} (give its exact name or its global id)",
            field=["community"],
        ) from None


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from hub.directory import import_csv

    try:
        data = sys.stdin.buffer.read() if args.file == STDIO else Path(args.file).read_bytes()
    except OSError as error:
        _say(f"cannot read {args.file}: {error.strerror}")
        return 2
    with _counter(unit="row", description="writing") as progress:
        report = _run(
            settings,
            lambda: import_csv(args.kind, data, dry_run=args.dry_run, progress=progress),
        )
    if report.problems:
        print(f"hub: {args.file}: nothing imported; fix these lines:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    would = "would be " if args.dry_run else ""
    for change in report.changes:
        done = "created" if change.created else "updated"
        print(f"line {change.line}: {would}{done} {change.label}")
    print(
        f"{args.kind}: {report.created} {would}created, {report.updated} {would}updated, "
        f"{report.unchanged} unchanged" + (" (dry run: nothing written)" if args.dry_run else "")
    )
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from hub.directory import export_csv

    if args.kind == "registrations":
        return cmd_export_registrations(args, settings)
    target = _export_target(args.file)
    if target is False:
        return 2
    return _write_table(_run(settings, lambda: export_csv(args.kind)), target)


def _export_target(file: str | None) -> Path | Literal[False] | None:
    """Where an export goes: a file, None for standard output, False (said why) when its folder
    does not exist, checked before the database is opened."""
    target = None if file in (None, STDIO) else Path(file)
    if target is not None and not target.parent.is_dir():
        _say(f"cannot write {target}: folder {target.parent} does not exist")
        return False
    return target


def _write_table(table: str, target: Path | None) -> int:
    if target is None:
        sys.stdout.write(table)
        return 0
    try:
        target.write_text(table, encoding="utf-8", newline="")
    except OSError as error:
        _say(f"cannot write {target}: {error.strerror}")
        return 2
    return 0


def cmd_person(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from hub.access import erase_person, export_person

    if args.person_command == "export":
        data = _run(settings, lambda: export_person(email=args.email))
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return 0

    async def erase() -> dict[str, Any] | None:
        held = await export_person(email=args.email)
        if not any(held[k] for k in ("mentors", "accounts", "notifications")):
            return None
        if not args.yes and sys.stdin.isatty() and not _confirmed(held):
            return {}
        return await erase_person(email=args.email)

    done = _run(settings, erase)
    if done is None:
        _say(f"nobody with the email address {args.email!r}: nothing erased")
        return 1
    if not done:
        _say("nothing erased")
        return 1
    print(json.dumps(done, indent=2, ensure_ascii=False))
    return 0


def _confirmed(held: dict[str, Any]) -> bool:
    """Ask at the terminal; only 'y' or 'yes' goes ahead."""
    what = ", ".join(
        f"{len(held[k])} {k}" for k in ("mentors", "accounts", "notifications") if held[k]
    )
    try:
        answer = input(
            f"Erase the contact data of {held['email']} ({what}) and pseudonymise the name? "
            "This cannot be undone. [y/N] "
        )
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core.backup import backup
    from hub.core.database import database_label

    target = Path(args.file)
    _say(f"database {database_label(settings.database_url)}")
    backup(settings, target)
    _say(f"backup written to {target}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core.backup import restore
    from hub.core.database import database_label

    _say(f"database {database_label(settings.database_url)}")
    restore(settings, Path(args.file))
    _say(f"restored from {args.file}; caches and ETags of the old data no longer match")
    return 0


def cmd_export_registrations(args: argparse.Namespace, settings: Settings) -> int:
    """`hub export registrations --training ID [FILE]`: the training's list, as CSV."""
    from hub.core import HubError, decode_global_id, encode_global_id
    from hub.participation import registrations_csv

    if not args.training:
        _say("export registrations needs --training ID (the training's global id or number)")
        return 2
    target = _export_target(args.file)
    if target is False:
        return 2
    training = args.training
    if training.isascii() and training.isdigit():
        training = encode_global_id("Training", int(training))  # checked like any global id
    try:
        training_id = decode_global_id(training, "Training", field="training")
        table = _run(settings, lambda: registrations_csv(training_id=training_id))
    except HubError as error:
        _say(error.message)
        return 1
    return _write_table(table, target)


def cmd_privacy(args: argparse.Namespace, settings: Settings) -> int:
    """`hub privacy purge [--dry-run]`: anonymise participants past the retention period."""
    from hub.participation import purge

    done = _run(settings, lambda: purge(settings=settings, dry_run=args.dry_run))
    verb = "would be" if done.dry_run else "were"
    print(
        f"{done.participants} participants {verb} anonymised and {done.interests} interests "
        f"{verb} removed (retention {settings.participant_retention_days} days)"
    )
    return 0


def cmd_events(args: argparse.Namespace, settings: Settings) -> int:
    """`hub events purge`: delete stream-only events older than the retention."""
    from hub.integration import purge_old_events

    deleted = _run(settings, lambda: purge_old_events(settings))
    print(
        f"{deleted} events older than {settings.event_retention_days} days were removed "
        "(plans' history lines are kept)"
    )
    return 0


def parse_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Like `parse_args`, but `export registrations --training ID FILE` may name its FILE after
    the option (argparse would take the positionals only before it)."""
    args, extra = parser.parse_known_args(argv)
    trailing_file = (
        getattr(args, "kind", None) == "registrations" and args.file is None and len(extra) == 1
    )
    if extra and not (args.command == "export" and trailing_file):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.file = extra[0]
    return args


def add_participation_commands(commands: Any) -> None:
    privacy = commands.add_parser("privacy", help="retention of participants' personal data")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True)
    purging = privacy_commands.add_parser(
        "purge", help="anonymise participants past HUB_PARTICIPANT_RETENTION_DAYS"
    )
    purging.add_argument("--dry-run", action="store_true", help="only count what would go")
    privacy.set_defaults(func=cmd_privacy)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """`hub report --month YYYY-MM [--kota CODE] [--format html|csv] [FILE]`: the monthly
    programme report; without `--format`, a FILE ending in .html or .htm gets HTML, anything
    else CSV."""
    from hub.reports import report_file

    target = _export_target(args.file)
    if target is False:
        return 2
    file_format = args.format or (
        "html" if target is not None and target.suffix.lower() in (".html", ".htm") else "csv"
    )
    table = _run(
        settings,
        lambda: report_file(month=args.month, kota_code=args.kota, file_format=file_format),
    )
    return _write_table(table, target)


def cmd_snapshot(args: argparse.Namespace, settings: Settings) -> int:
    """`hub snapshot`: today's snapshot (Asia/Jakarta) of every kecamatan, unless taken."""
    from hub.reports import take_snapshot

    taken = _run(settings, take_snapshot)
    state = "taken now" if taken.written else "already taken"
    print(f"snapshot of {taken.day.isoformat()}: {taken.kecamatans} kecamatan, {state}")
    return 0


def add_report_commands(commands: Any) -> None:
    reporting = commands.add_parser(
        "report", help="the monthly programme report (HTML with charts, or CSV)"
    )
    reporting.add_argument(
        "--month", required=True, metavar="YYYY-MM", help="the month, in Asia/Jakarta time"
    )
    reporting.add_argument("--kota", metavar="CODE", help="only this kota, e.g. 31.71")
    reporting.add_argument(
        "--format",
        choices=["html", "csv"],
        help="default: html when FILE ends in .html or .htm, else csv",
    )
    reporting.add_argument("file", nargs="?", metavar="FILE", help="default or -: standard output")
    reporting.set_defaults(func=cmd_report)
    snapshot = commands.add_parser(
        "snapshot",
        help="record today's figures of every kecamatan (the worker does it daily), if missing",
    )
    snapshot.set_defaults(func=cmd_snapshot)


def add_event_commands(commands: Any) -> None:
    events = commands.add_parser("events", help="the event stream of partner integration")
    events_commands = events.add_subparsers(dest="events_command", required=True)
    events_commands.add_parser(
        "purge",
        help="delete events older than HUB_EVENT_RETENTION_DAYS, except plans' history lines",
    )
    events.set_defaults(func=cmd_events)


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from schema import sdl

    sys.stdout.write(sdl())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub",
        description="OK OCE collaboration hub: GraphQL for centres and communities.",
        epilog="The database is HUB_DATABASE_URL, or the SQLite file hub.sqlite3 in HUB_DATA_DIR "
        "(default ./var, relative to the current folder). Only serve, migrate and seed create "
        "it; every command names the database it opens on standard error.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = argparse.ArgumentDefaultsHelpFormatter

    serve = commands.add_parser(
        "serve",
        help="migrate, load data if empty, and serve GraphQL",
        description="Create or migrate the database, load the reference data (and the Jakarta "
        "demo) into an empty one, print the GraphiQL address and the demo tokens (the same at "
        "every start, from HUB_DATA_DIR/demo-tokens.txt), start the email delivery worker "
        "(unless HUB_WORKER=off) and serve until stopped.",
        formatter_class=defaults,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port to listen on (1-65535)")
    serve.add_argument(
        "--workers", type=_at_least_one, default=1, help="web worker processes (uvicorn)"
    )
    serve.add_argument(
        "--no-demo",
        action="store_true",
        help="load only the reference data (regions, centres, sectors), not the Jakarta demo",
    )
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser(
        "migrate",
        help="apply pending migrations and load reference data",
        description="Create the database if it does not exist, apply pending migrations (under "
        "a PostgreSQL advisory lock), load the reference data if it is missing, check the "
        "kept figures of the matching (free places, supplies, gaps) against the full "
        "computation (mending any difference), and exit. The deploy step before `hub serve`.",
    )
    migrate.set_defaults(func=cmd_migrate)

    seed = commands.add_parser(
        "seed",
        help="load a dataset",
        description="Load the Jakarta demo into the hub's database, or the synthetic national "
        "dataset into a database of its own.",
        formatter_class=defaults,
    )
    which = seed.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--demo",
        action="store_true",
        help="the Jakarta demo (nothing changes when it is already there); writes "
        "HUB_DATA_DIR/demo-tokens.txt",
    )
    which.add_argument(
        "--synthetic",
        choices=["national"],
        help="a deterministic dataset of Indonesia's size (7,285 kecamatan). It needs its own "
        "database holding nothing but the reference data: point HUB_DATABASE_URL at a new one, "
        "e.g. HUB_DATABASE_URL=sqlite:///tmp/national.sqlite3",
    )
    seed.add_argument(
        "--seed", type=int, default=2017, metavar="N", help="random seed of --synthetic"
    )
    seed.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    seed.set_defaults(func=cmd_seed)

    worker = commands.add_parser(
        "worker",
        help="run only the background loops: email and webhook delivery, the daily privacy "
        "purge and snapshot (until SIGTERM or Ctrl-C)",
        formatter_class=defaults,
    )
    worker.add_argument(
        "--lease-seconds",
        type=_positive_seconds,
        default=60.0,
        metavar="S",
        help=(
            "how long claimed emails and webhook deliveries stay with this worker before "
            "another may take them over"
        ),
    )
    worker.add_argument(
        "--batch-size", type=_at_least_one, default=100, metavar="N", help="emails claimed per pass"
    )
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    token = commands.add_parser("token", help="create, list or revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser(
        "create",
        help="create a token (and its account if new)",
        description="Create the account if needed, and a new token printed alone on the last "
        "line, once. An existing account keeps its role and scope.",
    )
    create.add_argument(
        "--role", required=True, choices=["ADMIN", "STAFF", "COORDINATOR", "PARTNER"]
    )
    create.add_argument("--email", required=True, help="the account's email address")
    create.add_argument(
        "--centre",
        metavar="KECAMATAN_CODE",
        help="the centre of a STAFF account, by its kecamatan code (31.71.01)",
    )
    create.add_argument(
        "--community",
        metavar="NAME_OR_ID",
        help="the community of a COORDINATOR account: its exact name "
        '("Komunitas Kuliner Nusantara") or its global id',
    )
    create.add_argument("--name", help="what the token is for (shown by `token list`)")
    create.add_argument(
        "--expires-days",
        type=_at_least_one,
        metavar="D",
        help="days until the token expires (default: never)",
    )
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--email", help="only the tokens of this account")
    revoke = token_commands.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token_id", type=int, metavar="TOKEN_ID", help="the id `token list` shows")
    token.set_defaults(func=cmd_token)

    kinds = ["communities", "mentors", "demand"]
    importing = commands.add_parser(
        "import", help="import communities, mentors or demand from a CSV file (all or nothing)"
    )
    importing.add_argument("kind", choices=kinds)
    importing.add_argument("file", metavar="FILE", help="the CSV file; - for standard input")
    importing.add_argument(
        "--dry-run", action="store_true", help="check and report what would change; write nothing"
    )
    importing.set_defaults(func=cmd_import)
    exporting = commands.add_parser(
        "export", help="export communities, mentors, demand or a training's registrations as CSV"
    )
    exporting.add_argument("kind", choices=[*kinds, "registrations"])
    exporting.add_argument(
        "file", metavar="FILE", nargs="?", help="the CSV file to write; - or none: standard output"
    )
    exporting.add_argument(
        "--training", metavar="ID", help="registrations: the training (global id or number)"
    )
    exporting.set_defaults(func=cmd_export)

    person = commands.add_parser("person", help="personal-data rights (UU PDP 27/2022)")
    person_commands = person.add_subparsers(dest="person_command", required=True)
    person_export = person_commands.add_parser(
        "export", help="print every piece of personal data held about EMAIL, as JSON"
    )
    person_export.add_argument("email", metavar="EMAIL")
    person_erase = person_commands.add_parser(
        "erase",
        help="remove EMAIL's contact data and pseudonymise the name",
        description="Remove the contact data of the owner of EMAIL and replace the name with "
        "a pseudonym everywhere. Asks for confirmation on a terminal; exits 1 when the hub "
        "holds nothing about EMAIL.",
    )
    person_erase.add_argument("email", metavar="EMAIL")
    person_erase.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation on a terminal"
    )
    person.set_defaults(func=cmd_person)
    add_participation_commands(commands)
    add_event_commands(commands)

    backup = commands.add_parser(
        "backup",
        help="write a backup of the database to FILE (also while serving)",
        description="SQLite: an online backup (consistent while `hub serve` writes). "
        "PostgreSQL: pg_dump in its custom format (pg_dump must be installed).",
    )
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(func=cmd_backup)
    restore = commands.add_parser(
        "restore",
        help="replace the database's data with a backup (refused while it is served)",
        description="Replace the data with the backup in FILE (SQLite file, or pg_restore of "
        "a pg_dump custom-format file), apply pending migrations and give the data version a "
        "new epoch, so every cache and ETag notices. Refused while a `hub serve` or `hub "
        "worker` uses the database.",
    )
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(func=cmd_restore)

    add_report_commands(commands)

    export_schema = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export_schema.set_defaults(func=cmd_export_schema)
    return parser


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_folder() -> Iterator[Path]:
    """The folder where every process of `hub serve` (web workers, delivery worker) keeps its
    metric files, so that `/metrics` adds them up: `PROMETHEUS_MULTIPROC_DIR` when it is set
    (emptied of an earlier run's files), else a new temporary folder, removed at the end.
    It must be set before prometheus-client is first imported in this process."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics folder was set")
    given = os.environ.get(METRICS_DIR_ENV, "").strip()
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in [*folder.glob("*.db"), folder / "operation-names.txt"]:
            stale.unlink(missing_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="hub-metrics-"))
        os.environ[METRICS_DIR_ENV] = str(folder)
    # uvicorn stops gracefully on SIGTERM and then raises it again; by default that would end
    # the process without unwinding, leaving the folder (and the delivery worker) behind.
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield folder
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if not given:
            os.environ.pop(METRICS_DIR_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM after a graceful stop: leave through the `finally` blocks, with success."""
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(build_parser(), argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        with metrics_folder():
            return _main(args, settings)
    return _main(args, settings)


def _main(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core.backup import BackupError
    from hub.core.database import DatabaseMissing, DatabaseUnreachable
    from hub.web import configure_logging, log_format

    try:
        log_format()
    except ValueError as error:
        _say(str(error))
        return 2
    configure_logging()
    try:
        return int(args.func(args, settings))
    except HubError as error:
        _say(error.message)
        return 1
    except (DatabaseMissing, DatabaseUnreachable, BackupError) as error:
        _say(str(error))
        return 1


if __name__ == "__main__":
    sys.exit(main())
