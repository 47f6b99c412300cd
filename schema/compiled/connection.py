"""One pooled connection for all the statements of a compiled read on PostgreSQL.

Each statement through the pool acquires a connection and, on release, asyncpg resets it
(`RESET ALL`, `UNLISTEN *`, ...): a second round trip per statement. A compiled read holds
one connection for the whole request instead, outside any transaction (every statement
commits on its own, as through the pool), so a request pays one reset. Sibling relations,
which would otherwise run side by side on their own connections, take turns on it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.connection import get_connections


@asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """Within the block, the default connection of this task (and of the tasks it starts) is
    one connection taken from the pool; SQLite has one connection anyway."""
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if type(client) is not AsyncpgDBClient or pool is None:
        yield
        return
    held = TransactionWrapper(client)  # without begin(): no transaction, only its lock
    held._connection = await pool.acquire()
    token = get_connections().set(client.connection_name, held)
    try:
        yield
    finally:
        get_connections().reset(token)
        await pool.release(held._connection)


_log = logging.getLogger("tortoise.db_client")


async def fetch_row(sql: str, params: Sequence[Any]) -> Any:
    """The one row of `sql` on PostgreSQL, read raw (asyncpg's record: JSON stays text), on
    the request's connection, logged as Tortoise logs its statements."""
    client = connections.get("default")
    async with client.acquire_connection() as connection:
        _log.debug("%s: %s", sql, params)
        return await connection.fetchrow(sql, *params)
