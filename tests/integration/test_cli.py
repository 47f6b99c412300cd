"""The `hub` command as operators use it, in separate processes on their own databases."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

HUB = [sys.executable, "-m", "hub.cli"]


def hub(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*HUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False
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


def _post(url: str, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps({"query": query}).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


def test_tokens_are_created_listed_and_revoked(env: dict[str, str]) -> None:
    hub(env, "migrate")

    created = hub(
        env,
        "token",
        "create",
        "--role",
        "STAFF",
        "--email",
        "staf@example.org",
        "--centre",
        "31.71.01",
        "--name",
        "laptop",
        "--expires-days",
        "30",
    )
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("okh_")
    assert " " not in secret

    listing = hub(env, "token", "list", "--email", "staf@example.org").stdout
    assert "staf@example.org" in listing
    assert "laptop" in listing
    assert secret not in listing
    token_id = listing.strip().splitlines()[-1].split("\t")[0]

    conflict = hub(
        env, "token", "create", "--role", "ADMIN", "--email", "staf@example.org", check=False
    )
    assert conflict.returncode == 1
    assert "already exists as STAFF" in conflict.stderr

    hub(env, "token", "revoke", token_id)
    assert listing.strip().splitlines()[-1].split("\t")[-1] == "-"
    revoked = hub(env, "token", "list").stdout.strip().splitlines()[-1].split("\t")[-1]
    assert revoked != "-"

    missing_centre = hub(
        env, "token", "create", "--role", "STAFF", "--email", "x@example.org", check=False
    )
    assert missing_centre.returncode == 1
    assert "--centre" in missing_centre.stderr


def test_seed_demo_is_idempotent(env: dict[str, str]) -> None:
    assert "loaded" in hub(env, "seed", "--demo").stdout
    assert "already present" in hub(env, "seed", "--demo").stdout


def test_serve_starts_on_embedded_defaults_with_demo_tokens(env: dict[str, str]) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*HUB, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert json.loads(response.read())["database"] == "up"
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "hub serve did not answer in time"
                time.sleep(0.3)

        body = _post(f"{base}/graphql", "{ kotas { code } communities { totalCount } }")
        assert len(body["data"]["kotas"]) == 6
        assert body["data"]["communities"]["totalCount"] >= 30
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)

    assert f"GraphiQL at http://127.0.0.1:{port}/graphql" in output
    roles = {
        line.split()[0]: line.split()[-1]
        for line in output.splitlines()
        if line.startswith("  ") and "okh_" in line
    }
    assert set(roles) == {"ADMIN", "STAFF", "COORDINATOR", "PARTNER"}


async def _postgres_admin(url: str, sql: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres", query=""))
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def test_processes_migrating_together_never_race(env: dict[str, str]) -> None:
    url = os.environ.get("HUB_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the advisory lock is PostgreSQL's; set HUB_TEST_DATABASE_URL")
    name = f"hub_migrate_race_{os.getpid()}"
    asyncio.run(_postgres_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        racing = {**env, "HUB_DATABASE_URL": scratch}
        processes = [
            subprocess.Popen([*HUB, "migrate"], env=racing, stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=120)[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
        listing = hub(racing, "token", "create", "--role", "ADMIN", "--email", "a@example.org")
        assert listing.stdout.strip().splitlines()[-1].startswith("okh_")
    finally:
        asyncio.run(_postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
