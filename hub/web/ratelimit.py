"""Hourly rate budgets per token, or per client address for anonymous callers (DESIGN section 9).

Each request spends `max(1, ceil(cost / 100))` points from its caller's hourly budget (a fixed
window of the `limits` library), whatever happens next: cache hits and 304s spend too. Budgets
are per role (`HUB_RATE_LIMIT`; 0 = unlimited), kept in this process's memory, or in Redis when
`HUB_REDIS_URL` is set so that every process shares them. When Redis does not answer, the
process falls back to its own memory (and logs it), trying Redis again after a while.

Client addresses are the TCP peer's, or the `X-Forwarded-For` address a trusted proxy
(`HUB_TRUSTED_PROXIES`) reports."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerHour
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

POINTS_PER_COST = 100
RETRY_REDIS_SECONDS = 30.0
"""After Redis failed, how long a process keeps to its memory before trying Redis again."""
REDIS_TIMEOUT_SECONDS = 0.5


def points(cost: int) -> int:
    """What a request of `cost` spends from its budget."""
    return max(1, math.ceil(cost / POINTS_PER_COST))


@dataclass(frozen=True)
class Decision:
    """Whether a request may proceed, and the caller's budget for the `RateLimit-*` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


def redis_storage_uri(url: str) -> str:
    """`redis://host:port/db` (HUB_REDIS_URL) as the `limits` async storage URI."""
    if url.startswith(("redis://", "rediss://")):
        return "async+" + url
    if url.startswith("async+"):
        return url
    raise ValueError(f"HUB_REDIS_URL must start with redis:// or rediss://, not {url!r}")


class RateLimiter:
    """Spends points from the budgets of one process (memory) or of all (Redis)."""

    def __init__(self, *, budgets: Mapping[str, int], redis_url: str | None = None) -> None:
        self.items: dict[str, RateLimitItem] = {
            role: RateLimitItemPerHour(amount) for role, amount in budgets.items() if amount > 0
        }
        self.redis_url = redis_url
        self._memory: FixedWindowRateLimiter | None = None
        self._redis: FixedWindowRateLimiter | None = None
        self._redis_failed_at: float | None = None

    @property
    def storage(self) -> str:
        """Where budgets are kept now: `redis` or `memory`."""
        return "redis" if self.redis_url and self._redis_failed_at is None else "memory"

    def _memory_limiter(self) -> FixedWindowRateLimiter:
        if self._memory is None:
            self._memory = FixedWindowRateLimiter(MemoryStorage())
        return self._memory

    def _redis_limiter(self) -> FixedWindowRateLimiter | None:
        if not self.redis_url:
            return None
        failed_at = self._redis_failed_at
        if failed_at is not None and time.monotonic() - failed_at < RETRY_REDIS_SECONDS:
            return None
        if self._redis is None:
            storage: Storage = RedisStorage(
                redis_storage_uri(self.redis_url),
                wrap_exceptions=True,
                connect_timeout=REDIS_TIMEOUT_SECONDS,
                stream_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = FixedWindowRateLimiter(storage)
        return self._redis

    async def spend(self, *, role: str, caller: str, cost: int) -> Decision | None:
        """Spend the points of a request of `cost`; None when the role has no limit."""
        item = self.items.get(role)
        if item is None:
            return None
        spent = points(cost)
        redis = self._redis_limiter()
        if redis is not None:
            try:
                decision = await self._spend(redis, item, role, caller, spent)
            except Exception as error:  # any failure of Redis: a budget is never worth a 500
                self._redis_failed_at = time.monotonic()
                log.warning(
                    "Redis at %s does not answer (%s): rate budgets are kept in this "
                    "process's memory for now",
                    self.redis_url,
                    error,
                )
            else:
                if self._redis_failed_at is not None:
                    log.warning("Redis at %s answers again: rate budgets shared", self.redis_url)
                    self._redis_failed_at = None
                return decision
        return await self._spend(self._memory_limiter(), item, role, caller, spent)

    @staticmethod
    async def _spend(
        limiter: FixedWindowRateLimiter, item: RateLimitItem, role: str, caller: str, spent: int
    ) -> Decision:
        allowed = await limiter.hit(item, role, caller, cost=spent)
        stats = await limiter.get_window_stats(item, role, caller)
        return Decision(
            allowed=allowed,
            limit=item.amount,
            remaining=stats.remaining,
            reset_seconds=max(1, math.ceil(stats.reset_time - time.time())),
        )


def token_caller(authorization: str) -> str:
    """A token's budget key: a fingerprint, never the secret."""
    return "token:" + hashlib.sha256(authorization.strip().encode()).hexdigest()[:32]


class TrustedProxies:
    """Addresses (or networks) whose `X-Forwarded-For` is believed."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks = [
            ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()
        ]

    def __contains__(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client: the TCP peer, unless it is a trusted proxy; then the last address in
        `X-Forwarded-For` that is not a trusted proxy (each proxy appends what it saw)."""
        address = peer or "unknown"
        if not forwarded_for or address not in self:
            return address
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return address
            address = hop
            if hop not in self:
                return hop
        return address
