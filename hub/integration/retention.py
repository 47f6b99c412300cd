"""Retention of the event stream: events are kept `HUB_EVENT_RETENTION_DAYS` (default 30).

What the purge removes, and what it keeps. A plan's history and the stream are one source:
each history line (`PlanEvent`) points at its event, whose position is the line's cursor and
whose time is the line's time. Deleting those events would cut lines out of plans' histories,
so the purge deletes only stream-only events (a training scheduled or cancelled with its plan,
registration changes) older than the retention, and never the latest event (its position is
where the stream goes on). The history lines' events stay, and stay readable as history.

Cursors expire by time, not by what is deleted: `position_of` refuses any cursor older than the
first event within the retention (`INVALID`), whether or not the rows after it still exist, so
a client never gets a replay with holes where stream-only events were purged; it reads the
state again and subscribes from `latestEventCursor`.

`hub events purge` runs it once; the delivery worker (`hub worker`, and the one `hub serve`
starts) runs it at start and then daily."""

from __future__ import annotations

import asyncio
import logging

from hub.core import Settings
from hub.integration.stream import purge_events

log = logging.getLogger(__name__)

DAILY = 86400.0


async def purge_old_events(settings: Settings) -> int:
    """Delete the stream-only events older than the retention; the number deleted."""
    return await purge_events(retention_days=settings.event_retention_days)


async def purge_events_daily(settings: Settings, stop: asyncio.Event) -> None:
    """Purge now and then once a day until `stop` is set (run beside the delivery worker)."""
    while not stop.is_set():
        try:
            deleted = await purge_old_events(settings)
            if deleted:
                log.info(
                    "event retention: %d events older than %d days removed",
                    deleted,
                    settings.event_retention_days,
                )
        except Exception:  # the worker keeps delivering mail; the next day tries again
            log.exception("event retention purge failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=DAILY)
        except TimeoutError:
            continue
