"""Partner integration (DESIGN section 10): the event stream that every change writes in its
own transaction, and the ways out of it: subscriptions (here), calendar feeds (feeds.py),
webhooks (webhooks.py: endpoints and the delivery rows each event writes; webhook_worker.py:
the delivery worker; webhooks_targets.py: the SSRF rules).

Writing: `record_event(kind=…, plan_id=…, training_id=…, actor_id=…, data=…)` inside the
change's transaction (`record_history` for a change that is also a line of a plan's history).
Reading: `events_after(position, limit=…)`, `latest_position()`, and `position_of(cursor)`,
which refuses a malformed cursor or one older than the retention (`INVALID`). Retention:
`purge_old_events`, run daily by the delivery worker (`purge_events_daily`, retention.py)."""

from hub.integration.events import HISTORY_EVENT_KINDS, PLAN_KINDS, TRAINING_KINDS, EventKind
from hub.integration.feeds import (
    Feed,
    community_feed,
    feed_url,
    kecamatan_feed,
    kota_feed,
    private_feed,
    rotate_feed,
)
from hub.integration.retention import purge_events_daily, purge_old_events
from hub.integration.stream import (
    cursor_of,
    events_after,
    latest_position,
    position_of,
    purge_events,
    record_event,
    record_history,
)

__all__ = [
    "HISTORY_EVENT_KINDS",
    "PLAN_KINDS",
    "TRAINING_KINDS",
    "EventKind",
    "Feed",
    "community_feed",
    "cursor_of",
    "events_after",
    "feed_url",
    "kecamatan_feed",
    "kota_feed",
    "latest_position",
    "position_of",
    "private_feed",
    "purge_events",
    "purge_events_daily",
    "purge_old_events",
    "record_event",
    "record_history",
    "rotate_feed",
]
