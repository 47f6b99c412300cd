"""The data version: one counter that every write moves forward in its own transaction.

Readers compare it to decide whether what they cached is still current (response cache, HTTP
ETags). Call `bump()` inside the transaction of every change to data that the API shows."""

from __future__ import annotations

from tortoise.expressions import F

from models.audit import DataVersion

ROW_ID = 1


async def bump() -> None:
    """Move the version forward; takes effect when the caller's transaction commits."""
    updated = await DataVersion.filter(id=ROW_ID).update(value=F("value") + 1)
    if not updated:  # the row is created by migration 0002; recreate it if someone removed it
        await DataVersion.create(id=ROW_ID, value=1)


async def current() -> int:
    row = await DataVersion.get_or_none(id=ROW_ID)
    return row.value if row else 0
