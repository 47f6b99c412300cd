"""Pure logic of the foundation: settings, region codes, global ids, cursors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.core import Invalid, Settings, SettingsError, decode_global_id, encode_global_id
from hub.regions import ancestor_codes, lies_in, parent_code
from hub.seed.reference import short_name
from schema.common import decode_cursor, encode_cursor, page_size


def test_settings_default_to_sqlite_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("var")
    assert settings.database_url == "sqlite://var/hub.sqlite3?journal_mode=WAL&busy_timeout=10000"
    assert settings.is_sqlite
    assert (settings.cache_enabled, settings.auto_migrate, settings.worker_enabled) == (
        True,
        True,
        True,
    )
    assert settings.mail_coalesce_seconds == 120
    assert settings.mail_retry_base_seconds == 60
    assert settings.mail_retry_deadline_seconds == 86400
    assert settings.mail_from == "OK OCE Hub <noreply@localhost>"


def test_settings_read_the_environment() -> None:
    settings = Settings.from_env(
        {
            "HUB_DATA_DIR": "/srv/hub",
            "HUB_DATABASE_URL": "postgres://hub@db/hub",
            "HUB_CORS_ORIGINS": "https://a.example.org, https://b.example.org,",
            "HUB_AUTO_MIGRATE": "off",
            "HUB_WORKER": "OFF",
            "HUB_CACHE": "off",
            "HUB_MAIL_COALESCE_SECONDS": "0",
            "HUB_BASE_URL": "https://hub.example.org/",
        }
    )
    assert settings.database_url == "postgres://hub@db/hub"
    assert not settings.is_sqlite
    assert settings.cors_origins == ("https://a.example.org", "https://b.example.org")
    assert (settings.auto_migrate, settings.worker_enabled, settings.cache_enabled) == (
        False,
        False,
        False,
    )
    assert settings.mail_coalesce_seconds == 0
    assert settings.base_url == "https://hub.example.org"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUB_DATABASE_URL": "mysql://x"}, "sqlite:// or postgres://"),
        ({"HUB_WORKER": "maybe"}, "HUB_WORKER"),
        ({"HUB_MAIL_RETRY_BASE_SECONDS": "soon"}, "HUB_MAIL_RETRY_BASE_SECONDS"),
        ({"HUB_MAIL_COALESCE_SECONDS": "-1"}, "negative"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_region_codes_are_hierarchical_by_prefix() -> None:
    assert ancestor_codes("31.71.01") == ["31", "31.71", "31.71.01"]
    assert ancestor_codes("31") == ["31"]
    assert parent_code("31.71.01") == "31.71"
    assert parent_code("31") is None
    assert lies_in("31.71.01", "31.71")
    assert lies_in("31.71", "31.71")
    assert not lies_in("31.710", "31.71")
    assert not lies_in("31.71", "31.71.01")


def test_short_names_drop_the_administrative_prefix() -> None:
    assert short_name("Kota Administrasi Jakarta Pusat") == "Jakarta Pusat"
    assert short_name("Kabupaten Administrasi Kepulauan Seribu") == "Kepulauan Seribu"
    assert short_name("Kabupaten Bogor") == "Bogor"


def test_global_ids_round_trip_and_name_bad_input() -> None:
    value = encode_global_id("Community", 12)
    assert decode_global_id(value, "Community") == 12
    with pytest.raises(Invalid, match="is the id of a Community, not of a Mentor"):
        decode_global_id(value, "Mentor", field="mentorId")
    with pytest.raises(Invalid) as caught:
        decode_global_id("%%%", "Mentor", field="mentorId")
    assert caught.value.field == ["mentorId"]


def test_cursors_and_page_sizes() -> None:
    assert decode_cursor(None) == -1
    assert decode_cursor(encode_cursor(41)) == 41
    assert page_size(None) == 20
    assert page_size(100) == 100
    for bad in [-1, 101]:
        with pytest.raises(Invalid):
            page_size(bad)
    with pytest.raises(Invalid):
        decode_cursor(encode_global_id("Kota", 3))
