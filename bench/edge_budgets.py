"""What the edge's budgets cost a request, in-process (issue 12).

1. The share of validation and cost analysis in the request time of the read benchmark's three
   operations (`bench/read_compare/operations.py`: nested, kecamatan, node), response cache off,
   on the Jakarta demo. Requests go through the ASGI interface (no socket); validation is timed
   both as it runs (its memo answers a document seen before) and cold (memo emptied before
   every request).
2. The rate limiter's added latency per request (`RateLimiter.spend`), memory storage and Redis
   storage (127.0.0.1:6379, skipped when not reachable): p50 and p90 of many calls.

    .venv/bin/python bench/edge_budgets.py [--database-url postgres://…] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_compare.operations import HUB_KECAMATAN, HUB_NESTED, HUB_NODE

import hub.app
import schema
from hub.app import create_app
from hub.core.settings import ROLES, Settings, sqlite_url
from hub.seed import load_demo, load_reference_data
from hub.web import RateLimiter
from models.directory import Community


class Timer:
    """Wraps a function, adding up the time spent in it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


async def shares(database_url: str | None, requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=database_url or sqlite_url(Path(tmp) / "bench.sqlite3"),
            worker_enabled=False,
            cache_enabled=False,
            rate_limit=dict.fromkeys(ROLES, 0),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            if await Community.all().count() == 0:
                await load_reference_data()
                await load_demo()
            community = await Community.all().order_by("id").first()
            assert community is not None
            node_id = base64.b64encode(f"Community:{community.id}".encode()).decode()
            operations = {
                "nested": {"query": HUB_NESTED},
                "kecamatan": {
                    "query": HUB_KECAMATAN,
                    "variables": {"code": "31.71.01", "kota": "31.71"},
                },
                "node": {"query": HUB_NODE, "variables": {"id": node_id}},
            }
            validation, costing = Timer(), Timer()
            validator = schema._validated
            original_validate = validator.validate
            validator.validate = validation.wrap(original_validate)  # type: ignore[method-assign]
            hub.app.operation_cost = costing.wrap(hub.app.operation_cost)  # type: ignore[assignment]
            transport = httpx.ASGITransport(app=app)
            print(
                "| operation | validation | request ms (median) | validation ms | cost ms | share |"
            )
            print("|---|---|---|---|---|---|")
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
                for name, body in operations.items():
                    for cold in (False, True):
                        for _ in range(5):
                            assert (await http.post("/graphql", json=body)).status_code == 200
                        totals, validating, costs = [], [], []
                        for _ in range(requests):
                            if cold:
                                validator.memo.clear()
                            validation.seconds = costing.seconds = 0.0
                            started = time.perf_counter()
                            response = await http.post("/graphql", json=body)
                            totals.append(time.perf_counter() - started)
                            validating.append(validation.seconds)
                            costs.append(costing.seconds)
                            assert "errors" not in response.json(), response.text
                        total = statistics.median(totals) * 1000
                        valid = statistics.median(validating) * 1000
                        cost = statistics.median(costs) * 1000
                        print(
                            f"| {name} | {'cold' if cold else 'memo'} | {total:.2f} "
                            f"| {valid:.3f} | {cost:.3f} | {(valid + cost) / total:.1%} |"
                        )


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def limiter_latency(calls: int) -> None:
    print()
    print("| storage | calls | p50 µs | p90 µs |")
    print("|---|---|---|---|")
    storages: dict[str, str | None] = {"memory": None}
    if redis_reachable():
        storages["redis"] = "redis://127.0.0.1:6379/0"
    for name, url in storages.items():
        limiter = RateLimiter(budgets={"ANONYMOUS": 10**9}, redis_url=url)
        caller = f"bench:{uuid.uuid4().hex}"
        for _ in range(20):
            await limiter.spend(role="ANONYMOUS", caller=caller, cost=1)
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            await limiter.spend(role="ANONYMOUS", caller=caller, cost=250)
            times.append(time.perf_counter() - started)
        assert limiter.storage == name
        times.sort()
        p50, p90 = times[len(times) // 2], times[int(len(times) * 0.9)]
        print(f"| {name} | {calls} | {p50 * 1e6:.0f} | {p90 * 1e6:.0f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--limiter-calls", type=int, default=2000)
    options = parser.parse_args()
    await shares(options.database_url, options.requests)
    await limiter_latency(options.limiter_calls)


if __name__ == "__main__":
    asyncio.run(main())
