"""Database setup: the Tortoise configuration, opening the database and migrate-on-open.

Only the commands that set a hub up (`hub serve`, `hub migrate`, `hub seed`) may create a
database; everything else opens one that exists or says which one is missing (DESIGN section
13), so a command run from another folder never works on a new, empty database by mistake."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.executor import MigrationExecutor
from tortoise.transactions import in_transaction

from hub.core.settings import Settings
from models import MODEL_MODULES

log = logging.getLogger(__name__)

# Any constant that no other application on the same PostgreSQL uses for its own advisory lock.
MIGRATION_LOCK_KEY = 0x0C0E_4B1D


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database URL."""
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by the `tortoise` command (`tortoise makemigrations`), see pyproject.toml.
TORTOISE_ORM = tortoise_config(
    os.environ.get("HUB_DATABASE_URL") or "sqlite://:memory:",
)


class DatabaseMissing(RuntimeError):
    """The database a command should open does not exist, and the command may not create it."""

    def __init__(self, database_url: str) -> None:
        label = database_label(database_url)
        where = (
            "HUB_DATA_DIR or HUB_DATABASE_URL"
            if database_url.startswith("sqlite")
            else ("HUB_DATABASE_URL")
        )
        super().__init__(
            f"no database at {label}: run `hub migrate` (or `hub serve`) to create it, or "
            f"set {where} to the hub's database"
        )


class DatabaseUnreachable(RuntimeError):
    """The PostgreSQL server of the database cannot be reached or refuses the connection."""

    def __init__(self, database_url: str, reason: str) -> None:
        super().__init__(f"cannot connect to {database_label(database_url)}: {reason}")


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def database_label(database_url: str) -> str:
    """The database a URL names, for people: a SQLite file's absolute path, or the PostgreSQL
    URL without password and options."""
    if database_url.startswith("sqlite://"):
        path = sqlite_path(database_url)
        return f"SQLite {path.resolve()}" if path else "SQLite in memory"
    parts = urlsplit(database_url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def postgres_dsn(database_url: str) -> str:
    """The URL as libpq and asyncpg read it: Tortoise's pool options (`?minsize=`) removed."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


async def database_exists(database_url: str) -> bool:
    """Whether the SQLite file or the PostgreSQL database exists (in memory always does)."""
    if database_url.startswith("sqlite://"):
        path = sqlite_path(database_url)
        return path is None or path.exists()
    import asyncpg

    try:
        connection = await asyncpg.connect(postgres_dsn(database_url), timeout=10)
    except asyncpg.InvalidCatalogNameError:
        return False
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DatabaseUnreachable(database_url, str(error) or type(error).__name__) from None
    await connection.close()
    return True


def is_postgres(connection: BaseDBAsyncClient) -> bool:
    return connection.capabilities.dialect == "postgres"


@asynccontextmanager
async def setup_lock(connection: BaseDBAsyncClient | None = None) -> AsyncIterator[None]:
    """Serialise set-up work (migrations, reference data) across processes: on PostgreSQL an
    advisory lock held on one dedicated connection; SQLite serialises writers itself."""
    connection = connection or connections.get("default")
    if not is_postgres(connection):
        yield
        return
    async with connection.acquire_connection() as raw:
        await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            yield
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def migrate() -> None:
    """Apply pending migrations, under the set-up lock so that processes starting together
    never race."""
    connection = connections.get("default")
    async with setup_lock(connection):
        await MigrationExecutor(connection, tortoise_config("")["apps"]).migrate()


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate_on_open: bool | None = None, create: bool = True
) -> AsyncIterator[None]:
    """Initialise Tortoise for `settings.database_url` and, unless switched off, migrate.

    With `create`, a missing database is created (the SQLite file and its folder, or the
    PostgreSQL database); without, a missing one raises `DatabaseMissing`."""
    exists = await database_exists(settings.database_url)
    if not exists and not create:
        raise DatabaseMissing(settings.database_url)
    path = sqlite_path(settings.database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    await Tortoise.init(
        config=tortoise_config(settings.database_url),
        _enable_global_fallback=True,
        _create_db=not exists and path is None and not settings.is_sqlite,
    )
    try:
        if settings.auto_migrate if migrate_on_open is None else migrate_on_open:
            await migrate()
        yield
    finally:
        await Tortoise.close_connections()


async def take_write_lock() -> None:
    """Call first in a transaction that reads, then writes depending on what it read. SQLite
    otherwise starts a deferred transaction that may fail when it later writes (another
    process wrote meanwhile); a first write takes the lock at once. PostgreSQL needs nothing
    here: such transactions lock the rows they decide on."""
    connection = connections.get("default")
    if not is_postgres(connection):
        await connection.execute_query("UPDATE data_version SET value = value WHERE id = 1")


@asynccontextmanager
async def write_transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction that will write: every service's changes run in one. On SQLite it takes the
    write lock as it starts, so a concurrent writer in another process waits (busy timeout)
    instead of failing with "database is locked" when it writes after reading. Nested, it is a
    savepoint of the outer transaction, which already holds the lock."""
    async with in_transaction() as connection:
        await take_write_lock()
        yield connection
