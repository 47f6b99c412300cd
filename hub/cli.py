"""The `hub` command: serve, migrate, seed, worker, token, import, export, person, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from hub.core import HubError, Settings, SettingsError


def _run(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    from hub.core import open_database

    async def main() -> Any:
        async with open_database(settings):
            return await work()

    return asyncio.run(main())


async def _prepare(*, demo: bool) -> list[tuple[Any, str]]:
    """Reference data into an empty database; with `demo`, the demo and its tokens."""
    from hub.core import setup_lock
    from hub.seed import issue_demo_tokens, load_demo, load_reference_data

    async with setup_lock():
        await load_reference_data()
        if demo:
            await load_demo()
    return await issue_demo_tokens() if demo else []


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    tokens = _run(settings, lambda: _prepare(demo=not args.no_demo))
    base_url = settings.base_url or f"http://{args.host}:{args.port}"
    os.environ.setdefault("HUB_BASE_URL", base_url)
    print(f"OK OCE hub: GraphiQL at {base_url}/graphql", flush=True)
    if tokens:
        print('Demo tokens (paste into GraphiQL\'s Headers as {"Authorization": "Bearer …"}):')
        for account, secret in tokens:
            print(f"  {account.role.value:<12} {account.email:<34} {secret}")
    sys.stdout.flush()
    delivery = _start_delivery_worker(settings)
    try:
        uvicorn.run(
            "hub.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
        )
    finally:
        _stop_delivery_worker(delivery)
    return 0


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
    from hub.notify import run_worker

    return run_worker(
        settings,
        lease_seconds=args.lease_seconds,
        batch_size=args.batch_size,
        parent_pid=args.parent_pid,
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _run(settings, lambda: _prepare(demo=False))
    print("database migrated; reference data present")
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    if args.synthetic:
        return _seed_synthetic(args, settings)
    from hub.core import setup_lock
    from hub.seed import load_demo, load_reference_data

    async def seed() -> bool:
        async with setup_lock():
            await load_reference_data()
            return await load_demo()

    loaded = _run(settings, seed)
    print("Jakarta demo loaded" if loaded else "Jakarta demo already present; nothing changed")
    return 0


def _progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def _seed_synthetic(args: argparse.Namespace, settings: Settings) -> int:
    from hub.core import setup_lock
    from hub.seed import NATIONAL, Loaded, load_national

    if args.scale <= 0:
        print("hub: --scale must be positive", file=sys.stderr)
        return 2

    async def seed() -> Loaded:
        async with setup_lock():
            return await load_national(
                seed=args.seed, size=NATIONAL.scaled(args.scale), progress=_progress
            )

    print(f"loading the synthetic {args.synthetic} dataset (seed {args.seed})...", flush=True)
    loaded = _run(settings, seed)
    print(f"synthetic {args.synthetic} dataset loaded: {loaded.summary()}")
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from hub.access import auth
    from models.enums import Role

    if args.token_command == "create":
        community_id = _community_pk(args.community) if args.community else None
        issued = _run(
            settings,
            lambda: auth.create_token(
                email=args.email,
                role=Role(args.role),
                centre_code=args.centre,
                community_id=community_id,
                name=args.name or "",
                expires_days=args.expires_days,
            ),
        )
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


def _community_pk(value: str) -> int:
    from hub.core import decode_global_id

    if value.isdigit():
        return int(value)
    return decode_global_id(value, "Community", field="community")


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from hub.directory import import_csv

    try:
        data = Path(args.file).read_bytes()
    except OSError as error:
        print(f"hub: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    report = _run(settings, lambda: import_csv(args.kind, data, dry_run=args.dry_run))
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
    table = _run(settings, lambda: export_csv(args.kind))
    if args.file:
        Path(args.file).write_text(table, encoding="utf-8", newline="")
    else:
        sys.stdout.write(table)
    return 0


def cmd_person(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from hub.access import erase_person, export_person

    if args.person_command == "export":
        data = _run(settings, lambda: export_person(email=args.email))
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return 0
    done = _run(settings, lambda: erase_person(email=args.email))
    print(json.dumps(done, indent=2, ensure_ascii=False))
    return 0


def cmd_export_registrations(args: argparse.Namespace, settings: Settings) -> int:
    """`hub export registrations --training ID [FILE]`: the training's list, as CSV."""
    from hub.core import HubError, decode_global_id
    from hub.participation import registrations_csv

    if not args.training:
        print("hub: export registrations needs --training ID", file=sys.stderr)
        return 2
    try:
        training_id = (
            int(args.training)
            if args.training.isdigit()
            else decode_global_id(args.training, "Training", field="training")
        )
        table = _run(settings, lambda: registrations_csv(training_id=training_id))
    except HubError as error:
        print(f"hub: {error.message}", file=sys.stderr)
        return 1
    if args.file:
        Path(args.file).write_text(table, encoding="utf-8", newline="")
    else:
        sys.stdout.write(table)
    return 0


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


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from schema import sdl

    sys.stdout.write(sdl())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub", description="OK OCE collaboration hub: GraphQL for centres and communities."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, load data if empty, and serve GraphQL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-demo", action="store_true", help="reference data only, no demo")
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser(
        "migrate", help="apply pending migrations and load reference data"
    )
    migrate.set_defaults(func=cmd_migrate)

    seed = commands.add_parser("seed", help="load a dataset")
    which = seed.add_mutually_exclusive_group(required=True)
    which.add_argument("--demo", action="store_true", help="the Jakarta demo")
    which.add_argument(
        "--synthetic",
        choices=["national"],
        help="a deterministic dataset of Indonesia's size, into its own empty database",
    )
    seed.add_argument(
        "--seed", type=int, default=2017, metavar="N", help="random seed of --synthetic"
    )
    seed.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    seed.set_defaults(func=cmd_seed)

    worker = commands.add_parser(
        "worker", help="run only the notification delivery loop (until SIGTERM or Ctrl-C)"
    )
    worker.add_argument(
        "--lease-seconds",
        type=_positive_seconds,
        default=60.0,
        metavar="S",
        help="how long claimed emails stay with this worker before another may take them over",
    )
    worker.add_argument(
        "--batch-size", type=int, default=100, metavar="N", help="emails claimed per pass"
    )
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    worker.set_defaults(func=cmd_worker)

    token = commands.add_parser("token", help="create, list or revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token (and its account if new)")
    create.add_argument(
        "--role", required=True, choices=["ADMIN", "STAFF", "COORDINATOR", "PARTNER"]
    )
    create.add_argument("--email", required=True)
    create.add_argument("--centre", metavar="KECAMATAN_CODE", help="the centre of a STAFF account")
    create.add_argument("--community", metavar="GLOBAL_ID", help="the community of a COORDINATOR")
    create.add_argument("--name", help="what the token is for")
    create.add_argument("--expires-days", type=int, metavar="D")
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--email")
    revoke = token_commands.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token_id", type=int, metavar="TOKEN_ID")
    token.set_defaults(func=cmd_token)

    kinds = ["communities", "mentors", "demand"]
    importing = commands.add_parser(
        "import", help="import communities, mentors or demand from a CSV file (all or nothing)"
    )
    importing.add_argument("kind", choices=kinds)
    importing.add_argument("file", metavar="FILE")
    importing.add_argument(
        "--dry-run", action="store_true", help="check and report what would change; write nothing"
    )
    importing.set_defaults(func=cmd_import)
    exporting = commands.add_parser(
        "export", help="export communities, mentors, demand or a training's registrations as CSV"
    )
    exporting.add_argument("kind", choices=[*kinds, "registrations"])
    exporting.add_argument("file", metavar="FILE", nargs="?", help="default: standard output")
    exporting.add_argument("--training", metavar="ID", help="registrations: the training")
    exporting.set_defaults(func=cmd_export)

    person = commands.add_parser("person", help="personal-data rights (UU PDP 27/2022)")
    person_commands = person.add_subparsers(dest="person_command", required=True)
    person_export = person_commands.add_parser(
        "export", help="print every piece of personal data held about EMAIL, as JSON"
    )
    person_export.add_argument("email", metavar="EMAIL")
    person_erase = person_commands.add_parser(
        "erase", help="remove EMAIL's contact data and pseudonymise the name"
    )
    person_erase.add_argument("email", metavar="EMAIL")
    person.set_defaults(func=cmd_person)
    add_participation_commands(commands)

    export_schema = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export_schema.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(build_parser(), argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    from hub.web import configure_logging

    configure_logging()
    try:
        return int(args.func(args, settings))
    except HubError as error:
        print(f"hub: {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
