"""The calendar feeds' pure rules: If-None-Match matching and what a feed key may look like."""

from __future__ import annotations

import re

import pytest

from hub.integration.feeds import _KECAMATAN_CODE, _KOTA_CODE, _TOKEN
from hub.web.calendar import not_modified

ETAG = '"0123abcd"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        (ETAG, True),
        (f"W/{ETAG}", True),
        (f'"a", {ETAG} ,"b"', True),
        ("*", True),
        ('"0123abc"', False),
        ("0123abcd", False),
        ('"0123ABCD"', False),
    ],
)
def test_if_none_match(header: str | None, expected: bool) -> None:
    assert not_modified(header, ETAG) is expected


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        (_KECAMATAN_CODE, "31.71.01", True),
        (_KECAMATAN_CODE, "31.71", False),
        (_KECAMATAN_CODE, "31.71.01.1001", False),
        (_KECAMATAN_CODE, "\uff13\uff11.\uff17\uff11.\uff10\uff11", False),
        (_KOTA_CODE, "31.71", True),
        (_KOTA_CODE, "31.71.01", False),
        (_KOTA_CODE, "31x71", False),
        (_TOKEN, "12.AAAAAAAAAAAAAAAAAAAAAA", True),
        (_TOKEN, "012.AAAAAAAAAAAAAAAAAAAAAA", False),
        (_TOKEN, "12.AAAAAAAAAAAAAAAAAAAAA", False),
        (_TOKEN, "12.AAAAAAAAAAAAAAAAAAAAA=", False),
        (_TOKEN, "12.AAAAAAAAAAAAAAAAAAAAA/", False),
    ],
)
def test_feed_keys(pattern: re.Pattern[str], key: str, expected: bool) -> None:
    assert (pattern.fullmatch(key) is not None) is expected
