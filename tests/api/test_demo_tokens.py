"""The demo's tokens: written once to `demo-tokens.txt`, the same at every start, renewed only
when they no longer work (DESIGN section 8)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.access.auth import hash_secret
from hub.seed import demo_tokens
from models.accounts import ApiToken

pytestmark = pytest.mark.usefixtures("demo_data")


async def test_written_once_and_read_back_unchanged(tmp_path: Path) -> None:
    # given no token file
    first = await demo_tokens(tmp_path)
    # then one token per demo account is written, readable only by its owner
    assert first.renewed == "no token file yet"
    assert [t.role for t in first.tokens] == ["ADMIN", "STAFF", "COORDINATOR", "PARTNER"]
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert {t.expires_on for t in first.tokens} == {(datetime.now(UTC) + timedelta(days=30)).date()}

    # when asked again, the same tokens come back and nothing is issued
    before = await ApiToken.all().count()
    again = await demo_tokens(tmp_path)
    assert again.renewed is None
    assert again.tokens == first.tokens
    assert await ApiToken.all().count() == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"expires_at": datetime.now(UTC) + timedelta(hours=2)}, "the STAFF token expires on"),
        ({"revoked_at": datetime.now(UTC)}, "the STAFF token was revoked"),
        ({"secret_hash": hash_secret("okh_another-database")}, "not one of this database's"),
    ],
)
async def test_renewed_when_one_no_longer_works(
    tmp_path: Path, change: dict[str, object], reason: str
) -> None:
    # given the file's STAFF token expiring, revoked, or unknown to this database
    first = await demo_tokens(tmp_path)
    staff = next(t for t in first.tokens if t.role == "STAFF")
    await ApiToken.filter(secret_hash=hash_secret(staff.secret)).update(**change)

    # when the tokens are asked for
    renewed = await demo_tokens(tmp_path)

    # then all are issued anew, the earlier ones revoked, and the file holds the new ones
    assert renewed.renewed is not None
    assert reason in renewed.renewed
    assert not {t.secret for t in renewed.tokens} & {t.secret for t in first.tokens}
    for old in first.tokens:
        token = await ApiToken.get_or_none(secret_hash=hash_secret(old.secret))
        assert token is None or token.revoked_at is not None
    assert (await demo_tokens(tmp_path)).tokens == renewed.tokens


async def test_an_unreadable_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "demo-tokens.txt").write_text("not a token file\n")
    replaced = await demo_tokens(tmp_path)
    assert replaced.renewed == "the file could not be read"
    assert len(replaced.tokens) == 4
