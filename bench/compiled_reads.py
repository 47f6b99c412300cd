"""The long differential run of compiled reads: the suite's test with many more drawn
documents.

    python bench/compiled_reads.py [EXAMPLES]   # default 500 per role

CI runs the same test with 20 examples per role (tests/api/test_compiled_reads.py); this runs
it on the database named by HUB_TEST_DATABASE_URL (SQLite when unset) and prints pytest's
summary, with the share of the suite's query documents that compile fully."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "500"
    env = {**os.environ, "HUB_COMPILED_EXAMPLES": examples}
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
    command.append("tests/api/test_compiled_reads.py")
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
