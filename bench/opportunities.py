"""Benchmark: `Community.opportunities` at national size.

    python bench/opportunities.py --database-url URL [--samples 50]

URL names a database holding the national dataset (`hub seed --synthetic national`). Runs in
this one process: the GraphQL operation goes through `schema.execute` with a fresh context
(fresh loaders) each time, as the HTTP view runs it, without HTTP and without the response
cache; "service" is `hub.matching.opportunities` alone. Three kinds of community, sampled at
random: those serving anywhere (every one of the 7,285 kecamatan is in reach), those serving
areas of one province, and those serving areas of several provinces. Before timing, the
answers of a sample are checked against each kecamatan's complements (the same figures seen
from the other side).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import connections

import schema
from hub import matching
from hub.core import Settings, encode_global_id, open_database
from schema.context import Context

OPPORTUNITIES = """
query ($id: ID!) {
  node(id: $id) { ... on Community {
    opportunities {
      kecamatan { code name } score reach filled sectors { sector { code } gap free filled }
    }
  } }
}
"""


async def timed(samples: list[float], work: Callable[[], Awaitable[Any]]) -> Any:
    start = time.perf_counter()
    result = await work()
    samples.append((time.perf_counter() - start) * 1000)
    return result


def summary(samples: list[float]) -> str:
    p99 = statistics.quantiles(samples, n=100, method="inclusive")[98] if len(samples) > 1 else 0
    return f"{statistics.median(samples):.1f} | {p99:.1f} | {max(samples):.1f}"


async def communities_by_kind() -> dict[str, list[int]]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT c.id, r.code FROM community c "
        "LEFT JOIN community_area ca ON ca.community_id = c.id "
        "LEFT JOIN region r ON r.id = ca.region_id"
    )
    provinces: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        found = provinces[row["id"]]  # every community gets an entry
        if row["code"] is not None:
            found.add(row["code"].split(".")[0])
    kinds: dict[str, list[int]] = {"anywhere": [], "one province": [], "several provinces": []}
    for community_id, found in sorted(provinces.items()):
        kind = (
            "anywhere" if not found else "one province" if len(found) == 1 else "several provinces"
        )
        kinds[kind].append(community_id)
    return kinds


async def check(community_ids: list[int]) -> int:
    """Every opportunity of these communities equals the kecamatan's complement for it."""
    found = await matching.opportunities(community_ids=community_ids, first=5)
    pairs = 0
    for community_id, opportunities in found.items():
        for o in opportunities:
            ranked = await matching.complements(kecamatan_ids=[o.kecamatan.id], first=100)
            seen = [c for c in ranked[o.kecamatan.id] if c.community_id == community_id]
            if not seen:  # ranked beyond 100 of its kecamatan's candidates: compare alone
                continue
            c = seen[0]
            assert (c.reach, c.score, c.filled, c.sectors) == (
                o.reach,
                o.score,
                o.filled,
                o.sectors,
            ), (community_id, o.kecamatan.code)
            pairs += 1
    return pairs


async def run(args: argparse.Namespace) -> None:
    settings = Settings(database_url=args.database_url)
    rng = random.Random(2017)
    async with open_database(settings, create=False):
        kinds = await communities_by_kind()
        print(
            f"# {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"load average {os.getloadavg()[0]:.1f}; communities: "
            + ", ".join(f"{k} {len(v)}" for k, v in kinds.items())
        )
        checked = await check([rng.choice(v) for v in kinds.values() if v for _ in range(2)])
        print(f"# checked {checked} pairs against complements")
        print("| communities | GraphQL p50 | p99 | max | service p50 | p99 | max |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for kind, ids in kinds.items():
            if not ids:
                continue
            graphql_ms: list[float] = []
            service_ms: list[float] = []
            for community_id in [rng.choice(ids) for _ in range(args.samples)]:
                variables = {"id": encode_global_id("Community", community_id)}

                async def through_graphql(variables: dict[str, Any] = variables) -> Any:
                    result = await schema.schema.execute(
                        OPPORTUNITIES,
                        variable_values=variables,
                        context_value=Context(settings=settings),
                    )
                    assert not result.errors, result.errors
                    return result.data

                async def service(community_id: int = community_id) -> Any:
                    return await matching.opportunities(community_ids=[community_id])

                await timed(graphql_ms, through_graphql)
                await timed(service_ms, service)
            print(f"| {kind} ({args.samples}) | {summary(graphql_ms)} | {summary(service_ms)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--samples", type=int, default=50)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
