"""Input hygiene at the edge (DESIGN section 9): every text a caller sends is checked before a
resolver runs, driven by the schema's argument types and one table of rules.

For each argument and input field of type `String` or `ID`, wherever it sits (inside input
objects and lists), the checks run in the design's order: lone surrogates and control
characters (NUL included) are refused everywhere; line breaks and tabs are allowed only in
multi-line text; each field has a maximum length, written into its SDL description from the
same table; an `ID` must be a canonical global id (`hub.core.ids`); a `Date` or `DateTime`
must fall in the years 1900 to 2999. A query argument that
fails gets a top-level error with `extensions.code = "INVALID"` and `extensions.field` (the
argument path, `["filter", "search"]`); a mutation answers its payload with a `UserError`
INVALID per failing value (its path inside `input`, `["trainings", "0", "title"]`) and a
null object. Nothing reaches a service or the database before these checks pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from hub.core import HubErrors, Invalid
from hub.core.ids import MAX_ID_LENGTH, parse_global_id, quote_input
from hub.core.validation import text_problem
from schema.common import UserError, user_errors

FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates and times a caller may send: any plan's, with room on both sides."""
CHECKED_SCALARS = ("String", "ID", "Date", "DateTime")


@dataclass(frozen=True)
class TextRule:
    """How long a text may be, and whether it may span lines."""

    max_length: int
    multiline: bool = False
    kind: str = ""
    """What the text is, when it is not free text: `A global id`, `A cursor of this list`."""

    def describe(self) -> str:
        kind = self.kind or ("Multi-line text" if self.multiline else "Single line")
        return f"{kind}, at most {self.max_length:,} characters."


CODE = TextRule(40)
NAME = TextRule(160)
TITLE = TextRule(200)
LONG_TEXT = TextRule(4000, multiline=True)
SHORT_TEXT = TextRule(2000, multiline=True)
ID_RULE = TextRule(MAX_ID_LENGTH, kind="A global id")

RULES: dict[str, TextRule] = {
    # multi-line text
    "goals": LONG_TEXT,
    "description": LONG_TEXT,
    "note": SHORT_TEXT,
    "reason": SHORT_TEXT,
    # names and titles
    "name": NAME,
    "audiences": NAME,
    "title": TITLE,
    "venue": TextRule(300),
    "actorLabel": TextRule(254),
    "search": TextRule(100),
    # contact data
    "email": TextRule(254),
    "phone": TextRule(40),
    # codes
    "code": CODE,
    "kotaCode": CODE,
    "kecamatanCode": CODE,
    "centreKecamatanCode": CODE,
    "sectorCode": CODE,
    "sectorCodes": CODE,
    "sectors": CODE,
    "areaCode": CODE,
    "areaCodes": CODE,
    "entity": CODE,
    "locale": TextRule(16),
    # residents' consent and registrations (lengths as hub/participation checks them)
    "purpose": TextRule(300),
    "textVersion": TextRule(40),
    "idempotencyKey": TextRule(100),
    # months of the programme reports
    "month": TextRule(7, kind="A month, YYYY-MM"),
    # webhooks (the URL's length as hub/integration/webhooks_targets checks it)
    "url": TextRule(2000),
    # cursors
    "eventCursor": TextRule(MAX_ID_LENGTH, kind="An event cursor"),
    "after": TextRule(MAX_ID_LENGTH, kind="A cursor of this list"),
}
"""The rule of every `String` argument and input field, by its GraphQL name. A text field
without a rule here makes the schema fail to build: each one is decided, none defaulted."""


def _named(type_: Any) -> Any:
    """The named type under NonNull and List wrappers."""
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _rule_of(name: str, named: GraphQLScalarType, owner: str) -> TextRule:
    if named.name == "ID":
        return ID_RULE
    try:
        return RULES[name]
    except KeyError:
        raise RuntimeError(
            f"{owner}.{name} is a String without a rule in schema/hygiene.py"
        ) from None


def _walk(
    value: Any, type_: GraphQLInputType, name: str, path: list[str], owner: str
) -> Iterator[tuple[list[str], str]]:
    """(path, problem) for every text in `value` (of `type_`) that breaks its rule."""
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        yield from _walk(value, type_.of_type, name, path, owner)
    elif isinstance(type_, GraphQLList):
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _walk(item, type_.of_type, name, [*path, str(index)], owner)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for field_name, field in type_.fields.items():
                if field_name in value:
                    yield from _walk(
                        value[field_name], field.type, field_name, [*path, field_name], type_.name
                    )
    elif (
        isinstance(type_, GraphQLScalarType)
        and type_.name in ("String", "ID")
        and isinstance(value, str)
    ):
        problem = _text_problem(value, _rule_of(name, type_, owner), type_.name == "ID")
        if problem is not None:
            yield path, problem
    elif isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        # Far dates overflow when moved between time zones, and mean nothing to a plan.
        yield path, f"must be a date in the years {FIRST_YEAR} to {LAST_YEAR}"


