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

from hub.settings import Settings
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


async def migrate(connection: BaseDBAsyncClient | None = None) -> None:
    """Apply pending migrations. On PostgreSQL, under an advisory lock, so that processes
    starting together never race; the lock is held on one dedicated connection."""
    connection = connection or connections.get("default")
    apps = tortoise_config("")["apps"]
    if not is_postgres(connection):
        await MigrationExecutor(connection, apps).migrate()
        return
    async with connection.acquire_connection() as raw:  # type: ignore[attr-defined]
        await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await MigrationExecutor(connection, apps).migrate()
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


@asynccontextmanager
async def open_database(settings: Settings, *, migrate_on_open: bool | None = None) -> AsyncIterator[None]:
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
