"""The layering of DESIGN section 7, checked over every import statement of the source tree.

Arrows point one way: `schema` -> `hub` services -> `models`. Only the entry modules
(`hub/app.py`, `hub/cli.py`) import `schema`; `hub/core` stands on nothing else of the hub;
`hub/web` knows HTTP and GraphQL documents but no domain; domain packages never import the web
edge; `models` import neither `hub` nor `schema`. Imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_MODULES = {"hub.app", "hub.cli"}


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module an import statement of the file names, with its line."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            # `from hub import plans` imports the package hub.plans
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def hub_package(module: str) -> str | None:
    """`hub.plans.service` -> `hub.plans`; the entry modules and `hub` itself have none."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "hub" and len(parts) > 1 else None


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def broken_rule(importer: str, imported: str, domains: set[str]) -> str | None:
    """The rule that `importer` importing `imported` breaks, or None."""
    if importer.startswith("models") and (within(imported, "hub") or within(imported, "schema")):
        return "models/ imports neither hub/ nor schema/"
    if not within(importer, "hub") or importer in ENTRY_MODULES:
        return None
    if within(imported, "schema"):
        return "only hub/app.py and hub/cli.py import schema/"
    own = hub_package(importer)
    target = hub_package(imported)
    if target is None or target == own or imported in ENTRY_MODULES:
        return None
    if own == "hub.core":
        return "hub/core/ imports no other part of hub/"
    if own == "hub.web" and target != "hub.core":
        return "hub/web/ knows HTTP and GraphQL documents, no domain: it imports only hub/core/"
    if own in domains and target == "hub.web":
        return "domain packages do not import hub/web/"
    return None


def violations(root: Path) -> list[str]:
    """Every import in hub/, schema/ and models/ under `root` that breaks a layering rule."""
    domains = {
        f"hub.{path.parent.name}"
        for path in (root / "hub").glob("*/__init__.py")
        if path.parent.name not in {"core", "web"}
    }
    found: dict[tuple[str, int, str], str] = {}
    for top in ("hub", "schema", "models"):
        for path in sorted((root / top).rglob("*.py")):
            importer = module_name(root, path)
            for line, imported in imported_modules(path):
                rule = broken_rule(importer, imported, domains)
                where = (str(path.relative_to(root)), line, rule or "")
                if rule and where not in found:
                    found[where] = f"{where[0]}:{line} imports {imported}: {rule}"
    return [found[where] for where in sorted(found)]


def test_the_source_tree_keeps_its_layers() -> None:
    assert violations(ROOT) == []


def write(root: Path, relative: str, text: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


@pytest.mark.parametrize(
    ("relative", "text", "rule"),
    [
        ("hub/plans/service.py", "from schema.plans import types\n", "only hub/app.py"),
        ("hub/notify/outbox.py", "import schema\n", "only hub/app.py"),
        ("hub/plans/service.py", "from hub.web import caching\n", "domain packages"),
        ("hub/plans/service.py", "from hub import web\n", "domain packages"),
        ("hub/core/ids.py", "from hub.plans import rules\n", "hub/core/ imports no other"),
        ("hub/core/ids.py", "def f():\n    from hub.access import auth\n", "hub/core/"),
        ("hub/web/caching.py", "from hub.plans.service import propose\n", "hub/web/ knows"),
        ("models/plans.py", "from hub.core import errors\n", "models/ imports neither"),
        ("models/plans.py", "import schema.context\n", "models/ imports neither"),
    ],
)
def test_each_rule_catches_its_violation(
    tmp_path: Path, relative: str, text: str, rule: str
) -> None:
    # given a tree that keeps the layers
    for package in ("core", "web", "plans", "notify", "access"):
        write(tmp_path, f"hub/{package}/__init__.py")
    write(tmp_path, "hub/app.py", "from schema import schema\nfrom hub.web import caching\n")
    write(tmp_path, "schema/__init__.py", "from hub.plans import service\n")
    write(tmp_path, "models/__init__.py")
    assert violations(tmp_path) == []
    # when one module breaks a rule
    write(tmp_path, relative, text)
    # then the check names the file and the rule
    [found] = violations(tmp_path)
    assert found.startswith(relative + ":")
    assert rule in found
