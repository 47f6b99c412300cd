"""Base DataLoaders: each batch runs one `filter(<key>__in=keys)` query and answers in key order.

Loaders are built per request (see `schema.context`), never at module level: a module-level
loader would cache one viewer's data for the next."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model
from tortoise.queryset import QuerySet

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound=Model)


def by_key(keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]) -> list[V | None]:
    """`rows` in the order of `keys`, None where a key has no row."""
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


def grouped(keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]) -> list[list[V]]:
    """`rows` grouped under each of `keys`, keeping the rows' order within a group."""
    groups: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]


class ModelByKeyLoader(DataLoader[Any, M | None], Generic[M]):
    """One row of `model` per key value of the unique column `key`."""

    model: ClassVar[type[Model]]
    key: ClassVar[str] = "id"

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[Any]) -> list[M | None]:
        rows: list[M] = await self.model.filter(**{f"{self.key}__in": keys})  # type: ignore[assignment]
        return by_key(keys, rows, lambda row: getattr(row, self.key))


class ModelsByKeyLoader(DataLoader[Any, list[M]], Generic[M]):
    """All rows of `model` whose column `key` holds each key, ordered by `ordering`."""

    model: ClassVar[type[Model]]
    key: ClassVar[str]
    ordering: ClassVar[tuple[str, ...]] = ("id",)

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    def query(self, keys: Sequence[Any]) -> QuerySet[Any]:
        return self.model.filter(**{f"{self.key}__in": keys}).order_by(*self.ordering)

    async def _load(self, keys: Sequence[Any]) -> list[list[M]]:
        return grouped(keys, await self.query(keys), lambda row: getattr(row, self.key))
