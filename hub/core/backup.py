"""Backups: `hub backup FILE` and `hub restore FILE` (DESIGN section 13).

SQLite is copied with its online backup API, page by page under SQLite's own locking, so a
backup taken while `hub serve` writes is consistent. PostgreSQL goes through `pg_dump` and
`pg_restore` in their custom format when they are installed.

A restore refuses while another process serves the database, detected in a way that cannot go
stale: on SQLite every `hub serve` and `hub worker` holds a shared `flock` on `<database>.lock`
(the kernel releases it when the process ends, however it ends) and a restore needs the
exclusive lock; on PostgreSQL any other session connected to the database counts as in use.
After the data is back, pending migrations run and the data version gets a new random epoch, so
every response cache and every ETag handed out before stops matching.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from hub.core import dataversion
from hub.core.database import (
    DatabaseMissing,
    database_exists,
    database_label,
    open_database,
    postgres_dsn,
    sqlite_path,
)
from hub.core.settings import Settings


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# Who serves the database


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """Held by `hub serve` and `hub worker` while they run: a shared lock that makes a restore
    of the same SQLite database refuse. PostgreSQL needs nothing (its sessions are visible)."""
    path = sqlite_path(settings.database_url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock_path(path).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a restore of {database_label(settings.database_url)} is under way; "
                "start again when it has finished"
            ) from None
        yield


@contextmanager
def _exclusive(path: Path) -> Iterator[IO[str]]:
    with _lock_path(path).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"{database_label(f'sqlite://{path}')} is being served (a `hub serve` or "
                "`hub worker` holds it); stop it before restoring"
            ) from None
        yield handle


async def _other_postgres_sessions(database_url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(postgres_dsn(database_url), timeout=10)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return int(count)


# ---------------------------------------------------------------------------------------------
# Backup


def backup(settings: Settings, target: Path) -> str:
    """Write a backup of the database to `target`; returns what was backed up, for people."""
    if not asyncio.run(database_exists(settings.database_url)):
        raise DatabaseMissing(settings.database_url)
    label = database_label(settings.database_url)
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: folder {target.parent} does not exist")
    path = sqlite_path(settings.database_url)
    if path is not None:
        _sqlite_copy(source=path, target=target)
    elif settings.is_sqlite:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    else:
        _pg_dump(settings.database_url, target)
    return label


def _sqlite_copy(*, source: Path, target: Path) -> None:
    """SQLite's online backup into a temporary file beside `target`, renamed when complete."""
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        with _connect(source) as src, _connect(Path(partial)) as dst:
            src.backup(dst)
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools "
            f"(Debian: apt-get install postgresql-client) of the server's major version or newer"
        )
    return found


def _pg_environment(database_url: str) -> dict[str, str]:
    """The password travels in PGPASSWORD, never on a command line others can read."""
    password = urlsplit(database_url).password
    env = os.environ.copy()
    if password:
        env["PGPASSWORD"] = unquote(password)
    return env


def _without_password(database_url: str) -> str:
    dsn = postgres_dsn(database_url)
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return parts._replace(netloc=netloc).geturl()


def _pg_dump(database_url: str, target: Path) -> None:
    target.touch(mode=0o600)  # personal data: readable by its owner only, as the SQLite copy
    target.chmod(0o600)
    command = [
        _tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--dbname={_without_password(database_url)}",
    ]
    _call(command, database_url, "pg_dump")


def _call(command: list[str], database_url: str, what: str) -> None:
    result = subprocess.run(
        command, env=_pg_environment(database_url), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()}")


# ---------------------------------------------------------------------------------------------
# Restore


def restore(settings: Settings, source: Path) -> str:
    """Replace the database's data with the backup in `source`, migrate it and renew the data
    version's epoch. Refused while another process serves the database."""
    if not source.is_file():
        raise BackupError(f"cannot read {source}: no such file")
    if not asyncio.run(database_exists(settings.database_url)):
        raise DatabaseMissing(settings.database_url)
    label = database_label(settings.database_url)
    path = sqlite_path(settings.database_url)
    if path is not None:
        _check_sqlite_backup(source)
        with _exclusive(path):
            with _connect(source) as src, _connect(path) as dst:
                src.backup(dst)
            asyncio.run(_after_restore(settings))
        return label
    if settings.is_sqlite:
        raise BackupError("an in-memory SQLite database cannot be restored")
    restore_tool = _tool("pg_restore")
    others = asyncio.run(_other_postgres_sessions(settings.database_url))
    if others:
        raise BackupError(
            f"{label} is in use ({others} other connection{'s' if others > 1 else ''}: "
            "a `hub serve` or `hub worker`?); stop them before restoring"
        )
    command = [
        restore_tool,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={_without_password(settings.database_url)}",
        str(source),
    ]
    _call(command, settings.database_url, "pg_restore")
    asyncio.run(_after_restore(settings))
    return label


def _check_sqlite_backup(source: Path) -> None:
    try:
        with _connect(source) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{source} is not a SQLite backup of the hub") from None
    if "data_version" not in tables:
        raise BackupError(f"{source} is not a SQLite backup of the hub (no data_version table)")


async def _after_restore(settings: Settings) -> None:
    async with open_database(settings, migrate_on_open=True, create=False):
        await dataversion.renew_epoch()
