"""Queries for provincial admins about the running hub."""

from __future__ import annotations

import strawberry

from hub.core import Forbidden
from schema.context import Info


@strawberry.type(description="The response cache of this process (one per server process).")
class CacheStats:
    hits: int = strawberry.field(description="Reads answered from the cache.")
    misses: int = strawberry.field(description="Cacheable reads that had to be executed.")
    entries: int = strawberry.field(description="Responses kept now.")
    bytes: int = strawberry.field(description="Memory they take, approximately.")
    budget_bytes: int = strawberry.field(description="The most it may take.")
    enabled: bool = strawberry.field(description="False when switched off (`HUB_CACHE=off`).")


@strawberry.type
class AdminQueries:
    @strawberry.field(
        description="Hit and miss counters of the response cache of the process answering. "
        "Admins only."
    )
    def cache_stats(self, info: Info) -> CacheStats:
        if not info.context.viewer.is_admin:
            raise Forbidden("cache statistics are for admins")
        cache = info.context.cache
        if cache is None:
            return CacheStats(hits=0, misses=0, entries=0, bytes=0, budget_bytes=0, enabled=False)
        stats = cache.stats()
        return CacheStats(
            hits=stats.hits,
            misses=stats.misses,
            entries=stats.entries,
            bytes=stats.bytes,
            budget_bytes=stats.budget_bytes,
            enabled=True,
        )
