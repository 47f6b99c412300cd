"""Pure rules of the HTTP edge: per-role settings, points, client addresses, media types."""

from __future__ import annotations

import pytest

from hub.core.settings import DEFAULT_MAX_COST, DEFAULT_RATE_LIMIT, Settings, SettingsError
from hub.web import TrustedProxies, response_media_type
from hub.web.ratelimit import points, redis_storage_uri


def test_per_role_limits_take_one_number_or_named_roles() -> None:
    assert Settings.from_env({}).max_cost == DEFAULT_MAX_COST
    assert Settings.from_env({}).rate_limit == DEFAULT_RATE_LIMIT
    assert set(Settings.from_env({"HUB_MAX_COST": "700"}).max_cost.values()) == {700}
    named = Settings.from_env({"HUB_RATE_LIMIT": "partner=20000, ANONYMOUS=0"}).rate_limit
    assert named == {**DEFAULT_RATE_LIMIT, "PARTNER": 20000, "ANONYMOUS": 0}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUB_RATE_LIMIT": "GUEST=5"}, "'GUEST' is not one of"),
        ({"HUB_MAX_COST": "-1"}, "must not be negative"),
        ({"HUB_MAX_COST": "ADMIN=lots"}, "must be a whole number"),
        ({"HUB_TRUSTED_PROXIES": "10.0.0.1, proxy.example"}, "'proxy.example' is not an IP"),
        ({"HUB_REDIS_URL": "127.0.0.1:6379"}, "must start with redis://"),
    ],
)
def test_bad_limit_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(("cost", "spent"), [(0, 1), (1, 1), (100, 1), (101, 2), (600, 6)])
def test_a_request_spends_a_point_per_hundred_of_its_cost(cost: int, spent: int) -> None:
    assert points(cost) == spent


def test_redis_urls_become_the_async_storage_uri() -> None:
    assert redis_storage_uri("redis://127.0.0.1:6379/2") == "async+redis://127.0.0.1:6379/2"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (
            "10.0.0.2",
            "6.6.6.6, 198.51.100.1, 10.0.0.9",
            "198.51.100.1",
        ),  # first untrusted from the right
        ("10.0.0.2", "10.0.0.7", "10.0.0.7"),
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
    ],
)
def test_client_addresses_come_from_trusted_proxies_only(
    peer: str, forwarded: str | None, client: str
) -> None:
    assert TrustedProxies(["10.0.0.0/8"]).client_address(peer, forwarded) == client


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        (
            "application/json, application/graphql-response+json",
            "application/graphql-response+json",
        ),
        ("application/graphql-response+json;q=0.9, application/json", "application/json"),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON; charset=utf-8", "application/graphql-response+json"),
    ],
)
def test_answers_take_the_media_type_the_client_prefers(accept: str | None, media: str) -> None:
    assert response_media_type(accept) == media
