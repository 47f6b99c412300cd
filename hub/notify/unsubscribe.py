"""One-click unsubscribe: a signed token bound to an address and the kinds of event of one email.

The token is `payload.signature` in URL-safe base64: the payload names the address and the
kinds, the signature is an HMAC-SHA256 with the hub's secret key (`HUB_SECRET_KEY`, or a key
generated once and kept in the data folder). Anyone holding the link may turn those kinds off
for that address, nothing else; no account is needed, so it works for mentors too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hub.core import Invalid, Settings
from hub.notify.events import NotificationKind
from hub.notify.preferences import set_preferences
from models.enums import DeliveryMode

KEY_FILE = "secret.key"
SIGNATURE_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_key(settings: Settings) -> bytes:
    """The signing key: from `HUB_SECRET_KEY`, else the data folder's key file (made on first
    use, readable by the owner only)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    return _key_file(settings.data_dir.resolve())


@cache
def _key_file(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class Unsubscription:
    """What a valid token allows: turning `kinds` off for `email`."""

    email: str
    kinds: tuple[NotificationKind, ...]


def make_token(*, key: bytes, email: str, kinds: Sequence[NotificationKind]) -> str:
    payload = f"{email.strip().lower()}\n{','.join(sorted({k.value for k in kinds}))}".encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_token(*, key: bytes, token: str) -> Unsubscription:
    """The unsubscription a token grants, or INVALID for a token the hub did not sign."""
    refused = Invalid("this unsubscribe link is not valid", field=["token"])
    raw_payload, _, raw_signature = token.partition(".")
    try:
        payload, signature = _unb64(raw_payload), _unb64(raw_signature)
    except ValueError:
        raise refused from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise refused
    try:
        email, _, kinds = payload.decode().partition("\n")
        return Unsubscription(email, tuple(NotificationKind(k) for k in kinds.split(",") if k))
    except ValueError:
        raise refused from None


async def unsubscribe(*, settings: Settings, token: str) -> Unsubscription:
    """Turn off the kinds a token names for its address."""
    granted = read_token(key=secret_key(settings), token=token)
    await set_preferences(
        email=granted.email, changes=[(k, DeliveryMode.OFF) for k in granted.kinds]
    )
    return granted
