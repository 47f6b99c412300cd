"""Installing, starting, checking and stopping the servers, all on loopback ports.

Every server runs in its own process group, started with `start_new_session`, so that
Ctrl-C in the terminal reaches only the benchmark, which then stops each group itself
(SIGTERM, then SIGKILL after a bounded wait). Every wait here has a deadline."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from read_compare.common import BenchError, Json, Options, ServerKind, plain_dsn
from read_compare.operations import Facts, Request, canonical, requests_for

POSTGRAPHILE_VERSION = "4.14.1"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
READY_SECONDS = 90.0
INSTALL_SECONDS = 600.0
HTTP_TIMEOUT_SECONDS = 60.0
STOP_SECONDS = 10.0
FLOOR_SCRIPT = Path(__file__).resolve().parent.parent / "read_compare.py"


@dataclass
class Server:
    key: str  # hub-off, hub-on, postgraphile, floor
    label: str
    kind: ServerKind
    port: int
    ready_path: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    requests: dict[str, Request] = field(default_factory=dict)
    cache: str = "off"  # the hub's HUB_CACHE
    compiled: str = "on"  # the hub's HUB_COMPILED_READS
    workers: int = 1  # the hub's uvicorn workers

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def check_database_url(database_url: str) -> None:
    parts = urllib.parse.urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise BenchError("--database-url must be a postgres:// URL")
    if (parts.hostname or "localhost") not in LOOPBACK_HOSTS:
        raise BenchError(
            "--database-url must name a database on this machine (127.0.0.1, localhost or "
            "::1): the benchmark seeds it and loads it hard"
        )
    if not parts.path.strip("/"):
        raise BenchError("--database-url must name a database, e.g. .../hub_bench_read")


def hub_database_url(database_url: str, pool_size: int) -> str:
    """Tortoise reads the size of its asyncpg pool from the URL (`maxsize`, default 5)."""
    return f"{plain_dsn(database_url)}?maxsize={pool_size}"


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing and we are root."""
    if found := shutil.which("wrk"):
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BenchError("wrk is missing: install it with `sudo apt-get install -y wrk`")
    print("installing wrk with apt-get", flush=True)
    for command in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"]) * 2:
        subprocess.run(command, capture_output=True, timeout=INSTALL_SECONDS, check=False)
        if found := shutil.which("wrk"):
            return found
    raise BenchError("wrk could not be installed: run `apt-get update && apt-get install -y wrk`")


