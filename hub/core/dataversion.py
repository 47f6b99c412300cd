"""The data version: one counter that every write moves forward in its own transaction, and a
random epoch of the database.

Readers compare it to decide whether what they cached is still current (response cache, HTTP
ETags). Call `bump()` inside the transaction of every change to data that the API shows.

The epoch is drawn when the database is created and again by every restore from a backup
(`hub restore`): a restored database may bring the counter back to a value that caches and
clients already saw for other data, and the new epoch makes the version differ anyway."""

from __future__ import annotations

import secrets

from tortoise import connections
from tortoise.expressions import F

from models.audit import DataVersion

ROW_ID = 1
_CURRENT = f"SELECT value, epoch FROM data_version WHERE id = {ROW_ID}"
EPOCH_BITS = 31
COUNTER_BITS = 40
"""The version is `epoch << COUNTER_BITS | value`: one integer, unique per (epoch, value) for
the 2**40 writes a database will never reach."""


def new_epoch() -> int:
    """A random epoch, never 0 (the value of a row that no migration or restore has set)."""
    return secrets.randbelow(2**EPOCH_BITS - 1) + 1


async def bump() -> None:
    """Move the version forward; takes effect when the caller's transaction commits."""
    updated = await DataVersion.filter(id=ROW_ID).update(value=F("value") + 1)
    if not updated:  # the row is created by migration 0002; recreate it if someone removed it
        await DataVersion.create(id=ROW_ID, value=1)


async def current() -> int:
    """The version now. Read on every cacheable request, so it skips the ORM's query building:
    one fixed statement, the same on SQLite and PostgreSQL."""
    _, rows = await connections.get("default").execute_query(_CURRENT)
    if not rows:
        return 0
    return (int(rows[0]["epoch"] or 0) << COUNTER_BITS) | int(rows[0]["value"])


async def renew_epoch() -> int:
    """Give the database a new random epoch (after a restore): every cached answer and ETag
    stops matching at once. Returns the new epoch."""
    epoch = new_epoch()
    updated = await DataVersion.filter(id=ROW_ID).update(epoch=epoch)
    if not updated:
        await DataVersion.create(id=ROW_ID, value=0, epoch=epoch)
    return epoch
