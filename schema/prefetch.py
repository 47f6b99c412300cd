"""Planned loading: a list resolver loads the subtree its selection asks for, one query per
level, before GraphQL walks it, so the fields below answer from memory without awaiting.

A type registers, per field, a *preloader*: given all the objects of that type on one level,
it loads what the field needs in one query, attaches it to each object, and returns the new
objects for the next level. A field's resolver answers from what was attached (`ready`), and
falls back to its DataLoader where no plan reached (`node(id:)`, a mutation's payload)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.common import Connection
from schema.context import Context, Info

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C", bound=Connection[Any])

_ATTACHED = "_preloaded"


@dataclass(frozen=True)
class Preloader:
    load: Callable[[list[Any], Info], Awaitable[list[Any]]]
    connection: bool


_PRELOADERS: dict[type, dict[str, Preloader]] = {}


def preloads(
    cls: type, field: str, *, connection: bool = False
) -> Callable[
    [Callable[[list[Any], Info], Awaitable[list[Any]]]],
    Callable[[list[Any], Info], Awaitable[list[Any]]],
]:
    """Register the decorated function as the preloader of `cls.field` (a Relay connection
    when `connection`: the next level is then its `edges.node`)."""

    def register(
        load: Callable[[list[Any], Info], Awaitable[list[Any]]],
    ) -> Callable[[list[Any], Info], Awaitable[list[Any]]]:
        _PRELOADERS.setdefault(cls, {})[field] = Preloader(load=load, connection=connection)
        return load

    return register


class _Lazy:
    __slots__ = ()

    def __repr__(self) -> str:
        return "LAZY"


LAZY: Any = _Lazy()
"""The value of a relation attribute nobody loaded yet: reading it runs its fallback."""

Fallback = Callable[[Any, Context], Awaitable[Any]]
_FALLBACKS: dict[tuple[type, str], Fallback] = {}


def fallback(cls: type, field: str) -> Callable[[Fallback], Fallback]:
    """Register how to load `cls.field` alone when no plan attached it (`node(id:)`, a
    mutation's payload): with the request's DataLoaders, so that siblings still batch."""

    def register(load: Fallback) -> Fallback:
        _FALLBACKS[(cls, field)] = load
        return load

    return register


def resolve_attribute(obj: Any, name: str) -> Any:
    """Strawberry's default resolver for fields without one: the attribute, or, for a
    relation not loaded yet, an awaitable loading it. Relations planned by a preloader are
    plain attributes, so GraphQL reads them without calling any resolver."""
    value = getattr(obj, name)
    if value is LAZY:
        return _FALLBACKS[(type(obj), name)](obj, Context.current())
    return value


def attach(obj: object, field: str, value: object) -> None:
    """Give `obj` what a preloader loaded for `field`: the attribute itself for a relation
    attribute, else kept for the field's resolver (`ready`)."""
    if _is_attribute(cast(Hashable, type(obj)), field):
        setattr(obj, field, value)
    else:
        obj.__dict__.setdefault(_ATTACHED, {})[field] = value


@cache
def _is_attribute(cls: Hashable, field: str) -> bool:
    """Whether `cls.field` is a GraphQL field without a resolver of its own."""
    definition = getattr(cls, "__strawberry_definition__", None)
    fields = definition.fields if definition is not None else []
    return any(f.python_name == field and f.base_resolver is None for f in fields)


def ready(
    obj: object,
    field: str,
    load: Callable[[], Awaitable[T]],
    then: Callable[[T], R] | None = None,
) -> R:
    """The field's attached value (through `then`), or else a coroutine loading it."""
    attached: dict[str, Any] = obj.__dict__.get(_ATTACHED, {})

    def shape(value: Any) -> R:
        return then(value) if then is not None else cast(R, value)

    if field in attached:
        return shape(attached[field])

    async def later() -> R:
        return shape(await load())

    # GraphQL awaits what a resolver returns when it is awaitable.
    return cast(R, later())


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections)


def sub_selections(selections: Iterable[Selection], name: str) -> list[Selection]:
    """What is selected below every selection of field `name` (aliases and fragments merged)."""
    return [s for f in _fields(selections) if f.name == name for s in f.selections]


def node_selections(selections: Iterable[Selection]) -> list[Selection]:
    """The selections of a connection's `edges { node { … } }`."""
    return sub_selections(sub_selections(selections, "edges"), "node")


def root_selections(info: Info) -> list[Selection]:
    """What the current field selects below itself."""
    return [s for field in info.selected_fields for s in field.selections]


def unique(objects: Iterable[T]) -> list[T]:
    seen: dict[int, T] = {}
    for obj in objects:
        seen.setdefault(id(obj), obj)
    return list(seen.values())


async def prefetch(objects: Sequence[Any], selections: Sequence[Selection], info: Info) -> None:
    """Load, level by level, every registered field the selections ask for below `objects`."""
    if not objects or not selections:
        return
    preloaders = _PRELOADERS.get(type(objects[0]), {})
    done: set[str] = set()
    for field in _fields(selections):
        preloader = preloaders.get(field.name)
        if preloader is None or field.name in done:
            continue
        done.add(field.name)
        children = unique(await preloader.load(list(objects), info))
        below = sub_selections(selections, field.name)
        await prefetch(children, node_selections(below) if preloader.connection else below, info)


async def prefetch_connection(connection: C, info: Info) -> C:
    """Plan the loading below a connection the current field returns; returns it."""
    nodes = [edge.node for edge in connection.edges]
    await prefetch(nodes, node_selections(root_selections(info)), info)
    return connection


async def prefetch_list(objects: list[T], info: Info) -> list[T]:
    """Plan the loading below a list (or one object, as a list of one) the field returns."""
    await prefetch(objects, root_selections(info), info)
    return objects
