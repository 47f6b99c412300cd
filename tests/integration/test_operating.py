"""The first day of operating the hub, through the `hub` command in separate processes: which
database a command opens, the port check, CLI edges, stable demo tokens, request logs, backups."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.integration.test_cli import _postgres_admin

HUB = [sys.executable, "-m", "hub.cli"]


def hub(
    env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*HUB, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {**clean, "HUB_DATA_DIR": str(tmp_path / "var"), "HUB_WORKER": "off"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Which database ---------------------------------------------------------------------------


def test_only_serve_migrate_and_seed_create_a_database(env: dict[str, str], tmp_path: Path) -> None:
    # given a folder with no database
    data_dir = Path(env["HUB_DATA_DIR"])
    database = data_dir.resolve() / "hub.sqlite3"
    (tmp_path / "x.bak").write_bytes(b"")

    # when commands that may not create one run there
    for args in [
        ("token", "list"),
        ("token", "revoke", "1"),
        ("export", "mentors"),
        ("import", "demand", "-"),
        ("person", "export", "a@example.org"),
        ("backup", str(tmp_path / "x.bak")),
        ("restore", str(tmp_path / "x.bak")),
        ("worker",),
    ]:
        result = hub(env, *args, check=False, stdin="")
        # then each refuses, naming the database, and nothing is created
        assert result.returncode == 1, (args, result.stderr)
        assert f"hub: no database at SQLite {database}" in result.stderr, args
        assert "Traceback" not in result.stderr
        assert not data_dir.exists(), args

    # when `hub migrate` runs, it creates it and says which one
    migrated = hub(env, "migrate")
    assert migrated.stderr.splitlines()[0] == f"hub: database SQLite {database}"
    assert database.exists()
    listed = hub(env, "token", "list")
    assert listed.stderr.splitlines()[0] == f"hub: database SQLite {database}"


def test_a_second_serve_on_a_taken_port_exits_before_touching_anything(
    env: dict[str, str],
) -> None:
    # given a port somebody listens on
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # when hub serve is started on it
        result = hub(env, "serve", "--port", str(port), check=False)

    # then it exits non-zero with a clear message, printing no address and no token,
    # and no database was created
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "GraphiQL" not in result.stdout
    assert "okh_" not in result.stdout + result.stderr
    assert not Path(env["HUB_DATA_DIR"]).exists()


# --- CLI edges ---------------------------------------------------------------------------------


def test_cli_edges(env: dict[str, str], tmp_path: Path) -> None:
    # impossible ports and worker counts are refused by the parser
    for args in [("--port", "99999"), ("--port", "0"), ("--workers", "0")]:
        refused = hub(env, "serve", *args, check=False)
        assert refused.returncode == 2
        assert "hub serve: error: argument" in refused.stderr

    # an unknown log format is refused before anything runs
    xml = hub({**env, "HUB_LOG_FORMAT": "xml"}, "migrate", check=False)
    assert (xml.returncode, xml.stderr.strip()) == (
        2,
        "hub: HUB_LOG_FORMAT must be 'text' or 'json', not 'xml'",
    )

    # help texts describe options and defaults
    serve_help = hub(env, "serve", "--help").stdout
    assert "TCP port to listen on (1-65535) (default: 8000)" in " ".join(serve_help.split())
    assert "(default: 127.0.0.1)" in serve_help
    assert "apply pending migrations" in hub(env, "migrate", "--help").stdout
    assert "its own database" in " ".join(hub(env, "seed", "--help").stdout.split())

    hub(env, "seed", "--demo")

    # export to a folder that does not exist: a message, no traceback
    missing = hub(env, "export", "mentors", "/missing/dir/x.csv", check=False)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (
        "hub: cannot write /missing/dir/x.csv: folder /missing/dir does not exist"
    )
    assert "Traceback" not in missing.stderr

    # `-` is standard output for export and standard input for import
    table = hub(env, "export", "demand", "-").stdout
    assert table == hub(env, "export", "demand").stdout
    changed = table.replace("31.71.01,KULINER,60", "31.71.01,KULINER,61")
    assert changed != table
    imported = hub(env, "import", "demand", "-", stdin=changed)
    assert "demand: 0 created, 1 updated" in imported.stdout
    assert "31.71.01,KULINER,61" in hub(env, "export", "demand").stdout

    # a coordinator's community by its exact name
    created = hub(
        env,
        "token",
        "create",
        "--role",
        "COORDINATOR",
        "--email",
        "k2@example.org",
        "--community",
        "Komunitas Kopi Jakarta",
    )
    assert created.stdout.splitlines()[-1].startswith("okh_")
    unknown = hub(
        env,
        "token",
        "create",
        "--role",
        "COORDINATOR",
        "--email",
        "k3@example.org",
        "--community",
        "Komunitas Tidak Ada",
        check=False,
    )
    assert unknown.returncode == 1
    assert "no community named 'Komunitas Tidak Ada'" in unknown.stderr


def test_synthetic_seed_shows_no_progress_bar_when_not_on_a_terminal(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "HUB_DATABASE_URL": f"sqlite://{tmp_path / 'national.sqlite3'}"}
    result = hub(env, "seed", "--synthetic", "national", "--scale", "0.01")
    assert "synthetic national dataset loaded" in result.stdout
    assert "\r" not in result.stderr
    assert "step" not in result.stderr


def _on_a_terminal(env: dict[str, str], *args: str) -> str:
    """What `hub` writes when its standard output and error are a terminal (100 columns)."""
    import fcntl
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen([*HUB, *args], env=env, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, output
    return output.decode("utf-8", errors="replace")


def test_synthetic_seed_shows_its_progress_on_a_terminal(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "HUB_DATABASE_URL": f"sqlite://{tmp_path / 'national.sqlite3'}"}
    output = _on_a_terminal(env, "seed", "--synthetic", "national", "--scale", "0.05")
    frames = output.split("\r")
    assert any(f.startswith("communities:") and "/7 [" in f for f in frames), frames
    assert "synthetic national dataset loaded" in output


# --- A running hub -----------------------------------------------------------------------------


@dataclass
class Served:
    base: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text("utf-8", errors="replace").splitlines()

    def records(self, request_id: str, *, until: str) -> list[dict[str, Any]]:
        """The JSON log records of one request, once the logger `until` has written (the
        request line is written just after the response has gone)."""
        deadline = time.monotonic() + 10
        while True:
            records = [json.loads(line) for line in self.lines() if line.startswith("{")]
            mine = [r for r in records if r.get("request_id") == request_id]
            if any(r["logger"] == until for r in mine) or time.monotonic() > deadline:
                return mine
            time.sleep(0.1)


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[Served]:
    """`hub serve` on a free port until the block ends; its output goes to `log`."""
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [*HUB, "serve", "--port", str(port), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "hub serve did not answer in time"
                time.sleep(0.3)
        yield Served(base=base, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(
    served: Served, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{served.base}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def _get(served: Served, query: str, **headers: str) -> tuple[int, str, dict[str, Any] | None]:
    url = f"{served.base}/graphql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers["ETag"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            if error.code == 304:
                return 304, error.headers["ETag"], None
            raise


def _demo_tokens(output: str) -> dict[str, str]:
    return {
        line.split()[0]: line.split()[-1]
        for line in output.splitlines()
        if line.startswith("  ") and "okh_" in line
    }


def test_demo_tokens_stay_the_same_across_starts(env: dict[str, str], tmp_path: Path) -> None:
    # given a first start that writes the demo and its tokens, with the delivery worker and
    # its local mail sink
    with serving({**env, "HUB_WORKER": "on"}, tmp_path / "first.log") as first:
        deadline = time.monotonic() + 20
        while "delivery worker started" not in first.log.read_text():
            assert time.monotonic() < deadline, first.log.read_text()
            time.sleep(0.2)
    # the sink says where mail goes, and nothing of its SMTP conversations or self-check
    log = first.log.read_text()
    assert "local mail sink on 127.0.0.1:" in log
    assert "mail.log" not in log
    assert "Connection lost" not in log
    tokens = _demo_tokens(first.log.read_text())
    assert set(tokens) == {"ADMIN", "STAFF", "COORDINATOR", "PARTNER"}
    path = Path(env["HUB_DATA_DIR"]) / "demo-tokens.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # when the hub starts again, then it prints the same tokens, and they work
    with serving(env, tmp_path / "second.log") as second:
        assert _demo_tokens(second.log.read_text()) == tokens
        viewer = _post(second, "{ viewer { role } }", Authorization=f"Bearer {tokens['STAFF']}")
        assert viewer["data"]["viewer"]["role"] == "STAFF"

    # when the file is removed, the next start issues new ones and revokes the old ones
    path.unlink()
    with serving(env, tmp_path / "third.log") as third:
        renewed = _demo_tokens(third.log.read_text())
        assert set(renewed) == set(tokens)
        assert not set(renewed.values()) & set(tokens.values())
        assert "new demo tokens written to" in third.log.read_text()
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(third, "{ viewer { role } }", Authorization=f"Bearer {tokens['STAFF']}")
        refused.value.close()
        assert refused.value.code == 401


CREATE_COMMUNITY = """
mutation Create($input: CreateCommunityInput!) {
  createCommunity(input: $input) { community { name } errors { code message } }
}
"""
COUNT = 'query Count { communities(filter: { search: "Pulihkan" }) { totalCount } }'


def _create(served: Served, admin: str, name: str) -> None:
    body = _post(
        served,
        CREATE_COMMUNITY,
        {"input": {"name": name, "kind": "SECTOR", "sectorCodes": ["KULINER"], "areaCodes": []}},
        Authorization=f"Bearer {admin}",
    )
    assert body["data"]["createCommunity"]["errors"] == [], body


def _scratch_postgres() -> Iterator[str | None]:
    url = os.environ.get("HUB_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    name = f"hub_backup_{os.getpid()}"
    asyncio.run(_postgres_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_env(request: pytest.FixtureRequest, env: dict[str, str]) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield env
        return
    scratch = _scratch_postgres()
    url = next(scratch)
    if url is None:
        pytest.skip("set HUB_TEST_DATABASE_URL to a PostgreSQL database")
    try:
        yield {**env, "HUB_DATABASE_URL": url}
    finally:
        next(scratch, None)


def test_serve_back_up_change_restore_and_read_the_restored_data(
    database_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**database_env, "HUB_LOG_FORMAT": "json"}
    backup = tmp_path / "hub.bak"
    with serving(env, tmp_path / "serve.log") as served:
        admin = _demo_tokens(served.log.read_text())["ADMIN"]

        # request logs: one JSON line per request, found by its X-Request-ID
        _post(
            served,
            "query Who { viewer { role } }",
            Authorization=f"Bearer {admin}",
            **{"X-Request-ID": "backup-test-1"},
        )
        mine = served.records("backup-test-1", until="hub.requests")
        request_line = next(r for r in mine if r["logger"] == "hub.requests")
        assert {k: request_line[k] for k in ("operation", "role", "status", "cost")} == {
            "operation": "Who",
            "role": "ADMIN",
            "status": 200,
            "cost": 0,
        }
        assert isinstance(request_line["duration_ms"], float)
        assert admin not in json.dumps(mine)
        assert any(r["logger"] == "uvicorn.access" for r in mine)  # the access log too

        # a backup while serving, then a change
        assert _get(served, COUNT)[2]["data"] == {"communities": {"totalCount": 0}}
        hub(env, "backup", str(backup))
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds personal data
        _create(served, admin, "Komunitas Pulihkan Satu")
        status, etag_after_change, body = _get(served, COUNT)
        assert body["data"] == {"communities": {"totalCount": 1}}

        # a restore is refused while the database is served
        refused = hub(env, "restore", str(backup), check=False)
        assert refused.returncode == 1
        assert "stop" in refused.stderr

    restored = hub(env, "restore", str(backup))
    assert "restored from" in restored.stderr

    with serving(env, tmp_path / "again.log") as served:
        # the next read shows the restored data
        assert _get(served, COUNT)[2]["data"] == {"communities": {"totalCount": 0}}
        # another change brings the counter back to where the lost change had it; the ETag
        # of the lost change's answer must not match the new data
        admin = _demo_tokens(served.log.read_text())["ADMIN"]
        _create(served, admin, "Komunitas Pulihkan Dua")
        status, etag, body = _get(served, COUNT, **{"If-None-Match": etag_after_change})
        assert status == 200
        assert etag != etag_after_change
        assert body["data"] == {"communities": {"totalCount": 1}}
