"""Shared GraphQL building blocks: connections, user errors, and error codes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.types.nodes import FragmentSpread, InlineFragment
from tortoise.queryset import QuerySet

from hub.core import HubError, HubErrors, Invalid
from hub.core.errors import ErrorCode as DomainErrorCode
from hub.core.ids import encode_cursor, parse_cursor, quote_input

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

ErrorCode = strawberry.enum(
    DomainErrorCode,
    name="ErrorCode",
    description="Why a mutation did not do what was asked.",
)

NodeT = TypeVar("NodeT")
ModelT = TypeVar("ModelT")


@strawberry.type(description="One item of a connection and the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(
    description="A page of a list: `edges` with cursors, `pageInfo` and the `totalCount`."
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the list.")
    total_count: int = strawberry.field(description="How many items the whole list holds.")


@strawberry.type(description="An expected failure of a mutation, in words a person understands.")
class UserError:
    code: ErrorCode = strawberry.field(description="Stable, machine-readable reason.")  # type: ignore[valid-type]
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, when one is.",
    )
    message: str = strawberry.field(description="What went wrong, naming the specifics.")

    @classmethod
    def of(cls, error: HubError) -> UserError:
        return cls(code=error.code, field=error.field, message=error.message)


def user_errors(error: HubError | HubErrors) -> list[UserError]:
    errors = error.errors if isinstance(error, HubErrors) else [error]
    return [UserError.of(e) for e in errors]


def decode_cursor(cursor: str | None, *, field: str = "after") -> int:
    """The offset after which a page starts (-1 for the first page)."""
    if cursor is None:
        return -1
    offset = parse_cursor(cursor)
    if offset is None:
        raise Invalid(f"{quote_input(cursor)} is not a cursor of this list", field=[field])
    return offset


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise Invalid(f"first must be between 0 and {MAX_PAGE_SIZE}, not {first}", field=["first"])
    return first


def _connection(
    nodes: Sequence[NodeT], *, start: int, total: int, has_next: bool
) -> Connection[NodeT]:
    edges = [Edge(cursor=encode_cursor(start + i), node=node) for i, node in enumerate(nodes)]
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def connection_of(
    nodes: Sequence[NodeT], *, start: int, total: int, has_next: bool
) -> Connection[NodeT]:
    """A connection over one page loaded by other means (a batched loader)."""
    return _connection(nodes, start=start, total=total, has_next=has_next)


async def paginate(
    query: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    build: Callable[[list[Any]], Sequence[NodeT] | Awaitable[Sequence[NodeT]]],
    count: bool = True,
) -> Connection[NodeT]:
    """One page of `query` (already filtered and ordered) as a connection: one statement for
    the page and, when `count`, one for the total."""
    limit = page_size(first)
    start = decode_cursor(after) + 1
    rows = list(await query.offset(start).limit(limit + 1)) if limit else []
    has_next = len(rows) > limit
    rows = rows[:limit]
    built = build(rows)
    nodes = await built if isinstance(built, Awaitable) else built
    total = await query.count() if count else start + len(rows) + int(has_next)
    return _connection(nodes, start=start, total=total, has_next=has_next)


def slice_connection(
    items: Sequence[NodeT], *, first: int | None, after: str | None
) -> Connection[NodeT]:
    """A connection over a list already loaded whole (the nested lists loaded in one batch)."""
    limit = page_size(first)
    start = decode_cursor(after) + 1
    page = items[start : start + limit]
    return _connection(page, start=start, total=len(items), has_next=start + limit < len(items))


def wants_total_count(info: strawberry.Info) -> bool:
    """Whether the selection asks for `totalCount` (directly or in a fragment), so its count
    query can be skipped when it does not."""

    def asks(selections: list[Any]) -> bool:
        for selection in selections:
            if isinstance(selection, InlineFragment | FragmentSpread):
                if asks(selection.selections):
                    return True
            elif selection.name == "totalCount":
                return True
        return False

    return any(asks(field.selections) for field in info.selected_fields)


def node_pks(node_ids: Iterable[Any]) -> list[int | None]:
    """The numbers of a `resolve_nodes` call's ids, None for one that is not a number."""
    pks: list[int | None] = []
    for raw in node_ids:
        try:
            pks.append(int(raw))
        except (TypeError, ValueError):
            pks.append(None)
    return pks


async def load_nodes(
    loader: Any,
    node_ids: Any,
    build: Callable[[Any], NodeT],
    *,
    accept: Callable[[Any], bool] = lambda row: True,
) -> list[NodeT | None]:
    """`Node.resolve_nodes` for types backed by one model: None for ids that are not numbers,
    have no row, or whose row `accept` refuses."""
    pks = node_pks(node_ids)
    rows = await loader.load_many([pk for pk in pks if pk is not None])
    found = iter(rows)
    result: list[NodeT | None] = []
    for pk in pks:
        row = next(found) if pk is not None else None
        result.append(build(row) if row is not None and accept(row) else None)
    return result
