"""Pure logic of the input rules: canonical ids and cursors, text checks, single-line values,
redacted addresses, CSV cells a spreadsheet would compute."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry

from hub.access import redact_addresses
from hub.core.ids import encode_cursor, encode_global_id, parse_cursor, parse_global_id
from hub.core.validation import single_line, text_problem
from hub.directory.csvfile import protect, unprotect
from schema.hygiene import guard_arguments


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_only_the_canonical_form_of_an_id_parses() -> None:
    assert parse_global_id(encode_global_id("Mentor", 5)) == ("Mentor", 5)
    assert parse_global_id(encode_global_id("Plan", 2**31 - 1)) == ("Plan", 2**31 - 1)
    for text in [
        "Mentor: 5",
        "Mentor:05",
        "Mentor:+5",
        "Mentor:\u0665",
        "Mentor:0",
        "Mentor:",
        ":5",
    ]:
        assert parse_global_id(b64(text)) is None, text
    assert parse_global_id(b64("Mentor:2147483648")) is None
    assert parse_global_id(encode_global_id("Mentor", 5).rstrip("=")) is None  # no padding
    assert parse_global_id(None) is None


def test_only_the_canonical_form_of_a_cursor_parses() -> None:
    assert parse_cursor(encode_cursor(0)) == 0
    assert parse_cursor(encode_cursor(41)) == 41
    for text in ["cursor:-1", "cursor:01", "cursor: 1", "cursor:2147483648", "Kota:1"]:
        assert parse_cursor(b64(text)) is None, text


@pytest.mark.parametrize(
    ("value", "multiline", "problem"),
    [
        ("Siti", False, None),
        ("Satu.\r\nDua.\tTiga.", True, None),
        ("Satu.\nDua.", False, "must be a single line, without line breaks or tabs"),
        ("a\x00b", True, "must not contain control characters"),
        ("a\x85b", True, "must not contain control characters"),
        ("a\ud800b", True, "must be valid Unicode text (it holds a lone surrogate)"),
        ("x" * 21, False, "must be at most 20 characters"),
    ],
)
def test_text_problems_in_the_design_order(
    value: str, multiline: bool, problem: str | None
) -> None:
    assert text_problem(value, max_length=20, multiline=multiline) == problem


def test_single_line_turns_each_run_of_breaks_into_one_space() -> None:
    assert single_line("x\r\nReply-To : a@b.example") == "x Reply-To : a@b.example"
    assert single_line("a\t\x00\u2028b") == "a b"
    assert single_line("plain") == "plain"


def test_addresses_are_redacted_in_any_case() -> None:
    text = "550 <SITI@Example.org>: no such user; cc budi@example.org"
    assert redact_addresses(text, "siti@example.org") == (
        "550 <[address hidden]>: no such user; cc [address hidden]"
    )
    assert redact_addresses(None, "siti@example.org") is None


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("+6281234567890", "'+6281234567890"),
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("-Rina", "'-Rina"),
        ("@Budi", "'@Budi"),
        ("\tx", "'\tx"),
        ("'=x", "''=x"),
        ("'quoted", "'quoted"),
        ("Siti", "Siti"),
        ("", ""),
    ],
)
def test_csv_cells_that_compute_leave_protected_and_come_back_exact(
    value: str, written: str
) -> None:
    assert protect(value) == written
    assert unprotect(written) == value


@strawberry.type
class _Query:
    ping: int = 1


@strawberry.type
class _Subscription:
    @strawberry.subscription
    async def ticks(self, search: str) -> AsyncGenerator[str, None]:
        yield search


async def test_a_subscriptions_arguments_are_checked_like_a_querys() -> None:
    small = strawberry.Schema(query=_Query, subscription=_Subscription)
    guard_arguments(small._schema)
    document = "subscription ($s: String!) { ticks(search: $s) }"

    async def first_result(value: str) -> Any:
        stream = await small.subscribe(document, variable_values={"s": value})
        assert isinstance(stream, AsyncGenerator)
        try:
            return await anext(stream)
        finally:
            await stream.aclose()

    assert (await first_result("kopi")).data == {"ticks": "kopi"}
    refused = await first_result("kopi\x00")
    assert refused.data is None
    assert [(e.message, e.extensions) for e in refused.errors] == [
        (
            "search must not contain control characters",
            {"code": "INVALID", "field": ["search"]},
        )
    ]
