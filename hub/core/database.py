"""Database setup: the Tortoise configuration, opening the database and migrate-on-open."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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
    settings: Settings, *, migrate_on_open: bool | None = None
) -> AsyncIterator[None]:
    """Initialise Tortoise for `settings.database_url` and, unless switched off, migrate."""
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
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
