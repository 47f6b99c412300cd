"""The long fuzzing run: the suite's hypothesis-graphql test with many more examples.

    python bench/fuzz.py [EXAMPLES]        # default 1000 per role and operation type

CI runs the same test with 40 examples (tests/api/test_fuzzing.py); this runs it on the database
named by HUB_TEST_DATABASE_URL (SQLite when unset) and prints pytest's summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "1000"
    env = {**os.environ, "HUB_FUZZ_EXAMPLES": examples}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command.append("tests/api/test_fuzzing.py")
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
