"""The hub's Prometheus series (DESIGN section 13), and the outboxes that report at a scrape.

Counters and histograms live in prometheus-client's registry. Under `hub serve` every process
(each web worker and the delivery worker) writes them to files in `PROMETHEUS_MULTIPROC_DIR`,
which `hub serve` sets before any of them imports prometheus-client; `/metrics` then adds the
files of all processes up. Without that variable (tests, a single `create_app`) the values stay
in the process's memory and `/metrics` reads them there.

Outbox depth and age are not counted as they change but read from the database at each scrape:
every channel that keeps an outbox (mail now; webhooks) registers an `OutboxProbe` under its
channel name with `register_outbox`. A channel whose probe fails (its table not there yet, the
database down) is left out of that scrape rather than failing it.

`operation` labels are bounded: the first `MAX_OPERATION_NAMES` operation names of successful
requests keep their name, later names are `other`. Under `hub serve` the names are shared by all
processes through a file beside the metric files, so the bound holds for the whole server.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS_OPERATION = "anonymous"
"""The label of a GraphQL request whose document names no operation."""

_NAMES_FILE = "operation-names.txt"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")

REQUESTS = Counter(
    "hub_requests",
    "HTTP requests, by GraphQL operation (or route) and HTTP status.",
    ["operation", "status"],
)
REQUEST_DURATION = Histogram(
    "hub_request_duration_seconds",
    "Time from a request's arrival to its answer, by GraphQL operation (or route).",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COST_POINTS = Counter(
    "hub_cost_points",
    "The cost of GraphQL requests (DESIGN section 9), summed by the caller's role.",
    ["role"],
)
RATE_LIMITED = Counter(
    "hub_rate_limited",
    "Requests refused with 429 because the caller's hourly budget was spent, by role.",
    ["role"],
)
RESPONSE_CACHE = Counter(
    "hub_response_cache",
    "GraphQL requests by what the response cache did: hit (a stored answer or 304), miss "
    "(cacheable, executed and stored), bypass (not cacheable, or the cache is off).",
    ["result"],
)
DELIVERIES = Counter(
    "hub_deliveries",
    "Delivery attempts by channel (mail, webhook) and outcome (delivered, retrying, failed).",
    ["channel", "outcome"],
)
SUBSCRIBERS = Gauge(
    "hub_subscribers",
    "GraphQL subscriptions open now, in all live processes.",
    multiprocess_mode="livesum",
)

CACHE_RESULTS = ("hit", "miss", "bypass")
DELIVERY_OUTCOMES = ("delivered", "retrying", "failed")


@dataclass(frozen=True)
class OutboxState:
    """What waits in one channel's outbox: rows not yet delivered (nor given up), and the age
    of the oldest of them in seconds (0 when none wait)."""

    depth: int
    oldest_age_seconds: float


OutboxProbe = Callable[[], Awaitable[OutboxState]]

_outboxes: dict[str, OutboxProbe] = {}


def register_outbox(channel: str, probe: OutboxProbe) -> None:
    """Report `channel`'s outbox at every scrape (`hub_outbox_depth{channel}`,
    `hub_outbox_oldest_age_seconds{channel}`). Registering a channel again replaces its probe."""
    _outboxes[channel] = probe


def outbox_probes() -> dict[str, OutboxProbe]:
    return dict(_outboxes)


async def outbox_states() -> dict[str, OutboxState]:
    """Each registered channel's state now; a channel whose probe fails is left out (logged)."""
    states = {}
    for channel, probe in sorted(_outboxes.items()):
        try:
            states[channel] = await probe()
        except Exception as error:  # a scrape reports what it can
            log.warning("outbox %s could not be read for /metrics: %s", channel, error)
    return states


def count_deliveries(channel: str, outcome: str, rows: int = 1) -> None:
    """`rows` deliveries of `channel` ended in `outcome` (one of DELIVERY_OUTCOMES)."""
    if rows:
        DELIVERIES.labels(channel, outcome).inc(rows)


class OperationNames:
    """The bounded set of operation names used as labels. In multi-process mode the set is a
    file that every process appends to under a lock; each process remembers what it read."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES, folder: str | None = None) -> None:
        self.limit = limit
        self.folder = folder
        self.known: set[str] = set()
        self.full = False

    def label(self, name: str | None, *, learn: bool) -> str:
        """`name` if it is (or, when `learn`, may become) one of the bounded set, else `other`."""
        if name is None:
            return ANONYMOUS_OPERATION
        if name in self.known:
            return name
        if not _NAME.match(name) or self.full or not learn:
            return OTHER
        return name if self._learn(name) else OTHER

    def _learn(self, name: str) -> bool:
        if self.folder is None:
            if len(self.known) >= self.limit:
                self.full = True
                return False
            self.known.add(name)
            return True
        path = Path(self.folder) / _NAMES_FILE
        try:
            with path.open("a+", encoding="ascii") as file:
                fcntl.flock(file, fcntl.LOCK_EX)
                file.seek(0)
                shared = {line.strip() for line in file if line.strip()}
                if name not in shared and len(shared) < self.limit:
                    file.write(name + "\n")
                    file.flush()
                    shared.add(name)
        except OSError as error:
            log.warning("operation names could not be shared (%s): labelled %s", error, OTHER)
            return False
        self.known = shared
        self.full = len(shared) >= self.limit
        return name in shared


operation_names = OperationNames(folder=os.environ.get(MULTIPROC_ENV) or None)


def route_label(path: str) -> str:
    """The `operation` label of a request that is not GraphQL: its route's first segment."""
    first = path.strip("/").split("/", 1)[0]
    return f"/{first}" if first in _ROUTES else OTHER


_ROUTES = frozenset(
    {"healthz", "metrics", "calendar", "map", "static", "unsubscribe", "reports", "graphql"}
)


def observe_request(
    *,
    path: str,
    operation: str | None,
    role: str | None,
    status: int,
    cost: int | None,
    duration_seconds: float,
    cache: str | None,
) -> None:
    """One finished HTTP request, as the request log saw it."""
    if path == "/graphql":
        label = operation_names.label(operation, learn=status < 400)
    else:
        label = route_label(path)
    REQUESTS.labels(label, str(status)).inc()
    REQUEST_DURATION.labels(label).observe(duration_seconds)
    role = role or "ANONYMOUS"
    if cost:
        COST_POINTS.labels(role).inc(cost)
    if status == 429:
        RATE_LIMITED.labels(role).inc()
    if cache in CACHE_RESULTS:
        RESPONSE_CACHE.labels(cache).inc()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_ended() -> None:
    """Forget this process's live gauges (its open subscriptions) in multi-process mode."""
    folder = multiprocess_dir()
    if folder is None:
        return
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]
