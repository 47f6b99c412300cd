"""Queries of the event stream."""

from __future__ import annotations

import strawberry

from hub.integration import cursor_of, latest_position


@strawberry.type
class IntegrationQueries:
    @strawberry.field(
        description=(
            "The cursor of the latest event, null before the first one. Read the state you "
            "need, then subscribe (`planEvents`, `trainingUpdates`) with this cursor as "
            "`after`: nothing that happened in between is missed."
        )
    )
    async def latest_event_cursor(self) -> str | None:
        position = await latest_position()
        return cursor_of(position) if position else None
