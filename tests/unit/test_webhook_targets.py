"""The webhooks' SSRF rules (hub/integration/webhooks_targets.py), with a resolver of our own:
which URLs and addresses a delivery may go to."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from hub.core import Invalid
from hub.integration.webhooks_targets import checked_target, refused_address

DNS = {
    "partner.example.org": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "mixed.example.org": ["93.184.215.14", "10.0.0.7"],
    "metadata.example.org": ["169.254.169.254"],
    "mapped.example.org": ["::ffff:127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
}


async def resolver(host: str, port: int) -> Sequence[str]:
    if host not in DNS:
        raise OSError("Name or service not known")
    return DNS[host]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "not public"),
    ],
)
def test_refused_addresses(address: str, reason: str | None) -> None:
    assert refused_address(ipaddress.ip_address(address)) == reason


async def test_a_public_https_url_is_taken_with_every_address() -> None:
    addresses = await checked_target(
        "https://partner.example.org/hooks/okoce", allow_private=False, resolver=resolver
    )
    assert [str(a) for a in addresses] == [
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        "93.184.215.14",
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://partner.example.org/hook", "must start with https://"),
        ("ftp://partner.example.org/hook", "must start with https://"),
        ("https://127.0.0.1/hook", "loopback address (127.0.0.1)"),
        ("https://localhost:8443/hook", "loopback address"),
        ("https://[::1]/hook", "loopback address (::1)"),
        ("https://mixed.example.org/hook", "private address (10.0.0.7)"),
        ("https://metadata.example.org/latest", "link-local address"),
        ("https://mapped.example.org/hook", "loopback address"),
        ("https://nowhere.example.org/hook", "does not resolve"),
        ("https://user:pw@partner.example.org/hook", "no user or password"),
        ("https:///hook", "needs a host"),
        ("https://partner.example.org:99999/hook", "not a URL"),
        ("https://partner.example.org/" + "a" * 2000, "at most 2000 characters"),
    ],
)
async def test_refused_urls(url: str, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        await checked_target(url, allow_private=False, resolver=resolver)
    assert message in refused.value.message
    assert refused.value.field == ["url"]


async def test_the_switch_allows_loopback_and_http() -> None:
    addresses = await checked_target(
        "http://localhost:8080/hook", allow_private=True, resolver=resolver
    )
    assert [str(a) for a in addresses] == ["127.0.0.1", "::1"]
    with pytest.raises(Invalid):
        await checked_target("ftp://localhost/hook", allow_private=True, resolver=resolver)
