"""The Markdown section: figures per operation and server, ratios to PostGraphile, the
issue's targets, the machine, the versions and the command."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from read_compare.common import REPO, Options
from read_compare.load import WrkResult
from read_compare.operations import Facts
from read_compare.servers import POSTGRAPHILE_VERSION, Server

# (server, operation, lowest ratio to PostGraphile): issue 18, "Measure" (issue 7's before).
TARGETS = (
    ("hub-off", "nested", 1.0),
    ("hub-off", "kecamatan", 1.0),
    ("hub-on", "nested", 3.0),
)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _rates(results: dict[str, list[WrkResult]], key: str) -> list[float]:
    return [r.requests_per_second for r in results.get(key, [])]


def ratio(results: dict[str, list[WrkResult]], key: str, operation: str) -> float:
    """The median over the rounds of the server's rate divided by PostGraphile's in the same
    round: the rounds alternate, so each pair was measured under the same machine load."""
    pairs = zip(_rates(results, key), _rates(results, f"postgraphile/{operation}"), strict=False)
    return median([mine / theirs for mine, theirs in pairs if theirs > 0])


def figures(
    results: dict[str, list[WrkResult]],
    servers: Sequence[Server],
    sizes: dict[str, int],
    facts: Facts,
    options: Options,
) -> str:
    lines = [
        f"{options.rounds} alternating rounds of {options.duration} s per server and operation "
        f"after {options.warmup} s of warm-up each; wrk, {options.connections} connections, "
        f"{options.wrk_threads} threads; one server process each, with a database pool of "
        f"{options.pool_size} connections. Medians over the rounds; the range is the slowest "
        "and the fastest round; the ratio is the median of each round's ratio to PostGraphile.",
        "",
        "| operation | server | req/s | range | p50 ms | p99 ms | vs PostGraphile | bytes |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for operation in options.operations:
        for server in servers:
            key = f"{server.key}/{operation}"
            runs = results.get(key, [])
            if not runs:
                continue
            rates = _rates(results, key)
            errors = sum(r.errors for r in runs)
            lines.append(
                f"| {operation} | {server.label} | {median(rates):.1f} | "
                f"{min(rates):.0f}-{max(rates):.0f} | {median([r.p50_ms for r in runs]):.1f} | "
                f"{median([r.p99_ms for r in runs]):.1f} | {ratio(results, key, operation):.2f}x | "
                f"{sizes.get(key, 0):,}{f' ({errors} errors)' if errors else ''} |"
            )
    lines += cpu_table(results, servers, options)
    lines += ["", "Targets (issue 18), against PostGraphile in the same run:", ""]
    for key, operation, target in TARGETS:
        reached = ratio(results, f"{key}/{operation}", operation)
        if reached != reached:  # not measured (NaN)
            continue
        verdict = (
            "met"
            if reached >= target
            else f"missed by {target - reached:.2f}x: it needs {target / reached:.1f} times "
            "the throughput measured"
        )
        lines.append(
            f"- {operation}, {key}: target {target:.1f}x, measured {reached:.2f}x, {verdict}"
        )
    loads = [r.load_average for runs in results.values() for r in runs]
    lines += [
        "",
        "Every server's answers were checked against the tables before and after loading: "
        + ", ".join(f"{n} {what}" for what, n in facts.counts.items())
        + f" (kecamatan {facts.kecamatan_code}, kota {facts.kota_code}).",
    ]
    if loads:
        lines.append(
            f"The machine's 1-minute load average as runs started: median {median(loads):.2f}, "
            f"highest {max(loads):.2f}."
        )
    return "\n".join(lines) + "\n"


def cpu_table(
    results: dict[str, list[WrkResult]], servers: Sequence[Server], options: Options
) -> list[str]:
    """CPU in cores (medians over the rounds) of each server, PostgreSQL and wrk while each
    server was loaded, and the two-worker hub against the one-worker hub."""
    lines = [
        "",
        "CPU while loaded, in cores of the machine's 2 (medians over the rounds; the server's "
        "processes, all of PostgreSQL's, wrk's):",
        "",
        "| operation | server | server | PostgreSQL | wrk |",
        "|---|---|---:|---:|---:|",
    ]
    for operation in options.operations:
        for server in servers:
            runs = results.get(f"{server.key}/{operation}", [])
            if runs:
                lines.append(
                    f"| {operation} | {server.label} | "
                    f"{median([r.cpu_server for r in runs]):.2f} | "
                    f"{median([r.cpu_postgres for r in runs]):.2f} | "
                    f"{median([r.cpu_wrk for r in runs]):.2f} |"
                )
    for operation in options.operations:
        one, two = (
            _rates(results, f"hub-off/{operation}"),
            _rates(results, f"hub-off-2w/{operation}"),
        )
        pairs = [b / a for a, b in zip(one, two, strict=False) if a > 0]
        if pairs:
            lines.append(
                f"\n{operation}: 2 workers serve {median(pairs):.2f}x the requests of 1 worker "
                "(median of the rounds' ratios), cache off."
            )
    return lines


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpu = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "")
    kib = next((int(x.split()[1]) for x in meminfo if x.startswith("MemTotal:")), 0)
    return {
        "nproc": str(os.cpu_count()),
        "CPU": cpu or platform.processor() or "unknown",
        "RAM": f"{kib / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
    }


def versions(node: str, wrk: str, facts: Facts) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {
        "Python": platform.python_version(),
        "PostgreSQL": facts.postgres_version,
        "Node.js": _output([node, "--version"]),
        "PostGraphile": POSTGRAPHILE_VERSION,
        "wrk": " ".join(_output([wrk, "--version"]).split()[1:2]),
    }
    packages = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "uvloop")
    for package in (*packages, "httptools", "tortoise-orm", "asyncpg"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    found["hub code"] = code_state()
    return found


def code_state() -> str:
    """The commit of the checkout and, when `hub/`, `schema/` or `models/` differ from it, how
    many files and a digest of the difference, so that a working tree can be told apart."""
    commit = _output(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"])
    paths = ["hub", "schema", "models"]
    changed = _output(["git", "-C", str(REPO), "status", "--porcelain", "--", *paths])
    if not changed:
        return commit
    diff = _output(["git", "-C", str(REPO), "diff", "HEAD", "--", *paths])
    digest = hashlib.sha256((changed + diff).encode()).hexdigest()[:12]
    files = len(changed.splitlines())
    return f"{commit} with {files} uncommitted files in hub/, schema/, models/ (digest {digest})"


def section(
    figures_text: str, started: datetime, versions_found: dict[str, str], command: str
) -> str:
    """The whole section: when, the figures, the machine, the versions and the command.
    `versions_found` is taken when the servers start, the code they run included."""
    lines = [
        f"Measured from {started:%Y-%m-%d %H:%M} to {datetime.now(UTC):%H:%M} UTC.",
        "",
        figures_text.rstrip(),
        "",
    ]
    for title, values in (("Machine", machine()), ("Versions", versions_found)):
        lines += [f"{title}: " + ", ".join(f"{k} {v}" for k, v in values.items()) + ".", ""]
    lines += ["Command:", "", "```sh", command, "```"]
    return "\n".join(lines) + "\n"


def _output(command: Sequence[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip()
    return ""
