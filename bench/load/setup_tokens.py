"""One token per simulated user of the load suite, made with `hub token create`.

Run it with the hub's own environment (HUB_DATABASE_URL and friends) against the database the
load will hit, after `hub serve` has loaded the demo (it needs the demo's communities):

    HUB_DATABASE_URL=postgres://…/hub_load .venv/bin/python bench/load/setup_tokens.py \
        --host http://127.0.0.1:18500 --users 100 --out bench/load/tokens.json

The users are split by the working day's weights (locustfile.py, `MIX`), exactly as Locust
splits `--users`: partner apps get PARTNER tokens, coordinators a COORDINATOR token of one of
the demo's communities each, staff a STAFF token of one of the `BUSY` centres (two per centre,
so that their answers race), directory editors a STAFF token of a busy centre. Accounts are
`load-<kind>-<n>@load.example.org`; running it again issues new tokens for the same accounts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mix import BUSY, MIX, split

COMMUNITIES = "query LoadCommunities { communities(first: 100) { edges { node { id } } } }"


def community_ids(host: str) -> list[str]:
    request = urllib.request.Request(
        f"{host}/graphql",
        data=json.dumps({"query": COMMUNITIES}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    return [edge["node"]["id"] for edge in body["data"]["communities"]["edges"]]


def create(role: str, email: str, extra: list[str], attempts: int = 5) -> str:
    """A new token for the account (created if needed); tried again a few times, since a
    database shared with other work may refuse a connection for a moment."""
    command = [sys.executable, "-m", "hub.cli", "token", "create", "--role", role]
    command += ["--email", email, "--name", "load suite", "--expires-days", "2", *extra]
    for attempt in range(attempts):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout.strip().splitlines()[-1]
        time.sleep(2**attempt)
    raise SystemExit(f"hub token create failed for {email}: {done.stderr.strip()[-500:]}")


def plan(users: int, communities: list[str]) -> dict[str, list[tuple[str, str, list[str]]]]:
    """(role, email, options) of every simulated user, by user class."""
    counts = split(users)
    wanted: dict[str, list[tuple[str, str, list[str]]]] = {}
    for kind, count in counts.items():
        rows = []
        for n in range(count):
            email = f"load-{kind.lower()}-{n}@load.example.org"
            if kind in {"PartnerReader", "Registrar", "Subscriber"}:
                rows.append(("PARTNER", email, []))
            elif kind == "Coordinator":
                community = communities[n % len(communities)]
                rows.append(("COORDINATOR", email, ["--community", community]))
            else:  # Staff and DirectoryEditor: the busy centres, two staff per centre
                centre = BUSY[(n // 2 if kind == "Staff" else n) % len(BUSY)]
                rows.append(("STAFF", email, ["--centre", centre]))
        wanted[kind] = rows
    return wanted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("tokens.json"))
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    wanted = plan(args.users, community_ids(args.host))
    jobs = [(kind, row) for kind, rows in wanted.items() for row in rows]
    with ThreadPoolExecutor(args.parallel) as pool:
        secrets = list(pool.map(lambda job: create(*job[1]), jobs))
    tokens: dict[str, list[dict[str, str]]] = {kind: [] for kind in MIX}
    for (kind, (role, email, options)), secret in zip(jobs, secrets, strict=True):
        scope = options[1] if options else ""
        tokens[kind].append({"role": role, "email": email, "scope": scope, "token": secret})
    args.out.write_text(json.dumps(tokens, indent=1))
    args.out.chmod(0o600)
    print(
        f"{len(jobs)} tokens in {args.out}: "
        + ", ".join(f"{k} {len(v)}" for k, v in tokens.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