def _text_problem(value: str, rule: TextRule, is_id: bool) -> str | None:
    problem = text_problem(value, max_length=rule.max_length, multiline=rule.multiline)
    if problem is None and is_id and parse_global_id(value) is None:
        return f"must be a global id as the hub writes it, not {quote_input(value)}"
    return problem


def _has_text(type_: Any, seen: set[str] | None = None) -> bool:
    """Whether a value of `type_` holds anything checked here: texts, ids, dates."""
    named = _named(type_)
    if isinstance(named, GraphQLScalarType):
        return named.name in CHECKED_SCALARS
    if isinstance(named, GraphQLInputObjectType):
        seen = seen if seen is not None else set()
        if named.name in seen:
            return False
        seen.add(named.name)
        return any(_has_text(f.type, seen) for f in named.fields.values())
    return False


def _describe(type_: Any, name: str, owner: str, holder: Any, seen: set[str]) -> None:
    """Write each text field's rule into its description (the SDL is the API's manual)."""
    named = _named(type_)
    if isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"):
        rule = _rule_of(name, named, owner)
        text = rule.describe()
        current = holder.description or ""
        if text not in current:
            holder.description = f"{current} {text}".strip()
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        seen.add(named.name)
        for field_name, field in named.fields.items():
            _describe(field.type, field_name, named.name, field, seen)


def _payload(field: GraphQLField, errors: list[UserError]) -> Any:
    """The mutation's payload with `errors` and a null object."""
    definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    payload_type = definition.type
    values = {
        f.python_name: None
        for f in payload_type.__strawberry_definition__.fields
        if f.python_name != "errors"
    }
    return payload_type(**values, errors=errors)


def argument_problems(
    field: GraphQLField, kwargs: dict[str, Any], *, owner: str, mutation: bool = False
) -> list[Invalid]:
    """What is wrong with the text arguments `kwargs` (as graphql-core coerced them) of
    `field`, in the order the guard reports them."""
    found: list[Invalid] = []
    for name, argument in field.args.items():
        if name not in kwargs or not _has_text(argument.type):
            continue
        # A mutation's paths start inside its single `input`, as its other errors do.
        start = [] if mutation else [name]
        for path, problem in _walk(kwargs[name], argument.type, name, start, owner):
            label = next((p for p in reversed(path) if not p.isdigit()), name)
            found.append(Invalid(f"{label} {problem}", field=path or [name]))
    return found


def _guard(field: GraphQLField, *, owner: str, mutation: bool, attribute: str = "resolve") -> None:
    """Put the checks in front of the field's `resolve` (or a subscription's `subscribe`)."""
    resolve: Callable[..., Any] | None = getattr(field, attribute)
    assert resolve is not None, f"{owner} has a field with arguments and no {attribute}"
    if not any(_has_text(a.type) for a in field.args.values()):
        return

    def problems(kwargs: dict[str, Any]) -> list[Invalid]:
        return argument_problems(field, kwargs, owner=owner, mutation=mutation)

    if mutation:

        def guarded(source: Any, info: Any, **kwargs: Any) -> Any:
            found = problems(kwargs)
            if found:
                return _payload(field, user_errors(HubErrors(found)))
            return resolve(source, info, **kwargs)

    else:

        def guarded(source: Any, info: Any, **kwargs: Any) -> Any:
            found = problems(kwargs)
            if found and attribute == "subscribe":
                # A subscription's errors do not pass the operation's error extension.
                raise GraphQLError(
                    found[0].message,
                    extensions={"code": found[0].code.value, "field": found[0].field},
                )
            if found:
                raise found[0]
            return resolve(source, info, **kwargs)

    # graphql-core awaits what the resolver returns, so one synchronous guard fits both kinds.
    guarded._is_default = getattr(resolve, "_is_default", False)  # type: ignore[attr-defined]
    setattr(field, attribute, guarded)


def guard_arguments(schema: GraphQLSchema) -> None:
    """Check every text argument of `schema` before its resolver runs, and write each rule
    into its description. Called once, on the built schema."""
    mutation_type = schema.mutation_type
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            for arg_name, argument in field.args.items():
                _describe(argument.type, arg_name, f"{type_.name}.{name}", argument, set())
            if any(_has_text(a.type) for a in field.args.values()):
                _guard(
                    field,
                    owner=f"{type_.name}.{name}",
                    mutation=type_ is mutation_type,
                    attribute="subscribe" if type_ is schema.subscription_type else "resolve",
                )
