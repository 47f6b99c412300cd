"""The graphql-http server audit (GraphQL over HTTP) against the hub, on loopback.

Installs the npm package `graphql-http` (pinned) into `bench/.work/`, starts `hub serve` on a
scratch SQLite database (reference data only, worker off) on a free loopback port, runs
`auditServer` from Node.js and prints every audit's status. Exits 1 when any audit is not ok
(a warning or an error).

    .venv/bin/python bench/http_audit.py
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

GRAPHQL_HTTP_VERSION = "1.23.1"
GRAPHQL_JS_VERSION = "16.15.0"
WORK = Path(__file__).resolve().parent / ".work" / f"graphql-http-{GRAPHQL_HTTP_VERSION}"
ROOT = Path(__file__).resolve().parents[1]

AUDIT = """
const { auditServer } = require('graphql-http');
auditServer({ url: process.argv[2] }).then((results) => {
  console.log(JSON.stringify(results.map((r) => ({
    id: r.id, name: r.name, status: r.status, reason: r.reason || null,
  }))));
});
"""


def install() -> Path:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        sys.exit("the audit needs Node.js and npm")
    if not (WORK / "node_modules" / "graphql-http").exists():
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error",
             f"graphql-http@{GRAPHQL_HTTP_VERSION}", f"graphql@{GRAPHQL_JS_VERSION}"],
            cwd=WORK, check=True, timeout=300,
        )  # fmt: skip
    script = WORK / "audit.js"
    script.write_text(AUDIT)
    return script


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> int:
    script = install()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hub-audit-") as tmp:
        env = {**os.environ, "HUB_DATA_DIR": tmp, "HUB_WORKER": "off"}
        hub = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--port", str(port), "--no-demo"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            for _ in range(300):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            done = subprocess.run(
                ["node", str(script), url], cwd=WORK, capture_output=True, text=True, timeout=120
            )
        finally:
            hub.terminate()
            hub.wait(timeout=30)
    if done.returncode != 0:
        sys.exit(done.stderr)
    results = json.loads(done.stdout)
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        reason = f" ({result['reason']})" if result["reason"] else ""
        print(f"{result['status']:5} {result['id']} {result['name']}{reason}")
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return 0 if set(counts) == {"ok"} else 1


if __name__ == "__main__":
    sys.exit(main())
