"""Load with wrk: one Lua script per server and operation that POSTs its JSON body, runs in
alternating rounds (for each round and operation: every server in turn), and wrk's output
read into numbers."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from read_compare.common import BenchError, Json, Options
from read_compare.servers import Server

_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors and timeouts, plus responses other than 2xx/3xx
    load_average: float  # the machine's 1-minute load average when the run started
    # CPU used during the run, in cores (CPU seconds per second): the server's processes (its
    # workers included), PostgreSQL's, and wrk's.
    cpu_server: float = 0.0
    cpu_postgres: float = 0.0
    cpu_wrk: float = 0.0


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> tuple[dict[int, float], float]:
    """CPU seconds (user + system) so far of the live processes, by process group, and of
    PostgreSQL's processes together."""
    groups: dict[int, float] = defaultdict(float)
    postgres = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS
        groups[int(fields[2])] += seconds
        if name.startswith("postgres"):
            postgres += seconds
    return groups, postgres


def parse_wrk(output: str, load_average: float) -> WrkResult:
    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    rate, total = find(r"^Requests/sec:\s+([\d.]+)"), find(r"^\s*(\d+) requests in ")
    if rate is None or total is None:
        raise BenchError(f"cannot read wrk's output:\n{output}")
    latency = {}
    for percent in ("50", "99"):
        found = find(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        latency[percent] = float(found[1]) * _MS_PER_UNIT[found[2]] if found else float("nan")
    errors = 0
    if sockets := find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        errors += sum(int(n) for n in sockets.groups())
    if refused := find(r"Non-2xx or 3xx responses: (\d+)"):
        errors += int(refused[1])
    return WrkResult(
        requests_per_second=float(rate[1]),
        p50_ms=latency["50"],
        p99_ms=latency["99"],
        requests=int(total[1]),
        errors=errors,
        load_average=load_average,
    )


def lua_script(body: Json) -> str:
    """A wrk script that POSTs `body` as JSON, the body in a Lua long string it cannot close."""
    text = json.dumps(body, separators=(",", ":"))
    level = next(n for n in range(len(text) + 2) if f"]{'=' * n}]" not in text)
    bracket = "=" * level
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [{bracket}[{text}]{bracket}]\n"
    )


def write_scripts(
    servers: Sequence[Server], operations: Sequence[str], work_dir: Path
) -> dict[str, Path]:
    folder = work_dir / "lua"
    folder.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for server in servers:
        for operation in operations:
            path = folder / f"{server.key}-{operation}.lua"
            path.write_text(lua_script(server.requests[operation].body))
            scripts[f"{server.key}/{operation}"] = path
    return scripts


def run_wrk(
    wrk: str, server: Server, operation: str, script: Path, options: Options, seconds: int
) -> WrkResult:
    command = [
        wrk, f"-t{options.wrk_threads}", f"-c{options.connections}", f"-d{seconds}s",
        f"--timeout={options.wrk_timeout}s", "--latency", "-s", str(script),
        server.base_url + server.requests[operation].path,
    ]  # fmt: skip
    load = os.getloadavg()[0]
    group = server.process.pid if server.process is not None else -1
    before, postgres_before = cpu_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + options.wrk_timeout + 30,
        check=False,
    )
    wall = max(time.monotonic() - started, 1e-6)
    after, postgres_after = cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    wrk_seconds = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    return replace(
        parse_wrk(done.stdout, load),
        cpu_server=(after.get(group, 0.0) - before.get(group, 0.0)) / wall,
        cpu_postgres=(postgres_after - postgres_before) / wall,
        cpu_wrk=wrk_seconds / wall,
    )


def run_rounds(
    wrk: str,
    servers: Sequence[Server],
    scripts: dict[str, Path],
    options: Options,
) -> dict[str, list[WrkResult]]:
    """A warm-up run per server and operation, then `options.rounds` rounds in which every
    server takes its turn on each operation. Results by `server/operation`."""
    results: dict[str, list[WrkResult]] = defaultdict(list)
    if options.warmup:
        for operation in options.operations:
            for server in servers:
                key = f"{server.key}/{operation}"
                print(f"warm-up    {key:<20} {options.warmup} s", flush=True)
                run_wrk(wrk, server, operation, scripts[key], options, options.warmup)
    for number in range(1, options.rounds + 1):
        for operation in options.operations:
            for server in servers:
                key = f"{server.key}/{operation}"
                result = run_wrk(wrk, server, operation, scripts[key], options, options.duration)
                results[key].append(result)
                print(
                    f"round {number}/{options.rounds}  {key:<20} "
                    f"{result.requests_per_second:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
                    f"p99 {result.p99_ms:7.1f} ms  load {result.load_average:.2f}"
                    + (f"  {result.errors} ERRORS" if result.errors else ""),
                    flush=True,
                )
    return results
