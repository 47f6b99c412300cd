"""Checks of directory input shared by the mutations and the CSV import.

Every check appends an `Invalid` naming the field path (input field names as the API spells
them, list positions as strings: `["skills", "1", "capacity"]`) to a `Problems` collector, so
that every failure of one input is reported at once and nothing is written while any remains."""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from hub.core.errors import HubErrors, Invalid

NAME_MAX_LENGTH = 160
EMAIL_MAX_LENGTH = 254
CAPACITY_MAX = 100
PHONE_REGION = "ID"
"""Numbers written without a country code are Indonesian."""


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_UNWANTED_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def text_problem(value: str, *, max_length: int, multiline: bool) -> str | None:
    """What is wrong with a text a caller sent, in DESIGN section 9's order, or None: lone
    surrogates and control characters (NUL included) anywhere; line breaks and tabs outside
    multi-line text (goals, notes, descriptions, reasons); more than `max_length` characters."""
    if _SURROGATE.search(value):
        return "must be valid Unicode text (it holds a lone surrogate)"
    if _CONTROL.search(value):
        return "must not contain control characters"
    if not multiline and _LINE_BREAK.search(value):
        return "must be a single line, without line breaks or tabs"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    return None


def single_line(value: str) -> str:
    """`value` with each run of line breaks, tabs and control characters turned into one
    space (lone surrogates dropped): how names and titles enter email headers, whatever rows
    written before the input rules hold."""
    return _UNWANTED_IN_LINE.sub(" ", _SURROGATE.sub("", value))


class Problems:
    """The validation failures of one input, in the order found."""

    def __init__(self) -> None:
        self.errors: list[Invalid] = []

    def add(self, message: str, field: Sequence[str]) -> None:
        self.errors.append(Invalid(message, field=field))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        HubErrors.raise_if_any(self.errors)


def clean_name(value: str, *, field: Sequence[str], problems: Problems, what: str = "name") -> str:
    """The name without surrounding spaces; it must not be empty or too long, nor hold control
    characters (CSV files reach here without the API's checks)."""
    name = " ".join(value.split())
    if _CONTROL.search(name) or _SURROGATE.search(name):
        problems.add(f"{what} must not contain control characters", field)
    elif not name:
        problems.add(f"{what} must not be empty", field)
    elif len(name) > NAME_MAX_LENGTH:
        problems.add(f"{what} must be at most {NAME_MAX_LENGTH} characters", field)
    return name


def clean_email(value: str | None, *, field: Sequence[str], problems: Problems) -> str | None:
    """A syntactically valid address in lower case, or None for an empty value. Syntax only:
    no DNS look-up, so the hub works offline and `example.org` addresses are accepted."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        problems.add(f"{text!r} is not a valid email address: {error}", field)
        return None
    address = checked.normalized.lower()
    if len(address) > EMAIL_MAX_LENGTH:
        problems.add(f"an email address has at most {EMAIL_MAX_LENGTH} characters", field)
        return None
    return address


def clean_phone(value: str | None, *, field: Sequence[str], problems: Problems) -> str | None:
    """The number in E.164 (`+6281234567890`), or None for an empty value. Accepts the forms
    people write: `0812-3456-7890`, `+62 812 3456 7890`, `62812…`, `(021) 345 6789`."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.add(
            f"{text!r} is not a valid phone number; write it as 0812-3456-7890 or "
            "+62 812 3456 7890",
            field,
        )
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_capacity(value: int, *, field: Sequence[str], problems: Problems) -> None:
    if not 0 <= value <= CAPACITY_MAX:
        problems.add(f"capacity must be between 0 and {CAPACITY_MAX}, not {value}", field)


def check_not_negative(
    value: int | None, *, field: Sequence[str], problems: Problems, what: str
) -> None:
    if value is not None and value < 0:
        problems.add(f"{what} must be 0 or more, not {value}", field)


def clean_texts(values: Sequence[str], *, field: Sequence[str], problems: Problems) -> list[str]:
    """Free-text labels (audiences): trimmed, without empties and repeats, in the given order."""
    seen: list[str] = []
    for index, value in enumerate(values):
        text = " ".join(value.split())
        if len(text) > NAME_MAX_LENGTH:
            problems.add(f"at most {NAME_MAX_LENGTH} characters", [*field, str(index)])
        elif text and text not in seen:
            seen.append(text)
    return seen
