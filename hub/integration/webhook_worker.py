"""The webhook delivery worker: claims due deliveries, POSTs them signed over one kept-alive
HTTP client, a batch at a time with up to `concurrency` requests in flight, and records each
outcome.

Claiming is one statement, as for email: `UPDATE webhook_delivery SET claimed_until = <lease>
WHERE id IN (SELECT … due … ORDER BY next_attempt_at, id LIMIT n [FOR UPDATE SKIP LOCKED])
RETURNING …`. Several workers on PostgreSQL take disjoint rows; on SQLite the single writer
makes the conditional update a claim only one worker wins. A worker that dies leaves its
rows leased: when the lease runs out another worker takes them again, so nothing is lost and
at most the requests in flight are repeated, under the same `webhook-id` (receivers dedupe).

Outcomes (DESIGN section 10):
- 2xx → DELIVERED; the endpoint's failure streak ends.
- network error, timeout, 408, 429, 5xx, an address the SSRF rules refuse → RETRYING after
  exponential backoff with jitter from `HUB_WEBHOOK_RETRY_BASE_SECONDS`, or after the
  `Retry-After` the receiver asked for (seconds or an HTTP date, at most `MAX_RETRY_AFTER`).
- other statuses (4xx, 3xx: redirects are not followed) → FAILED, final.
- An endpoint whose failure streak reaches `HUB_WEBHOOK_DISABLE_AFTER_SECONDS` is disabled:
  `disabledAt` set, its PENDING and RETRYING deliveries FAILED (they would only pile up; the
  owner can `redeliverWebhookEvent` after enabling it again), and its owner emailed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook as Signer
from tortoise import connections

from hub.core import (
    Invalid,
    Settings,
    dataversion,
    encode_global_id,
    is_postgres,
    write_transaction,
)
from hub.core.ids import encode_cursor
from hub.core.metrics import count_deliveries
from hub.integration.webhooks import PING, fail_open_deliveries, signing_secrets
from hub.integration.webhooks_targets import IPAddress, checked_target
from models.accounts import Account
from models.enums import Role, WebhookDeliveryStatus
from models.integration import Event
from models.webhooks import Webhook

log = logging.getLogger(__name__)

MAX_DOUBLINGS = 10
"""The retry delay stops growing at 1024 times `base` (8.5 hours from the default 30 s), well
inside the disabling window, so a failing endpoint is still tried a few times a day."""
MAX_RETRY_AFTER = 3600.0
"""A receiver's `Retry-After` is honoured up to an hour."""
MAX_RESPONSE_BYTES = 64 * 1024
"""Read at most this much of an answer (enough to keep the connection; the rest is dropped)."""
MAX_ERROR = 2000
RETRY_STATUSES = frozenset({408, 429})


def retry_delay(attempt: int, *, base: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): `base` doubled for each
    earlier attempt, scaled by a factor in [0.5, 1) drawn from `jitter` in [0, 1)."""
    doublings = min(max(attempt - 1, 0), MAX_DOUBLINGS)
    return float(base * (2**doublings) * (0.5 + 0.5 * jitter))


def retry_after(value: str | None, *, now: datetime) -> float | None:
    """The seconds a `Retry-After` header asks for (a number, or an HTTP date), capped at
    `MAX_RETRY_AFTER`; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def retryable(status: int) -> bool:
    """Whether an answer with this status is worth trying again."""
    return status in RETRY_STATUSES or 500 <= status < 600


def message_id(delivery: Claimed) -> str:
    """The `webhook-id`: the event's, the same on every retry and redelivery."""
    if delivery.event_id is None:
        return f"ping_{delivery.id}"
    return f"evt_{delivery.event_id}"


def event_data(event: Event, *, owner_id: int, owner_role: Role) -> dict[str, Any]:
    """The `data` of an event's payload: ids and public figures only. A partner sees only the
    registrations it made itself."""
    data: dict[str, Any] = {
        "cursor": encode_cursor(int(event.position)),
        "planId": encode_global_id("Plan", event.plan_id) if event.plan_id else None,
        "trainingId": encode_global_id("Training", event.training_id)
        if event.training_id
        else None,
    }
    for key, value in event.data.items():
        if key == "registrations":
            data["registrations"] = [
                {"id": encode_global_id("Registration", int(r["id"])), "status": r["status"]}
                for r in value
                if owner_role is Role.ADMIN or r.get("registeredBy") == owner_id
            ]
        elif isinstance(value, int | float | str | bool) or value is None:
            data[key] = value
    return data


