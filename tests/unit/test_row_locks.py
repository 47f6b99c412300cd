"""Row locks are FOR NO KEY UPDATE: a plain FOR UPDATE also blocks the foreign-key checks of
other transactions (FOR KEY SHARE), which deadlocks against the data version's row lock.

Seen under load on PostgreSQL: a proposal locked its mentors FOR UPDATE and then waited for the
data version, while an answer to another plan held the data version and inserted an email row
pointing at one of those mentors (its foreign-key check waited for the mentor). FOR NO KEY
UPDATE keeps lockers out of each other's way exactly as before and lets key checks through."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def plain_locks(root: Path) -> list[str]:
    """`select_for_update(...)` calls under hub/ without `no_key=True`."""
    found = []
    for path in sorted((root / "hub").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "select_for_update"
                and not any(
                    k.arg == "no_key"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is True
                    for k in node.keywords
                )
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_row_locks_let_foreign_key_checks_through() -> None:
    assert plain_locks(ROOT) == []


def test_a_plain_lock_is_found(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "x.py").write_text(
        "async def f():\n"
        "    await Mentor.select_for_update().get(id=1)\n"
        "    await Mentor.select_for_update(no_key=True).get(id=1)\n"
    )
    assert plain_locks(tmp_path) == ["hub/x.py:2"]
