"""Daily snapshots: every kecamatan's coverage row (demand, supply, gap, waiting, coalition
coverage) kept per day in Asia/Jakarta time, so that a month can be read back later.

The worker takes the day's snapshot when it starts (if the day has none yet) and again after
each midnight in Jakarta. Any number of workers may race: the day's row in `snapshot_day` is
the claim, written in the same transaction as the kecamatan rows, and its primary key lets one
transaction win; the others roll back and find the day taken."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from hub.core import dataversion, write_transaction
from models.reports import KecamatanSnapshot, SnapshotDay

log = logging.getLogger(__name__)

JAKARTA = ZoneInfo("Asia/Jakarta")
MAX_SLEEP = 3600.0
"""The longest the worker waits before looking again (a changed clock is noticed within it)."""
AFTER_MIDNIGHT = 60.0
"""Seconds after midnight in Jakarta when the day's snapshot is taken."""
BATCH = 1000


@dataclass(frozen=True)
class Taken:
    """The day, how many kecamatan rows were written, and whether this call wrote them."""

    day: dt.date
    kecamatans: int
    written: bool


def jakarta_day(now: dt.datetime | None = None) -> dt.date:
    """The date in Asia/Jakarta at `now` (default: the current time)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(JAKARTA).date()


def seconds_to_next_day(now: dt.datetime) -> float:
    """Seconds from `now` until the next midnight in Asia/Jakarta."""
    local = now.astimezone(JAKARTA)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), JAKARTA)
    return (midnight - local).total_seconds()


def covered_places(gap: int, coverage: float) -> int:
    """The places a coalition covers, back from its share of the gap (covered / gap)."""
    return round(gap * coverage) if gap else 0


async def take_snapshot(*, day: dt.date | None = None) -> Taken:
    """Record every kecamatan's figures as they are now under `day` (default: today in
    Jakarta), unless that day has its snapshot already. Safe to call from several processes at
    once: exactly one writes."""
    day = day or jakarta_day()
    existing = await SnapshotDay.get_or_none(day=day)
    if existing is not None:
        return Taken(day, existing.kecamatans, written=False)
    # Imported here: the matching brings NumPy, which `hub report` (this package) never needs.
    from hub import matching

    rows = await matching.coverage()
    try:
        async with write_transaction() as connection:
            await SnapshotDay.create(day=day, kecamatans=len(rows), using_db=connection)
            await KecamatanSnapshot.bulk_create(
                [
                    KecamatanSnapshot(
                        day=day,
                        kecamatan_id=r.kecamatan.id,
                        demand=r.demand,
                        supply=r.supply,
                        gap=r.gap,
                        waiting=r.waiting,
                        covered=covered_places(r.gap, r.coalition_coverage),
                        coverage=r.coalition_coverage,
                    )
                    for r in rows
                ],
                batch_size=BATCH,
                using_db=connection,
            )
            await dataversion.bump()  # cached answers of Query.report are stale now
    except IntegrityError:
        # Another worker claimed the day first; its rows stand.
        taken = await SnapshotDay.get_or_none(day=day)
        return Taken(day, taken.kecamatans if taken else 0, written=False)
    return Taken(day, len(rows), written=True)


async def snapshot_daily(stop: asyncio.Event) -> None:
    """Take today's snapshot now if it is missing, then after every midnight in Jakarta, until
    `stop` is set (run beside the delivery worker)."""
    while not stop.is_set():
        try:
            taken = await take_snapshot()
            if taken.written:
                log.info("snapshot of %s: %d kecamatan", taken.day, taken.kecamatans)
        except Exception:  # the worker keeps delivering mail; the next wake-up tries again
            log.exception("daily snapshot failed")
        wait = min(seconds_to_next_day(dt.datetime.now(dt.UTC)) + AFTER_MIDNIGHT, MAX_SLEEP)
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            continue