def sign(secrets: Sequence[str], *, msg_id: str, at: datetime, body: str) -> str:
    """The `webhook-signature` header: one `v1,…` signature per secret, space-separated."""
    return " ".join(Signer(s).sign(msg_id=msg_id, timestamp=at, data=body) for s in secrets)


OUTCOMES = {
    WebhookDeliveryStatus.DELIVERED: "delivered",
    WebhookDeliveryStatus.RETRYING: "retrying",
    WebhookDeliveryStatus.FAILED: "failed",
}
"""`hub_deliveries_total{channel="webhook",outcome}` by the status an attempt ends in."""


@dataclass(frozen=True)
class Claimed:
    id: int
    webhook_id: int
    event_id: int | None
    kind: str
    attempts: int


@dataclass(frozen=True)
class Result:
    """What one attempt came to."""

    delivery: Claimed
    status: WebhookDeliveryStatus
    response_status: int | None
    duration_ms: int | None
    error: str | None
    next_attempt_at: datetime | None = None


@dataclass
class WebhookWorker:
    """Delivers due webhook deliveries. `run_once` handles one batch; `run` loops until
    stopped."""

    settings: Settings
    batch_size: int = 64
    concurrency: int = 32
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    rng: random.Random = field(default_factory=random.Random)
    transport: httpx.AsyncBaseTransport | None = None
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, *, parent_pid: int | None = None) -> None:
        log.info("webhook worker started")
        try:
            while not stop.is_set():
                if parent_pid is not None and os.getppid() != parent_pid:
                    break
                try:
                    claimed = await self.run_once()
                except Exception:
                    log.exception("webhook pass failed; trying again shortly")
                    claimed = 0
                if claimed:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
        finally:
            await self.close()
            log.info("webhook worker stopped")

    async def drain(self, *, max_passes: int = 1000) -> int:
        """Run passes until nothing is due now; the number of attempts made."""
        total = 0
        for _ in range(max_passes):
            claimed = await self.run_once()
            if not claimed:
                break
            total += claimed
        return total

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            )
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.webhook_timeout_seconds),
                follow_redirects=False,
                limits=limits,
                transport=self.transport,
                trust_env=False,
            )
        return self._client

    # -- one batch --------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim up to `batch_size` due deliveries, attempt them concurrently, record the
        outcomes. Returns the number claimed."""
        now = datetime.now(UTC)
        claimed = await self._claim(
            now=now, lease_until=now + timedelta(seconds=self.lease_seconds)
        )
        if not claimed:
            return 0
        webhooks = {w.id: w for w in await Webhook.filter(id__in={c.webhook_id for c in claimed})}
        roles = dict(
            await Account.filter(id__in={w.account_id for w in webhooks.values()}).values_list(
                "id", "role"
            )
        )
        events = {
            int(e.position): e
            for e in await Event.filter(
                position__in={c.event_id for c in claimed if c.event_id is not None}
            )
        }
        targets: dict[int, asyncio.Task[list[IPAddress] | str]] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def attempt(delivery: Claimed) -> Result:
            webhook = webhooks.get(delivery.webhook_id)
            if webhook is None or not webhook.enabled:
                return Result(
                    delivery, WebhookDeliveryStatus.FAILED, None, None, "the webhook is disabled"
                )
            if webhook.id not in targets:
                targets[webhook.id] = asyncio.ensure_future(self._target(webhook.url))
            async with gate:
                return await self._attempt(
                    delivery,
                    webhook,
                    event=events.get(delivery.event_id) if delivery.event_id else None,
                    role=Role(roles.get(webhook.account_id, Role.PARTNER)),
                    target=await targets[webhook.id],
                )

        results = await asyncio.gather(*(attempt(c) for c in claimed))
        await self._record(results, webhooks)
        return len(claimed)

    async def _claim(self, *, now: datetime, lease_until: datetime) -> list[Claimed]:
        connection = connections.get("default")
        postgres = is_postgres(connection)
        lease, at = ("$1", "$2") if postgres else ("?1", "?2")
        lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
        sql = (
            f"UPDATE webhook_delivery SET claimed_until = {lease}"
            " WHERE id IN (SELECT id FROM webhook_delivery"
            " WHERE status IN ('PENDING', 'RETRYING')"
            f" AND next_attempt_at <= {at} AND (claimed_until IS NULL OR claimed_until < {at})"
            f" ORDER BY next_attempt_at, id LIMIT {int(self.batch_size)}{lock})"
            " RETURNING id, webhook_id, event_id, kind, attempts"
        )
        rows = await connection.execute_query_dict(sql, [lease_until, now])
        return sorted(
            (
                Claimed(
                    id=int(r["id"]),
                    webhook_id=int(r["webhook_id"]),
                    event_id=int(r["event_id"]) if r["event_id"] is not None else None,
                    kind=str(r["kind"]),
                    attempts=int(r["attempts"]),
                )
                for r in rows
            ),
            key=lambda c: c.id,
        )

    async def _target(self, url: str) -> list[IPAddress] | str:
        """The addresses a delivery to `url` may connect to, or why none."""
        try:
            return await checked_target(url, allow_private=self.settings.webhook_allow_private)
        except Invalid as refused:
            return f"refused: {refused.message}"

    def _body(self, delivery: Claimed, webhook: Webhook, event: Event | None, role: Role) -> str:
        if delivery.event_id is None:
            data: dict[str, Any] = {"webhookId": encode_global_id("Webhook", webhook.id)}
            at = datetime.now(UTC)
        else:
            assert event is not None
            data = event_data(event, owner_id=webhook.account_id, owner_role=role)
            at = event.at
        return json.dumps(
            {"type": delivery.kind, "timestamp": at.isoformat(), "data": data},
            separators=(",", ":"),
        )

    async def _attempt(
        self,
        delivery: Claimed,
        webhook: Webhook,
        *,
        event: Event | None,
        role: Role,
        target: list[IPAddress] | str,
    ) -> Result:
        now = datetime.now(UTC)
        if delivery.event_id is not None and event is None:
            return Result(delivery, WebhookDeliveryStatus.FAILED, None, None, "the event is gone")
        if delivery.kind != PING and event is not None and event.kind != delivery.kind:
            return Result(delivery, WebhookDeliveryStatus.FAILED, None, None, "the event changed")
        if isinstance(target, str):
            return self._retry(delivery, now, None, None, target)
        body = self._body(delivery, webhook, event, role)
        msg_id = message_id(delivery)
        headers = {
            "content-type": "application/json",
            "user-agent": "okoce-hub-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(
                signing_secrets(webhook, now), msg_id=msg_id, at=now, body=body
            ),
        }
        url, extensions = _pinned(webhook.url, target[0], headers)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                request = self.client().build_request(
                    "POST", url, content=body.encode(), headers=headers, extensions=extensions
                )
                response = await self.client().send(request, stream=True)
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= MAX_RESPONSE_BYTES:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            ms = _ms(started)
            return self._retry(
                delivery,
                now,
                None,
                ms,
                f"no answer within {self.settings.webhook_timeout_seconds:g} s",
            )
        except httpx.TimeoutException as error:
            return self._retry(
                delivery, now, None, _ms(started), f"timeout: {type(error).__name__}"
            )
        except (httpx.HTTPError, OSError) as error:
            return self._retry(
                delivery, now, None, _ms(started), f"{type(error).__name__}: {error}"[:MAX_ERROR]
            )
        ms = _ms(started)
        code = response.status_code
        if 200 <= code < 300:
            return Result(delivery, WebhookDeliveryStatus.DELIVERED, code, ms, None)
        reason = f"HTTP {code}"
        if retryable(code):
            wait = retry_after(response.headers.get("retry-after"), now=now)
            return self._retry(delivery, now, code, ms, reason, wait=wait)
        if 300 <= code < 400:
            reason += " (redirects are not followed)"
        return Result(delivery, WebhookDeliveryStatus.FAILED, code, ms, reason)

    def _retry(
        self,
        delivery: Claimed,
        now: datetime,
        code: int | None,
        ms: int | None,
        error: str,
        *,
        wait: float | None = None,
    ) -> Result:
        if wait is None:
            wait = retry_delay(
                delivery.attempts + 1,
                base=self.settings.webhook_retry_base_seconds,
                jitter=self.rng.random(),
            )
        return Result(
            delivery,
            WebhookDeliveryStatus.RETRYING,
            code,
            ms,
            error[:MAX_ERROR],
            next_attempt_at=now + timedelta(seconds=wait),
        )

    # -- outcomes ---------------------------------------------------------------------------

    async def _record(self, results: Sequence[Result], webhooks: dict[int, Webhook]) -> None:
        """The outcomes: one batched statement for the deliveries, one per endpoint whose
        health changed."""
        now = datetime.now(UTC)
        connection = connections.get("default")
        postgres = is_postgres(connection)
        marks = [f"${i}" if postgres else f"?{i}" for i in range(1, 8)]
        rows = [
            [
                r.status.value,
                r.response_status,
                r.duration_ms,
                r.error,
                r.next_attempt_at,
                now if r.status is WebhookDeliveryStatus.DELIVERED else None,
                r.delivery.id,
            ]
            for r in results
        ]
        update = (
            f"UPDATE webhook_delivery SET status = {marks[0]}, attempts = attempts + 1,"
            f" response_status = {marks[1]}, duration_ms = {marks[2]}, last_error = {marks[3]},"
            f" next_attempt_at = COALESCE({marks[4]}, next_attempt_at),"
            f" delivered_at = {marks[5]}, claimed_until = NULL"
            f" WHERE id = {marks[6]} AND status IN ('PENDING', 'RETRYING')"
        )
        if rows:
            await connection.execute_many(update, rows)
        for status, outcome in OUTCOMES.items():
            count_deliveries("webhook", outcome, sum(r.status is status for r in results))
        succeeded = {
            r.delivery.webhook_id for r in results if r.status is WebhookDeliveryStatus.DELIVERED
        }
        failed = {
            r.delivery.webhook_id
            for r in results
            if r.status is not WebhookDeliveryStatus.DELIVERED
            and r.delivery.webhook_id in webhooks
            and webhooks[r.delivery.webhook_id].enabled
        } - succeeded
        if succeeded:
            await Webhook.filter(id__in=succeeded).update(last_success_at=now, failing_since=None)
        for webhook_id in failed:
            await Webhook.filter(id=webhook_id, failing_since__isnull=True).update(
                failing_since=now
            )
            await self._disable_if_due(webhooks[webhook_id], now)

    async def _disable_if_due(self, webhook: Webhook, now: datetime) -> None:
        """Disable an endpoint without a success for `HUB_WEBHOOK_DISABLE_AFTER_SECONDS`."""
        limit = now - timedelta(seconds=self.settings.webhook_disable_after_seconds)
        async with write_transaction():
            disabled = await Webhook.filter(
                id=webhook.id, enabled=True, failing_since__lte=limit
            ).update(enabled=False, disabled_at=now)
            if not disabled:
                return
            await dataversion.bump()
            await fail_open_deliveries(
                webhook.id, "the webhook was disabled after failing too long", now=now
            )
            from hub.notify.webhooks import notify_webhook_disabled

            await notify_webhook_disabled(webhook_id=webhook.id, settings=self.settings)
        log.warning("webhook %s disabled after failing since before %s", webhook.id, limit)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _pinned(url: str, address: IPAddress, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The URL with its host replaced by the checked address, so no second lookup can send
    the request elsewhere; the `Host` header and TLS server name keep the real name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    headers["host"] = parts.netloc.rsplit("@", 1)[-1]
    extensions: dict[str, Any] = {}
    if parts.scheme == "https":
        extensions["sni_hostname"] = host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), extensions
