"""Plain SQL that runs unchanged on SQLite and PostgreSQL: only the placeholders differ."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from tortoise import connections


class Statement:
    """Collects parameters and writes the dialect's placeholders for them."""

    def __init__(self) -> None:
        connection = connections.get("default")
        self.connection = connection
        self.postgres = connection.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def one_of(self, column: str, values: Collection[Any]) -> str:
        """`column` is one of `values` (never true for none)."""
        if not values:
            return "1 = 0"
        if self.postgres:
            return f"{column} = ANY({self.param(list(values))})"
        return f"{column} IN ({', '.join(self.param(v) for v in values)})"

    def in_region(self, column: str, code: str) -> str:
        """The region code in `column` is `code` or lies in it. On SQLite, whose text order is
        bytewise, as a range over the code index; on PostgreSQL, whose collation may order
        punctuation otherwise, with LIKE (codes hold only digits and dots)."""
        if self.postgres:
            return f"({column} = {self.param(code)} OR {column} LIKE {self.param(code + '.%')})"
        return (
            f"({column} = {self.param(code)} OR ({column} > {self.param(code + '.')} "
            f"AND {column} < {self.param(code + '/')}))"
        )

    async def rows(self, sql: str) -> Sequence[Mapping[str, Any]]:
        """The rows as the driver returns them (sqlite3.Row, asyncpg.Record: both read by
        column name), without copying each into a dict."""
        found: Sequence[Mapping[str, Any]] = (
            await self.connection.execute_query(sql, self.values)
        )[1]
        return found
