"""Where a webhook may point (DESIGN section 10): the SSRF rules, checked when an endpoint is
registered and again before every delivery.

A URL must be `https://` with a host and no user information, and every address its host
resolves to must be a public unicast address: loopback, private (RFC 1918, unique local),
link-local (cloud metadata services among them), multicast, unspecified, reserved and the
IPv4-mapped forms of those are refused. `allow_private` (`HUB_WEBHOOK_ALLOW_PRIVATE=on`, for
tests and closed networks) lifts the address rule and also allows `http://`. The addresses
checked are returned so the caller connects to exactly those (no second lookup an attacker's
DNS could answer differently)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from hub.core import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Host and port → the addresses they resolve to, as text."""

MAX_URL_LENGTH = 2000


async def resolve(host: str, port: int) -> Sequence[str]:
    """The system resolver's addresses of `host`, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


def refused_address(address: IPAddress) -> str | None:
    """Why a delivery may not go to `address`, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refused_address(address.ipv4_mapped)
    for reason, hit in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if hit:
            return reason
    return None if address.is_global else "not public"


async def checked_target(
    url: str, *, allow_private: bool, resolver: Resolver = resolve, field: str = "url"
) -> list[IPAddress]:
    """The addresses a delivery to `url` may connect to; `Invalid` on `[field]` otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(f"a webhook URL has at most {MAX_URL_LENGTH} characters", field=[field])
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid("the webhook URL is not a URL", field=[field]) from None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise Invalid("a webhook URL must start with https://", field=[field])
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise Invalid("a webhook URL needs a host and no user or password", field=[field])
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found: Sequence[str] = [str(ipaddress.ip_address(parts.hostname))]
    except ValueError:  # a name, not an address literal
        try:
            found = await resolver(parts.hostname, port)
        except (OSError, UnicodeError):
            found = []
    addresses = sorted({ipaddress.ip_address(a.split("%", 1)[0]) for a in found}, key=str)
    if not addresses:
        raise Invalid(f"the host {parts.hostname} does not resolve", field=[field])
    if not allow_private:
        for address in addresses:
            reason = refused_address(address)
            if reason is not None:
                raise Invalid(
                    f"the host {parts.hostname} resolves to a {reason} address ({address}); "
                    "webhooks go to public addresses only",
                    field=[field],
                )
    return addresses
