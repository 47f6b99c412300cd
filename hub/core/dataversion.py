"""The data version: one counter that every write moves forward in its own transaction.

Readers compare it to decide whether what they cached is still current (response cache, HTTP
ETags). Call `bump()` inside the transaction of every change to data that the API shows."""

from __future__ import annotations

from tortoise import connections
from tortoise.expressions import F

from models.audit import DataVersion

ROW_ID = 1
_CURRENT = f"SELECT value FROM data_version WHERE id = {ROW_ID}"


async def bump() -> None:
    """Move the version forward; takes effect when the caller's transaction commits."""
    updated = await DataVersion.filter(id=ROW_ID).update(value=F("value") + 1)
    if not updated:  # the row is created by migration 0002; recreate it if someone removed it
        await DataVersion.create(id=ROW_ID, value=1)


async def current() -> int:
    """The version now. Read on every cacheable request, so it skips the ORM's query building:
    one fixed statement, the same on SQLite and PostgreSQL."""
    _, rows = await connections.get("default").execute_query(_CURRENT)
    return int(rows[0]["value"]) if rows else 0
