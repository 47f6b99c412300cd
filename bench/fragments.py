"""Time the fragment query of issue 11 (finding 1) at 20, 40 and 200 levels, in-process.

`{ kotas { ...F<n> } }` with `fragment F0 on Kota { name }` and
`fragment Fi on Kota { ...F(i-1) ...F(i-1) }`: expanded naively it has 2^n fields. Each level
count is sent over the ASGI interface (no socket) to an app on a scratch SQLite database, and
the server time (request in, response out) is reported, best, median and worst of a few runs.
Each run sends the document with another trailing comment, so no memo answers it: every run
is parsed and validated from scratch.

    .venv/bin/python bench/fragments.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from hub.app import create_app
from hub.core.settings import Settings, sqlite_url
from hub.seed import load_reference_data


def fragment_query(levels: int) -> str:
    fragments = ["fragment F0 on Kota { name }"]
    fragments += [
        f"fragment F{i} on Kota {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ kotas {{ ...F{levels} }} }}\n" + "\n".join(fragments)


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=sqlite_url(Path(tmp) / "bench.sqlite3"),
            worker_enabled=False,
            cache_enabled=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await load_reference_data()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
                print(
                    "| levels | document bytes | status | outcome "
                    "| best ms | median ms | worst ms |"
                )
                print("|---|---|---|---|---|---|---|")
                for levels in (20, 40, 200):
                    times = []
                    for run in range(runs):
                        query = fragment_query(levels) + f"\n# run {run}"
                        started = time.perf_counter()
                        response = await http.post("/graphql", json={"query": query})
                        times.append((time.perf_counter() - started) * 1000)
                    body = response.json()
                    errors = body.get("errors") or []
                    outcome = (
                        errors[0]["message"][:60]
                        if errors
                        else f"{len(body['data']['kotas'])} kotas answered"
                    )
                    print(
                        f"| {levels} | {len(query)} | {response.status_code} | {outcome} "
                        f"| {min(times):.1f} | {statistics.median(times):.1f} | {max(times):.1f} |"
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
