"""Subscription fan-out: one reader of the event stream per process, bounded queues per
subscriber.

The process's `Fanout` reads each committed event once, with what subscribers filter on (the
plan and its parties, the centre's kecamatan, the training), and offers it to every subscriber
of the process. It wakes on PostgreSQL from `LISTEN hub_events` on one dedicated asyncpg
connection (a notification carries only a position; commits in any process send one), on
SQLite from in-process wake-ups after each recorded event; a short poll covers both (a lost
listening connection, a write from another process on SQLite).

A subscriber first replays the events after its cursor from the database, in order, then
continues with what the reader offers it; positions at or below the last one it delivered are
skipped, so nothing arrives twice. Its queue is bounded: a subscriber that falls `queue_size`
events behind is dropped and told `SLOW_CONSUMER`; it resumes with its last cursor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from hub.access import PUBLIC_TRAINING_PLAN_STATUSES, Viewer, can_see_plan
from hub.core.database import postgres_dsn
from hub.core.metrics import SUBSCRIBERS
from hub.integration.stream import CHANNEL, events_after, latest_position
from models.enums import PlanStatus, TrainingStatus
from models.integration import Event
from models.plans import Plan, PlanParty, Training

log = logging.getLogger(__name__)

BATCH = 500
"""Events read per statement, by the reader and by a replay."""


class SlowConsumer(Exception):
    """The subscriber fell too far behind and was dropped."""


@dataclass
class Delivery:
    """One event with what subscribers filter on, loaded once per process."""

    event: Event
    plan: Plan | None
    parties: list[PlanParty]
    kecamatan_code: str | None
    training: Training | None
    memo: dict[str, object] = field(default_factory=dict)
    """What the subscribers of this process share while reading this event (the schema keeps
    its loaders here, so a row the event's payload needs is read once per process, not once
    per subscriber)."""

    @property
    def position(self) -> int:
        return int(self.event.position)

    def visible_to(self, viewer: Viewer) -> bool:
        """Whether the viewer may see the plan (as `plans` would list it)."""
        return self.plan is not None and can_see_plan(viewer, self.plan, self.parties)

    @property
    def public_training(self) -> bool:
        """A training everyone may see or has seen: one of an active or completed plan, or one
        that was published and then called off with its plan. Cancelling an active plan
        cancels its scheduled trainings (each gets a `TRAINING_CANCELLED` event in the same
        transaction); partner apps that showed those trainings must learn that they are off,
        although a cancelled plan's trainings are no longer listed publicly. A cancelled
        training with a revision above 0 was scheduled, and so public, while its plan was
        active (a plan's trainings are scheduled only when it becomes active; a training that
        never was is PLANNED with revision 0, and its cancellation writes no event)."""
        if self.training is None or self.plan is None:
            return False
        if self.plan.status in PUBLIC_TRAINING_PLAN_STATUSES:
            return True
        return (
            self.plan.status == PlanStatus.CANCELLED
            and self.training.status == TrainingStatus.CANCELLED
            and self.training.revision > 0
        )


async def load_deliveries(events: list[Event]) -> list[Delivery]:
    """The events with their plans, parties, kecamatan and trainings: four statements."""
    plan_ids = {e.plan_id for e in events if e.plan_id is not None}
    training_ids = {e.training_id for e in events if e.training_id is not None}
    plans = {
        p.id: p
        for p in await Plan.filter(id__in=list(plan_ids)).select_related("centre__kecamatan")
    }
    parties: dict[int, list[PlanParty]] = {}
    for party in await PlanParty.filter(plan_id__in=list(plan_ids)).order_by("id"):
        parties.setdefault(party.plan_id, []).append(party)
    trainings = {t.id: t for t in await Training.filter(id__in=list(training_ids))}
    deliveries = []
    for event in events:
        plan = plans.get(event.plan_id) if event.plan_id is not None else None
        deliveries.append(
            Delivery(
                event=event,
                plan=plan,
                parties=parties.get(plan.id, []) if plan else [],
                kecamatan_code=plan.centre.kecamatan.code if plan else None,
                training=trainings.get(event.training_id) if event.training_id else None,
            )
        )
    return deliveries


@dataclass(eq=False)
class Subscriber:
    wanted: Callable[[Delivery], bool]
    limit: int
    queue: asyncio.Queue[Delivery | None] = field(default_factory=asyncio.Queue)
    slow: bool = False

    def offer(self, delivery: Delivery) -> bool:
        """Queue the delivery if wanted; False when the subscriber is too far behind."""
        if not self.wanted(delivery):
            return True
        if self.queue.qsize() >= self.limit:
            self.slow = True
            self.queue.put_nowait(None)  # wakes it to be told; one over the bound at most
            return False
        self.queue.put_nowait(delivery)
        return True


class Fanout:
    """The process's reader of the event stream and its subscribers."""

    def __init__(
        self, *, database_url: str, queue_size: int = 1000, poll_seconds: float = 1.0
    ) -> None:
        self.database_url = database_url
        self.queue_size = queue_size
        self.poll_seconds = poll_seconds
        self.position = 0
        self.subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def postgres(self) -> bool:
        return not self.database_url.startswith("sqlite")

    async def start(self) -> None:
        self.position = await latest_position()
        self._tasks.append(asyncio.create_task(self._read_loop()))
        if self.postgres:
            self._tasks.append(asyncio.create_task(self._listen_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def wake(self) -> None:
        """Read the stream now (something was committed)."""
        self._wake.set()

    async def _listen_loop(self) -> None:
        """One listening connection for the process; reconnects after a loss."""
        import asyncpg

        while True:
            try:
                connection = await asyncpg.connect(postgres_dsn(self.database_url))
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("cannot listen for events: %s", error)
                await asyncio.sleep(self.poll_seconds)
                continue
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, lambda *_: self.wake())
                self.wake()  # anything committed while not listening
                await lost.wait()
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()

    async def _read_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()
            if not self.subscribers:  # nobody to tell: the first subscriber catches up
                continue
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the event stream failed")

    async def _read(self) -> None:
        while True:
            events = await events_after(self.position, limit=BATCH)
            if not events:
                return
            for delivery in await load_deliveries(events):
                for subscriber in list(self.subscribers):
                    if not subscriber.offer(delivery):
                        self.subscribers.discard(subscriber)
            self.position = int(events[-1].position)

    async def subscribe(
        self, *, after: int | None, wanted: Callable[[Delivery], bool]
    ) -> AsyncIterator[Delivery]:
        """The deliveries the subscriber wants: first those after `after` (when given), from
        the database, then live ones. Raises `SlowConsumer` when it falls behind."""
        subscriber = Subscriber(wanted=wanted, limit=self.queue_size)
        if not self.subscribers:  # the reader idles without subscribers: catch up first
            self.position = max(self.position, await latest_position())
        # No await between reading the reader's position and registering: every event after
        # `seen` is either replayed below or offered to the queue.
        seen = self.position
        self.subscribers.add(subscriber)
        SUBSCRIBERS.inc()
        try:
            last = seen
            if after is not None:
                last = after
                while last < seen:
                    events = [
                        e for e in await events_after(last, limit=BATCH) if e.position <= seen
                    ]
                    if not events:
                        break
                    for replayed in await load_deliveries(events):
                        if wanted(replayed):
                            yield replayed
                    last = int(events[-1].position)
            while True:
                queued = await subscriber.queue.get()
                if queued is None:
                    raise SlowConsumer()
                if queued.position <= last:
                    continue
                last = queued.position
                yield queued
        finally:
            self.subscribers.discard(subscriber)
            SUBSCRIBERS.dec()


_fanout: Fanout | None = None


def current_fanout() -> Fanout:
    """The process's fan-out (started by the app's lifespan)."""
    if _fanout is None:
        raise RuntimeError("the event fan-out is not running in this process")
    return _fanout


@contextlib.asynccontextmanager
async def running_fanout(
    *, database_url: str, queue_size: int = 1000, poll_seconds: float | None = None
) -> AsyncIterator[Fanout]:
    """Run the process's fan-out while the app serves. SQLite polls often (another process,
    such as the CLI, may write); PostgreSQL is woken by notifications and polls rarely."""
    global _fanout
    sqlite = database_url.startswith("sqlite")
    fanout = Fanout(
        database_url=database_url,
        queue_size=queue_size,
        poll_seconds=poll_seconds or (0.2 if sqlite else 2.0),
    )
    await fanout.start()
    previous, _fanout = _fanout, fanout
    try:
        yield fanout
    finally:
        _fanout = previous
        await fanout.stop()


def wake_local() -> None:
    """Tell this process's fan-out that an event was recorded (it reads once the change is
    committed; until then it finds nothing new, and the poll catches up)."""
    if _fanout is not None:
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, _fanout.wake)


__all__ = ["Delivery", "Fanout", "SlowConsumer", "current_fanout", "running_fanout", "wake_local"]
