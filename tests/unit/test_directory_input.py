"""Checks of directory input and of CSV files, without a database."""

from __future__ import annotations

import pytest

from hub.access.persons import scrub
from hub.core import Invalid
from hub.core.validation import Problems, clean_email, clean_name, clean_phone, clean_texts
from hub.directory.csvfile import CsvError, read_rows, sniff_delimiter, write_rows
from hub.directory.csvimport import describe, parse_skills
from hub.directory.mentors import Skill


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("(021) 345 6789", "+62213456789"),
        ("+65 6123 4567", "+6561234567"),
        ("", None),
        ("   ", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164(written: str, stored: str | None) -> None:
    problems = Problems()

    assert clean_phone(written, field=["phone"], problems=problems) == stored
    assert not problems


@pytest.mark.parametrize("written", ["12345", "0812", "+62 812 3456 7890 1234", "nomor", "08-12"])
def test_impossible_phone_numbers_are_refused(written: str) -> None:
    problems = Problems()

    assert clean_phone(written, field=["phone"], problems=problems) is None
    assert [e.field for e in problems.errors] == [["phone"]]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Siti.R@Example.ORG", "siti.r@example.org"),
        (" andi@okoce.example.org ", "andi@okoce.example.org"),
        ("", None),
        (None, None),
    ],
)
def test_email_addresses_are_checked_offline_and_lower_cased(
    written: str | None, stored: str | None
) -> None:
    problems = Problems()

    assert clean_email(written, field=["email"], problems=problems) == stored
    assert not problems


@pytest.mark.parametrize("written", ["andi", "andi@", "@example.org", "an di@example.org", "a@b"])
def test_malformed_email_addresses_are_refused(written: str) -> None:
    problems = Problems()

    clean_email(written, field=["email"], problems=problems)

    assert len(problems.errors) == 1
    assert problems.errors[0].message.startswith(f"{written!r} is not a valid email address")


def test_names_and_labels_are_trimmed_and_must_not_be_empty() -> None:
    problems = Problems()

    assert clean_name("  Siti   Rahma ", field=["name"], problems=problems) == "Siti Rahma"
    assert clean_texts(
        ["pemuda", " pemuda ", "", "ibu  rumah tangga"], field=["a"], problems=problems
    ) == [
        "pemuda",
        "ibu rumah tangga",
    ]
    assert not problems
    clean_name(" \t", field=["name"], problems=problems)
    clean_name("x" * 161, field=["name"], problems=problems)
    assert [e.message for e in problems.errors] == [
        "name must not be empty",
        "name must be at most 160 characters",
    ]


def test_skills_cells_keep_the_position_of_each_pair() -> None:
    problems = Problems()

    skills = parse_skills("KULINER:8  jasa:2 FESYEN KRIYA:x :3", problems=problems)

    assert skills == [Skill("KULINER", 8, position=0), Skill("jasa", 2, position=1)]
    assert [(e.field, e.message.split(" is ")[0]) for e in problems.errors] == [
        (["skills", "2"], "'FESYEN'"),
        (["skills", "3"], "'KRIYA:x'"),
        (["skills", "4"], "':3'"),
    ]


def test_failures_are_described_by_column() -> None:
    assert (
        describe(Invalid("no centre", field=["centreKecamatanCode"])) == "kecamatan_code: no centre"
    )
    assert (
        describe(Invalid("too many", field=["skills", "1", "capacity"]))
        == "skills, item 2: too many"
    )
    assert describe(Invalid("bad", field=["areaCodes", "0"])) == "areas, item 1: bad"
    assert describe(Invalid("as is")) == "as is"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("name,email,phone", ","),
        ("name;email;phone", ";"),
        ("name;email,phone;x", ";"),
        ("name", ","),
    ],
)
def test_the_header_line_decides_the_delimiter(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    data = '\ufeffA;B\r\n1;"two\r\nlines"\r\n\r\n3\r\n4;5;;\r\n6;7;8\r\n'.encode()

    table = read_rows(data, columns=["a", "b"])

    assert [(r.line, r.cells) for r in table.rows] == [
        (2, {"a": "1", "b": "two\r\nlines"}),
        (4, {"a": "3", "b": ""}),
        (5, {"a": "4", "b": "5"}),
    ]
    assert [str(p) for p in table.problems] == ["line 6: 3 cells, but the header has 2"]


def test_a_header_that_does_not_match_is_refused() -> None:
    with pytest.raises(CsvError) as refused:
        read_rows(b"a,a,c\n", columns=["a", "b"])

    assert str(refused.value) == (
        "line 1: missing column(s) b; unknown column(s) 'c'; repeated column(s) a (expected a,b)"
    )


def test_written_tables_read_back_the_same() -> None:
    rows = [["Kopi; Teh", 'Kata "enak"'], ["baris\nbaru", ""]]

    text = write_rows(["a", "b"], rows)

    assert [list(r.cells.values()) for r in read_rows(text.encode(), columns=["a", "b"]).rows] == [
        ["Kopi; Teh", 'Kata "enak"'],
        ["baris\nbaru", ""],
    ]


def test_scrub_replaces_secrets_anywhere_in_json() -> None:
    value = {"to": ["Budi <budi@example.org>"], "n": 3, "note": None, "deep": {"x": "Budi"}}

    cleaned = scrub(value, {"budi@example.org": "(dihapus)", "Budi": "Mentor #7 (dihapus)"})

    assert cleaned == {
        "to": ["Mentor #7 (dihapus) <(dihapus)>"],
        "n": 3,
        "note": None,
        "deep": {"x": "Mentor #7 (dihapus)"},
    }
