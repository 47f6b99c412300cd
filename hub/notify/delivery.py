"""The delivery worker: claims due outbox rows, sends them over one reused SMTP connection and
records the outcome.

Claiming is one statement: `UPDATE … SET status = 'SENDING', claimed_until = <lease> WHERE id IN
(SELECT … ORDER BY due_at, id LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING id`. On PostgreSQL the
subquery locks with SKIP LOCKED, so several workers take disjoint rows; SQLite runs the statement
under its single writer lock, so the claim is a conditional update that only one worker wins.
A row whose lease ran out (its worker died) is claimed again: nothing is lost, and at most the
message that was in flight is sent twice. Each sent row is marked SENT before the next message
goes out, which is what bounds the repeat to one message.

Outcomes:
- accepted                                → SENT
- connection refused/dropped, timeout, 4xx → PENDING again after `retry_delay` (exponential,
  jittered), until `HUB_MAIL_RETRY_DEADLINE_SECONDS` after the first attempt → FAILED
- 5xx reply to the message or its recipient → FAILED at once (only that row: the others in the
  batch go on over the same connection)
- the relay refusing the connection or login itself is a configuration problem that is not
  about one message: retried like a connection error, so mail survives the fix.

Delivery status changes do not move the data version: whoever shows them must read them fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import os
import random
import sqlite3
import ssl
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from tortoise import connections

from hub.core import Settings, SettingsError, is_postgres
from hub.core.metrics import count_deliveries
from hub.notify.render import Rendered, render
from hub.notify.unsubscribe import secret_key
from models.enums import DeliveryMode, NotificationStatus
from models.notifications import Notification, NotificationMessage

log = logging.getLogger(__name__)

OUTGOING_COLUMNS = (
    "id",
    "kind",
    "mode",
    "message_id",
    "recipient_email",
    "recipient_name",
    "locale",
    "context",
    "attempts",
    "due_at",
)


@dataclass(frozen=True)
class Outgoing:
    """A claimed row as the worker needs it, read by the claim itself (RETURNING)."""

    id: int
    kind: str
    mode: DeliveryMode
    message_id: str
    recipient_email: str
    recipient_name: str
    locale: str
    context: dict[str, Any]
    attempts: int
    due_at: datetime
    body: str | None = None
    """The finished email of an immediate row (see `NotificationMessage`)."""

    @classmethod
    def of(cls, values: Sequence[Any]) -> Outgoing:
        row = dict(zip(OUTGOING_COLUMNS, values, strict=True))
        context, due_at = row["context"], row["due_at"]
        return cls(
            id=int(row["id"]),
            kind=str(row["kind"]),
            mode=DeliveryMode(row["mode"]),
            message_id=str(row["message_id"]),
            recipient_email=str(row["recipient_email"]),
            recipient_name=str(row["recipient_name"]),
            locale=str(row["locale"]),
            context=json.loads(context) if isinstance(context, str | bytes) else dict(context),
            attempts=int(row["attempts"]),
            due_at=datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at,
        )


MAX_DOUBLINGS = 20
"""Beyond this many doublings the retry delay stops growing (the deadline ends it anyway)."""


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to hand mail over."""

    host: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = None
    cafile: str | None = None

    def client(self, *, timeout: float) -> aiosmtplib.SMTP:
        context = None
        if (self.use_tls or self.start_tls) and self.cafile:
            context = ssl.create_default_context(cafile=self.cafile)
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            username=self.username,
            password=self.password,
            timeout=timeout,
            tls_context=context,
        )


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://[user:pass@]host[:port][?starttls=1]`, `smtps://…` for implicit TLS; `cafile=`
    names extra CA certificates to trust (a relay with a private CA)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError(
            f"HUB_SMTP_URL must look like smtp://host:port or smtps://…, not {url!r}"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise SettingsError(f"HUB_SMTP_URL has a bad port: {url!r}") from None
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        use_tls=implicit,
        start_tls=not implicit and query.get("starttls", "0").lower() in {"1", "true", "on", "yes"},
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=query.get("cafile"),
    )


