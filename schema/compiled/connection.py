"""One pooled connection for all the statements of a compiled read on PostgreSQL.

Each statement through the pool acquires a connection and, on release, asyncpg resets it
(`RESET ALL`, `UNLISTEN *`, ...): a second round trip per statement. A compiled read holds
one connection for the whole request instead, outside any transaction (every statement
commits on its own, as through the pool), so a request pays one reset. Sibling relations,
which would otherwise run side by side on their own connections, take turns on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