def ensure_postgraphile(work_dir: Path) -> tuple[str, Path]:
    """Node.js and PostGraphile's CLI script, installed with npm into the work folder (pinned)
    unless that version is already there."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BenchError("PostGraphile needs Node.js and npm: install them first")
    folder = work_dir / f"postgraphile-{POSTGRAPHILE_VERSION}"
    package = folder / "node_modules" / "postgraphile"
    manifest, cli = package / "package.json", package / "cli.js"
    if cli.exists() and json.loads(manifest.read_text())["version"] == POSTGRAPHILE_VERSION:
        return node, cli
    print(f"installing postgraphile@{POSTGRAPHILE_VERSION} with npm into {folder}", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"private": true}\n')
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error",
         f"postgraphile@{POSTGRAPHILE_VERSION}"],
        cwd=folder, capture_output=True, text=True, timeout=INSTALL_SECONDS, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not cli.exists():
        raise BenchError(f"npm could not install PostGraphile:\n{done.stderr[-2000:]}")
    return node, cli


def plan_servers(options: Options) -> list[Server]:
    """The hub once per cache setting, PostGraphile and the floor, on four fixed ports."""
    caches = {"off": ["off"], "on": ["on"], "both": ["off", "on"]}[options.cache]
    hubs = [
        Server(
            f"hub-{cache}", f"hub (cache {cache})", "hub", options.port_base + i, "/healthz",
            cache=cache,
        )
        for i, cache in enumerate(caches)
    ]  # fmt: skip
    if options.executor and "off" in caches:
        # The same hub with the compiled path off: the reference executor, side by side.
        hubs.append(
            Server(
                "hub-executor", "hub (cache off, executor)", "hub", options.port_base + 4,
                "/healthz", compiled="off",
            )
        )  # fmt: skip
    if options.two_workers and "off" in caches:
        hubs.append(
            Server(
                "hub-off-2w", "hub (cache off, 2 workers)", "hub", options.port_base + 5,
                "/healthz", workers=2,
            )
        )  # fmt: skip
    return [
        *hubs,
        Server("postgraphile", "PostGraphile", "postgraphile", options.port_base + 2, "/graphql"),
        Server("floor", "floor (SQL + Starlette)", "floor", options.port_base + 3, "/healthz"),
    ]


def command_of(server: Server, options: Options, node: str, postgraphile_cli: Path) -> list[str]:
    if server.kind == "hub":
        return [
            sys.executable, "-m", "uvicorn", "hub.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(server.port), "--workers", str(server.workers),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if server.kind == "postgraphile":
        return [
            node, str(postgraphile_cli),
            "--connection", plain_dsn(options.database_url), "--schema", "public",
            "--host", "127.0.0.1", "--port", str(server.port),
            "--max-pool-size", str(options.pool_size),
            "--disable-graphiql", "--disable-query-log", "--disable-default-mutations",
            "--no-setof-functions-contain-nulls", "--dynamic-json", "--simple-collections", "both",
        ]  # fmt: skip
    return [
        sys.executable, str(FLOOR_SCRIPT), "--serve-floor", "--port", str(server.port),
        "--pool-size", str(options.pool_size), "--database-url", plain_dsn(options.database_url),
    ]  # fmt: skip


def environment_of(server: Server, options: Options) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    if server.kind == "hub":
        env |= {
            "HUB_DATABASE_URL": hub_database_url(options.database_url, options.pool_size),
            "HUB_DATA_DIR": str(options.work_dir / "hub-data"),
            "HUB_CACHE": server.cache,
            "HUB_COMPILED_READS": server.compiled,
            "HUB_WORKER": "off",
            "HUB_AUTO_MIGRATE": "off",  # the benchmark migrated before starting it
            "HUB_RATE_LIMIT": "0",  # the load would spend any hourly budget in seconds
        }
    return env


def start_all(
    servers: Sequence[Server], options: Options, node: str, postgraphile_cli: Path
) -> None:
    """Start every server, then wait until each answers. Stop them with `stop` (always)."""
    logs = options.work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for server in servers:
        _check_port_free(server.port)
        server.log = logs / f"{server.key}.log"
        with server.log.open("wb") as log:
            server.process = subprocess.Popen(
                command_of(server, options, node, postgraphile_cli),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment_of(server, options),
                cwd=logs,
                start_new_session=True,
            )
    for server in servers:
        _wait_ready(server)


def stop(server: Server) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is still there after a while."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
            return


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections of an earlier run in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise BenchError(f"port {port} is in use: choose another --port-base") from None


def _log_tail(server: Server, lines: int = 30) -> str:
    if server.log is None or not server.log.exists():
        return ""
    return "\n".join(server.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_SECONDS
    probe = {"query": "{ __typename }"} if server.kind == "postgraphile" else None
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise BenchError(f"{server.label} exited while starting:\n{_log_tail(server)}")
        with contextlib.suppress(OSError):
            if http(server.base_url + server.ready_path, probe)[0] == 200:
                return
        time.sleep(0.25)
    raise BenchError(f"{server.label} not ready after {READY_SECONDS:.0f} s:\n{_log_tail(server)}")


def http(url: str, body: Json | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request, POST when there is a body, bounded by a timeout. Header names in
    lower case."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def prepare_requests(servers: Sequence[Server], facts: Facts) -> None:
    """Each server's request of each operation. PostGraphile's node id comes from PostGraphile
    itself, as a client would get it."""
    node_id = ""
    for server in servers:
        if server.kind == "postgraphile":
            status, _, raw = http(
                server.base_url + "/graphql",
                {
                    "query": "query($id: Int!) { communityById(id: $id) { nodeId } }",
                    "variables": {"id": facts.community_pk},
                },
            )
            if status != 200:
                raise BenchError(f"PostGraphile gave no nodeId for the community: {raw[:300]!r}")
            node_id = json.loads(raw)["data"]["communityById"]["nodeId"]
    for server in servers:
        server.requests = requests_for(server.kind, facts, node_id)


def verify(servers: Sequence[Server], operations: Sequence[str], facts: Facts) -> dict[str, int]:
    """Every server answers every operation with a 200 and exactly the data the tables hold
    (and the hub with the cache on answers a repeated read from its cache). Returns the sizes
    of the response bodies, by `server/operation`."""
    sizes: dict[str, int] = {}
    problems: list[str] = []
    for server in servers:
        for operation in operations:
            where = f"{server.label}, {operation}"
            request = server.requests[operation]
            status, _, raw = http(server.base_url + request.path, request.body)
            body = json.loads(raw) if status == 200 else {}
            if status != 200:
                problems.append(f"{where}: HTTP {status}: {raw[:300]!r}")
            elif body.get("errors") or not body.get("data"):
                problems.append(f"{where}: errors {json.dumps(body.get('errors'))[:300]}")
            elif canonical(server.kind, operation, body) != facts.expected[operation]:
                problems.append(f"{where}: the data differs from what the tables hold")
            elif server.key == "hub-on" and (
                http(server.base_url + request.path, request.body)[1].get("x-hub-cache") != "hit"
            ):
                problems.append(f"{where}: a repeated read was not answered from the cache")
            else:
                sizes[f"{server.key}/{operation}"] = len(raw)
    if problems:
        raise BenchError("answers checked and refused:\n  " + "\n  ".join(problems))
    return sizes
