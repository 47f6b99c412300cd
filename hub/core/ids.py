"""Global ids and cursors: the opaque `id` of every Node (base64 of `TypeName:pk`, as Relay
expects) and the `after` of every list (base64 of `cursor:offset`).

Each has one canonical form (DESIGN section 9): the base64 text exactly as `encode_*` writes
it, the number in ASCII digits without sign, spaces or leading zeros, within 1..2^31-1 for a
key and 0..2^31-1 for an offset. Anything else is malformed and refused as INVALID before it
reaches the database, so no value can overflow a column or a driver."""

from __future__ import annotations

import base64
import binascii
import re

from hub.core.errors import Invalid

MAX_KEY = 2**31 - 1
"""The largest primary key or offset an id or cursor may carry (PostgreSQL `integer`)."""

MAX_ID_LENGTH = 64
"""No canonical id or cursor is longer; longer text is refused without being decoded."""

_GLOBAL_ID = re.compile(r"([A-Z][A-Za-z]*):([1-9][0-9]*)", re.ASCII)
_CURSOR = re.compile(r"cursor:(0|[1-9][0-9]*)", re.ASCII)


def encode_global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _canonical_text(value: object) -> str | None:
    """The text inside canonical base64, or None when `value` is not exactly that."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        return None
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        text = raw.decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    # Base64 has several spellings of the same bytes (unused trailing bits): only one is ours.
    if base64.b64encode(raw).decode("ascii") != value:
        return None
    return text


def parse_global_id(value: object) -> tuple[str, int] | None:
    """(type name, primary key) of a canonical global id, or None when it is malformed."""
    text = _canonical_text(value)
    match = _GLOBAL_ID.fullmatch(text) if text is not None else None
    if match is None:
        return None
    pk = int(match.group(2))
    return (match.group(1), pk) if pk <= MAX_KEY else None


def decode_global_id(value: str, type_name: str, *, field: str = "id") -> int:
    """The primary key inside a global id of `type_name`, or an INVALID error naming `field`."""
    parsed = parse_global_id(value)
    if parsed is None:
        raise Invalid(f"{quote_input(value)} is not a valid {type_name} id", field=[field])
    kind, pk = parsed
    if kind != type_name:
        raise Invalid(
            f"{quote_input(value)} is the id of a {kind}, not of a {type_name}", field=[field]
        )
    return pk


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:{offset}".encode()).decode()


def parse_cursor(value: object) -> int | None:
    """The offset inside a canonical cursor, or None when it is malformed."""
    text = _canonical_text(value)
    match = _CURSOR.fullmatch(text) if text is not None else None
    if match is None:
        return None
    offset = int(match.group(1))
    return offset if offset <= MAX_KEY else None


def quote_input(value: object) -> str:
    """The value as an error message quotes it: never more than a line of it."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"