def retry_delay(attempt: int, *, base: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): `base` doubled for each
    earlier attempt, scaled by a factor between 0.5 and 1 drawn from `jitter` in [0, 1), so
    workers that failed together do not retry together."""
    doublings = min(max(attempt - 1, 0), MAX_DOUBLINGS)
    return float(base * (2**doublings) * (0.5 + 0.5 * jitter))


@dataclass(frozen=True)
class Outcome:
    """What happened to one message."""

    status: NotificationStatus  # SENT, PENDING (try again) or FAILED
    error: str | None = None


SENT = Outcome(NotificationStatus.SENT)


def _temporary(error: str) -> Outcome:
    return Outcome(NotificationStatus.PENDING, error)


def _permanent(error: str) -> Outcome:
    return Outcome(NotificationStatus.FAILED, error)


def _reply(code: int, message: str) -> str:
    return f"{code} {message}".strip()


@dataclass
class BatchReport:
    """Rows claimed by one pass and what became of them."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


@dataclass
class DeliveryWorker:
    """Sends due notifications. `run_once` handles one batch; `run` loops until stopped."""

    settings: Settings
    target: SmtpTarget
    batch_size: int = 100
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    timeout: float = 30.0
    idle_close_seconds: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    _smtp: aiosmtplib.SMTP | None = field(default=None, init=False, repr=False)
    _last_used: float = field(default=0.0, init=False, repr=False)
    _key: bytes | None = field(default=None, init=False, repr=False)
    _sender: str | None = field(default=None, init=False, repr=False)
    _marker_stack: contextlib.AsyncExitStack | None = field(default=None, init=False, repr=False)
    _marker_connection: Any = field(default=None, init=False, repr=False)
    _direct: sqlite3.Connection | None = field(default=None, init=False, repr=False)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, parent_pid: int | None = None) -> None:
        """Deliver until `stop` is set (or the parent process is gone): a batch after a batch
        while rows are due, otherwise a look every `poll_seconds`."""
        log.info("delivery worker started (SMTP %s:%s)", self.target.host, self.target.port)
        try:
            while not stop.is_set():
                if parent_pid is not None and os.getppid() != parent_pid:
                    log.info("parent process is gone; stopping")
                    break
                try:
                    report = await self.run_once(stop=stop)
                except Exception:
                    log.exception("delivery pass failed; trying again shortly")
                    report = BatchReport()
                if report.claimed:
                    continue
                if self._smtp is not None and time.monotonic() - self._last_used > (
                    self.idle_close_seconds
                ):
                    await self.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        finally:
            await self.close()
            log.info("delivery worker stopped")

    async def drain(self, *, max_passes: int = 1000) -> BatchReport:
        """Run passes until nothing is due now; the totals. For tests and one-off runs."""
        total = BatchReport()
        for _ in range(max_passes):
            report = await self.run_once()
            if not report.claimed:
                break
            total.claimed += report.claimed
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.released += report.released
        return total

    async def close(self) -> None:
        """Quit the SMTP connection and give back the database connection kept for marks."""
        await self._release_marker()
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    # -- one batch --------------------------------------------------------------------------

    async def run_once(self, *, stop: asyncio.Event | None = None) -> BatchReport:
        """Claim up to `batch_size` due rows and deliver them."""
        now = datetime.now(UTC)
        lease_until = now + timedelta(seconds=self.lease_seconds)
        rows = await self._claim(now=now, lease_until=lease_until, limit=self.batch_size)
        report = BatchReport(claimed=len(rows))
        if not rows:
            return report
        rows = await self._with_bodies(rows)
        groups = await self._groups(rows, now=now, lease_until=lease_until)
        report.claimed = sum(len(g) for g in groups)
        renew_at = time.monotonic() + self.lease_seconds / 2
        marking: asyncio.Future[None] | None = None  # the previous email's SENT mark
        try:
            for index, group in enumerate(groups):
                if stop is not None and stop.is_set():
                    report.released += await self._release(groups[index:])
                    break
                if time.monotonic() >= renew_at:
                    await self._renew(groups[index:])
                    renew_at = time.monotonic() + self.lease_seconds / 2
                outcome, connection_failed = await self._deliver(group, barrier=marking)
                if marking is not None:
                    await marking
                    marking = None
                self._count(report, outcome, len(group))
                if outcome.status is NotificationStatus.SENT:
                    marking = asyncio.ensure_future(self._record(group, outcome))
                    continue
                await self._record(group, outcome)
                if connection_failed:
                    # No connection: the rest of the batch cannot go either; same verdict.
                    for rest in groups[index + 1 :]:
                        retry = _temporary(outcome.error or "no connection")
                        await self._record(rest, retry)
                        self._count(report, retry, len(rest))
                    break
        finally:
            if marking is not None:
                await marking
        return report

    @staticmethod
    def _count(report: BatchReport, outcome: Outcome, rows: int) -> None:
        if outcome.status is NotificationStatus.SENT:
            report.sent += rows
            count_deliveries("mail", "delivered", rows)
        elif outcome.status is NotificationStatus.PENDING:
            report.retried += rows
            count_deliveries("mail", "retrying", rows)
        else:
            report.failed += rows
            count_deliveries("mail", "failed", rows)

    async def _claim(
        self, *, now: datetime, lease_until: datetime, limit: int, digest_for: Sequence[str] = ()
    ) -> list[Outgoing]:
        """Claim due rows: first those whose lease ran out (their worker died), then pending
        ones by due time. Each is one statement that an index range answers without reading
        the rest of the queue, committed without waiting for the disk like the SENT marks (a
        claim a crash forgets only lets another worker send those emails: repeated, never
        lost)."""
        expired = (
            []
            if digest_for
            else await self._claim_where(
                "status = 'SENDING' AND claimed_until < {at}",
                now=now,
                lease_until=lease_until,
                limit=limit,
                order="claimed_until, id",
            )
        )
        due = "status = 'PENDING' AND due_at <= {at}"
        if digest_for:
            due += " AND mode = 'DIGEST' AND recipient_email IN ({addresses})"
        pending = await self._claim_where(
            due,
            now=now,
            lease_until=lease_until,
            limit=limit - len(expired),
            order="due_at, id",
            addresses=digest_for,
        )
        return sorted(expired + pending, key=lambda r: (r.due_at, r.id))

    async def _claim_where(
        self,
        condition: str,
        *,
        now: datetime,
        lease_until: datetime,
        limit: int,
        order: str,
        addresses: Sequence[str] = (),
    ) -> list[Outgoing]:
        if limit <= 0:
            return []
        connection = connections.get("default")
        postgres = is_postgres(connection)
        # Numbered placeholders (`$1` on PostgreSQL, `?1` on SQLite) so one value serves twice.
        numbers = itertools.count(1)

        def mark() -> str:
            return f"{'$' if postgres else '?'}{next(numbers)}"

        lease, at = mark(), mark()
        where = condition.format(at=at, addresses=", ".join(mark() for _ in addresses))
        lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
        relaxed = (
            " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
            if postgres
            else ""
        )
        sql = (
            f"UPDATE notification SET status = 'SENDING', claimed_until = {lease},"
            f" updated_at = {at}{relaxed}"
            f" WHERE notification.id IN (SELECT id FROM notification WHERE {where}"
            f" ORDER BY {order} LIMIT {int(limit)}{lock})"
            f" RETURNING {', '.join(f'notification.{c}' for c in OUTGOING_COLUMNS)}"
        )
        params = [lease_until, now, *addresses]
        direct = None if postgres else self._sqlite_marker()
        if direct is not None:
            try:
                return [Outgoing.of(r) for r in direct.execute(sql, params).fetchall()]
            except sqlite3.OperationalError:  # busy beyond a moment: the shared way
                pass
        rows = await connection.execute_query_dict(sql, params)
        return [Outgoing.of(tuple(r.values())) for r in rows]

    @staticmethod
    async def _with_bodies(rows: list[Outgoing]) -> list[Outgoing]:
        """The claimed rows with their finished emails (one statement per batch)."""
        wanted = [r.message_id for r in rows if r.mode is DeliveryMode.IMMEDIATE]
        bodies = dict(
            await NotificationMessage.filter(message_id__in=wanted).values_list(
                "message_id", "body"
            )
        )
        return [dataclasses.replace(r, body=bodies.get(r.message_id)) for r in rows]

    async def _groups(
        self, rows: list[Outgoing], *, now: datetime, lease_until: datetime
    ) -> list[list[Outgoing]]:
        """One group per email: an immediate row alone; an address's digest rows together,
        with its other due digest rows claimed too."""
        groups: list[list[Outgoing]] = []
        digests: dict[str, list[Outgoing]] = {}
        for row in rows:
            if row.mode is DeliveryMode.DIGEST:
                if row.recipient_email not in digests:
                    digests[row.recipient_email] = []
                    groups.append(digests[row.recipient_email])
                digests[row.recipient_email].append(row)
            else:
                groups.append([row])
        if digests:
            more = await self._claim(
                now=now, lease_until=lease_until, limit=10_000, digest_for=list(digests)
            )
            for row in more:
                digests[row.recipient_email].append(row)
            for group in digests.values():
                group.sort(key=lambda r: r.id)
        return groups

    async def _renew(self, groups: Sequence[Sequence[Outgoing]]) -> None:
        ids = [r.id for g in groups for r in g]
        until = datetime.now(UTC) + timedelta(seconds=self.lease_seconds)
        await Notification.filter(id__in=ids, status=NotificationStatus.SENDING).update(
            claimed_until=until
        )

    async def _release(self, groups: Sequence[Sequence[Outgoing]]) -> int:
        """Hand rows back untouched (graceful stop): due again at once, for any worker."""
        ids = [r.id for g in groups for r in g]
        return await Notification.filter(id__in=ids, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.PENDING, claimed_until=None
        )

    # -- SMTP -------------------------------------------------------------------------------

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            smtp = self.target.client(timeout=self.timeout)
            await smtp.connect()
            self._smtp = smtp
        return self._smtp

    def _drop_connection(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _message(self, group: Sequence[Outgoing]) -> Rendered:
        """The email of a group: an immediate row's, rendered when it was written; a digest
        (or a row written without one) rendered now."""
        stored = group[0].body if len(group) == 1 else None
        if stored is not None:
            if self._sender is None:
                self._sender = parseaddr(self.settings.mail_from)[1]
            return Rendered(
                data=stored.encode("ascii"), sender=self._sender, recipient=group[0].recipient_email
            )
        if self._key is None:
            self._key = secret_key(self.settings)
        return render(group, settings=self.settings, key=self._key, now=datetime.now(UTC))

    async def _deliver(
        self, group: Sequence[Outgoing], *, barrier: Awaitable[None] | None
    ) -> tuple[Outcome, bool]:
        """Send one email; its outcome, and whether the connection could not be made.
        `barrier` (the previous email's SENT mark) is awaited before this one's DATA."""
        try:
            message = self._message(group)
        except Exception as error:  # a row that cannot be rendered will never be
            log.exception("notification %s cannot be rendered", group[0].id)
            return _permanent(f"cannot be rendered: {error}"), False
        try:
            smtp = await self._connection()
        except aiosmtplib.SMTPResponseException as error:
            self._drop_connection()
            reply = _reply(error.code, error.message)
            return _temporary(f"relay refused the connection: {reply}"), True
        except (aiosmtplib.SMTPException, OSError) as error:
            self._drop_connection()
            where = f"{self.target.host}:{self.target.port}"
            return _temporary(f"cannot connect to {where}: {error}"), True
        return await self._send(smtp, message, barrier), False

    async def _send(
        self, smtp: aiosmtplib.SMTP, message: Rendered, barrier: Awaitable[None] | None
    ) -> Outcome:
        """One SMTP transaction. The envelope (MAIL, RCPT) goes out while the previous
        email's SENT mark is being written; DATA only once that mark is stored, so a worker
        that dies leaves at most one delivered email unmarked: the one in flight."""
        try:
            if smtp.is_ehlo_or_helo_needed:
                await smtp.ehlo()
            size = [f"SIZE={len(message.data)}"] if smtp.supports_extension("size") else []
            await smtp.mail(message.sender, options=size)
            await smtp.rcpt(message.recipient)
            if barrier is not None:
                await barrier
            await smtp.data(message.data)
        except aiosmtplib.SMTPRecipientRefused as error:
            await self._reset(smtp)
            return self._refused({error.recipient: (error.code, error.message)})
        except aiosmtplib.SMTPResponseException as error:
            reply = _reply(error.code, error.message)
            if error.code == 421 or not smtp.is_connected:
                self._drop_connection()
            else:
                await self._reset(smtp)
            return _permanent(reply) if 500 <= error.code < 600 else _temporary(reply)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as error:
            self._drop_connection()
            return _temporary(f"connection lost: {error or type(error).__name__}")
        except aiosmtplib.SMTPException as error:
            await self._reset(smtp)
            return _permanent(str(error))
        self._last_used = time.monotonic()
        return SENT

    async def _reset(self, smtp: aiosmtplib.SMTP) -> None:
        """RSET after a refused transaction, so the connection serves the next email."""
        try:
            await smtp.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._drop_connection()

    @staticmethod
    def _refused(refusals: dict[str, tuple[int, str]]) -> Outcome:
        """The recipient was refused: 5xx for good, 4xx for now."""
        code, message = next(iter(refusals.values()))
        reply = f"recipient refused: {_reply(code, message)}"
        return _permanent(reply) if 500 <= code < 600 else _temporary(reply)

    # -- outcomes ---------------------------------------------------------------------------

    async def _record(self, group: Sequence[Outgoing], outcome: Outcome) -> None:
        now = datetime.now(UTC)
        if outcome.status is NotificationStatus.SENT:
            await self._mark_sent(group, now)
            return
        for row in group:
            await self._record_failure(row, outcome, now)

    async def _mark_sent(self, group: Sequence[Outgoing], now: datetime) -> None:
        """SENT (and MERGED for a digest's other rows), committed without waiting for the
        disk (SQLite: synchronous=NORMAL on the worker's own WAL connection; PostgreSQL:
        synchronous_commit off for the statement): the mark must be stored before the next
        email's DATA, and a flush per email would halve the throughput. A worker that dies
        loses nothing written this way (the database has it); a machine or database server
        that crashes may forget the last marks, and those emails go out again: repeated,
        never lost."""
        survivor, merged = group[0], [r.id for r in group[1:]]
        connection = connections.get("default")
        if is_postgres(connection):
            # One statement, one round trip on a connection of its own: the setting lasts
            # for the statement's own transaction.
            marker = await self._marker()
            try:
                await marker.execute(
                    "UPDATE notification SET status = 'SENT', sent_at = $1, updated_at = $1,"
                    " attempts = attempts + 1, claimed_until = NULL, last_error = NULL"
                    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
                    " WHERE notification.id = $2",
                    now,
                    survivor.id,
                )
            except BaseException:
                await self._release_marker()
                raise
        else:
            sql = (
                "UPDATE notification SET status = 'SENT', sent_at = ?1, updated_at = ?1,"
                " attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE id = ?2"
            )
            direct = self._sqlite_marker()
            if direct is not None:
                try:
                    direct.execute(sql, (now, survivor.id))
                except sqlite3.OperationalError:  # busy beyond a moment: the shared way
                    await connection.execute_query(sql, [now, survivor.id])
            else:
                await connection.execute_query(sql, [now, survivor.id])
        if merged:
            await Notification.filter(id__in=merged).update(
                status=NotificationStatus.MERGED, sent_at=now, claimed_until=None, updated_at=now
            )

    async def _marker(self) -> Any:
        """PostgreSQL: the pool connection this worker keeps for its SENT marks."""
        if self._marker_stack is None:
            stack = contextlib.AsyncExitStack()
            pool = connections.get("default")
            self._marker_connection = await stack.enter_async_context(pool.acquire_connection())
            self._marker_stack = stack
        return self._marker_connection

    def _sqlite_marker(self) -> sqlite3.Connection | None:
        """SQLite: a connection of the worker's own for claims and SENT marks, used without
        leaving the event loop's thread. A mark takes microseconds; a round trip through the shared
        connection's thread takes a scheduler wake-up, which on a busy machine is most of the
        time between two emails. It waits at most a moment for the write lock."""
        if self._direct is None:
            path = self.settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
            if not path or path == ":memory:":
                return None
            self._direct = sqlite3.connect(path, timeout=0.5, isolation_level=None)
            self._direct.execute("PRAGMA synchronous = NORMAL")
        return self._direct

    async def _release_marker(self) -> None:
        direct, self._direct = self._direct, None
        if direct is not None:
            direct.close()
        stack, self._marker_stack, self._marker_connection = self._marker_stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    async def _record_failure(self, row: Outgoing, outcome: Outcome, now: datetime) -> None:
        attempts = row.attempts + 1
        context = dict(row.context)
        first = context.setdefault("first_attempt_at", now.isoformat())
        elapsed = (now - datetime.fromisoformat(first)).total_seconds()
        error = (outcome.error or "")[:2000]
        status, due = outcome.status, row.due_at
        if status is NotificationStatus.PENDING:
            if elapsed >= self.settings.mail_retry_deadline_seconds:
                status = NotificationStatus.FAILED
                error = f"gave up after {attempts} attempts: {error}"[:2000]
            else:
                delay = retry_delay(
                    attempts, base=self.settings.mail_retry_base_seconds, jitter=self.rng.random()
                )
                due = now + timedelta(seconds=delay)
        await Notification.filter(id=row.id).update(
            status=status,
            attempts=attempts,
            last_error=error,
            due_at=due,
            claimed_until=None,
            context=context,
            updated_at=now,
        )
