"""Where one hub request spends its time: cProfile around requests sent one after another
through the hub's ASGI app in this process (httpx's ASGITransport: no HTTP server, no
uvloop), cache off, summed over several identical requests and divided by their number, so
that one stall of a busy machine does not dominate.

cProfile makes every Python call dearer, so its milliseconds exaggerate code that makes many
small calls; the shares by package and the call counts are what to read. The unprofiled
median is measured the same way, without the profiler."""

from __future__ import annotations

import cProfile
import logging
import pstats
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from read_compare.common import REPO, Json, plain_dsn


class _StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends (it logs each at DEBUG on `tortoise.db_client`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(("Created connection pool", "Closed connection pool")):
            self.statements += 1


async def _count_statements(client: Any, body: Json) -> int:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = _StatementCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        (await client.post("/graphql", json=body)).raise_for_status()
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.statements


# Phases of a request: (label, file the function lives in, function), by cumulative time.
# Only functions that run whole inside one frame are reliable this way: a coroutine counts
# while it runs, and the tasks that GraphQL execution gathers run outside their caller.
PHASES = (
    ("parsing (token limit included)", "graphql/language/parser.py", "parse"),
    ("validation (depth and alias limits included)", "graphql/validation/validate.py", "validate"),
    ("Tortoise queries (building SQL, reading rows)", "tortoise/queryset.py", "_execute"),
    ("JSON encoding", "json/encoder.py", "encode"),
)
WARM_REQUESTS = 5
TIMED_REQUESTS = 10
PROFILED_REQUESTS = 20


async def profile_requests(
    database_url: str,
    work_dir: Path,
    bodies: dict[str, Json],
    top: int = 12,
    compiled: str = "on",
) -> str:
    """A summary per operation (`bodies`: the hub's request body of each), with the compiled
    path on or off (`compiled`)."""
    import httpx

    from hub.app import create_app
    from hub.core import Settings

    settings = Settings.from_env(
        {
            "HUB_DATABASE_URL": plain_dsn(database_url),
            "HUB_DATA_DIR": str(work_dir / "hub-data"),
            "HUB_CACHE": "off",
            "HUB_WORKER": "off",
            "HUB_AUTO_MIGRATE": "off",
            "HUB_RATE_LIMIT": "0",  # the load would spend any hourly budget in seconds
            "HUB_COMPILED_READS": compiled,
        }
    )
    app = create_app(settings)
    parts = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        for operation, body in bodies.items():
            for _ in range(WARM_REQUESTS):
                (await client.post("/graphql", json=body)).raise_for_status()
            walls = []
            for _ in range(TIMED_REQUESTS):
                began = time.perf_counter()
                (await client.post("/graphql", json=body)).raise_for_status()
                walls.append((time.perf_counter() - began) * 1000)
            statements = await _count_statements(client, body)
            profiler = cProfile.Profile()
            began = time.perf_counter()
            for _ in range(PROFILED_REQUESTS):
                profiler.enable()
                response = await client.post("/graphql", json=body)
                profiler.disable()
                response.raise_for_status()
            profiled_ms = (time.perf_counter() - began) * 1000 / PROFILED_REQUESTS
            head = (
                f"**{operation}**: {statistics.median(walls):.1f} ms per request (median of "
                f"{TIMED_REQUESTS}, in-process), {profiled_ms:.1f} ms under cProfile; "
                f"{len(response.content):,} bytes; {statements} SQL statements. Per request "
                f"(profile of {PROFILED_REQUESTS}, divided):"
            )
            parts.append(head + "\n\n" + summarise(pstats.Stats(profiler), PROFILED_REQUESTS, top))
    return "\n".join(parts)


def summarise(stats: pstats.Stats, requests: int, top: int) -> str:
    """Calls and times per request, by package and for the functions with most own time."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    own: dict[str, float] = defaultdict(float)
    calls = 0
    for (filename, _, _), (_, ncalls, tottime, _, _) in raw.items():
        own[_package(filename)] += tottime
        calls += ncalls
    total = sum(own.values()) or 1.0
    shares = sorted(own.items(), key=lambda item: -item[1])
    phases = [
        (label, sum(v[3] for k, v in raw.items() if k[0].endswith(where) and k[2] == function))
        for label, where, function in PHASES
    ]
    rest = total - sum(seconds for _, seconds in phases)
    lines = [
        f"Python time {total * 1000 / requests:.1f} ms: "
        + ", ".join(f"{label} {seconds * 1000 / requests:.1f} ms" for label, seconds in phases)
        + f", the rest (executing and completing the result, resolvers, HTTP view) "
        f"{rest * 1000 / requests:.1f} ms.",
        "",
        f"{calls // requests:,} Python function calls (a coroutine counts once per resumption). "
        "Own time by package: "
        + ", ".join(
            f"{name} {seconds / total:.0%}" for name, seconds in shares if seconds / total >= 0.01
        )
        + ".",
        "",
        "| function | calls | own ms | cumulative ms |",
        "|---|---:|---:|---:|",
    ]
    for (filename, line, function), (_, ncalls, tottime, cumtime, _) in sorted(
        raw.items(), key=lambda item: -item[1][2]
    )[:top]:
        where = "" if filename == "~" else f" ({_short(filename)}:{line})"
        lines.append(
            f"| `{function}`{where} | {ncalls / requests:,.0f} | {tottime * 1000 / requests:.2f} "
            f"| {cumtime * 1000 / requests:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _package(filename: str) -> str:
    if filename == "~":
        return "C built-ins"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_absolute() and path.is_relative_to(REPO):
        return path.relative_to(REPO).parts[0] + "/"
    return "asyncio" if "asyncio" in path.parts else "stdlib"


def _short(filename: str) -> str:
    path = Path(filename)
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1 :])
    if path.is_absolute() and path.is_relative_to(REPO):
        return str(path.relative_to(REPO))
    return "/".join(path.parts[-2:])
