"""The region hierarchy: Kemendagri codes are hierarchical by prefix."""

from __future__ import annotations


def ancestor_codes(code: str) -> list[str]:
    """The code and every code above it: `31.71.01` -> [`31`, `31.71`, `31.71.01`]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def parent_code(code: str) -> str | None:
    """`31.71.01` -> `31.71`; a province has no parent."""
    head, dot, _ = code.rpartition(".")
    return head if dot else None


def lies_in(code: str, area_code: str) -> bool:
    """True when the region `code` is `area_code` or inside it."""
    return code == area_code or code.startswith(f"{area_code}.")
