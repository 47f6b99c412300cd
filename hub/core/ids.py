"""Global ids: the opaque `id` of every Node, base64 of `TypeName:pk` as Relay expects."""

from __future__ import annotations

import base64
import binascii

from hub.core.errors import Invalid


def encode_global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_global_id(value: str, type_name: str, *, field: str = "id") -> int:
    """The primary key inside a global id of `type_name`, or an INVALID error naming `field`."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
        kind, _, raw_pk = decoded.partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid(f"{value!r} is not a valid {type_name} id", field=[field]) from None
    if kind != type_name:
        raise Invalid(f"{value!r} is the id of a {kind}, not of a {type_name}", field=[field])
    return pk
