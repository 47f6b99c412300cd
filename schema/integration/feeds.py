"""Calendar feeds in GraphQL: the viewer's private feed URL and its rotation. The feeds
themselves are HTTP routes (hub/web/calendar.py)."""

from __future__ import annotations

import strawberry

from hub.core import HubError
from hub.integration import feed_url, rotate_feed
from schema.common import UserError, user_errors
from schema.context import Info

CALENDAR_FEED_URL = (
    "The private calendar feed (iCalendar) of this account, to subscribe to from a calendar "
    "program: the public trainings and those of the account's own plans, planned ones "
    "included. Only the account itself sees it (null for others); whoever has the URL can "
    "read the feed, so `rotateCalendarFeed` replaces it."
)


async def calendar_feed_url(info: Info, account_id: int) -> str | None:
    """The resolver of `Account.calendarFeedUrl`: one query, for the viewer's own account only."""
    if info.context.viewer.account_id != account_id:
        return None
    return await feed_url(account_id=account_id, settings=info.context.settings)


@strawberry.type(description="The result of `rotateCalendarFeed`.")
class CalendarFeedPayload:
    calendar_feed_url: str | None = strawberry.field(
        description="The new private feed URL; the previous one no longer works."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class CalendarFeedMutations:
    @strawberry.mutation(
        description=(
            "Replace the signed-in account's private calendar feed URL: the old URL answers "
            "404 from now on (FORBIDDEN when not signed in)."
        )
    )
    async def rotate_calendar_feed(self, info: Info) -> CalendarFeedPayload:
        try:
            url = await rotate_feed(viewer=info.context.viewer, settings=info.context.settings)
        except HubError as error:
            return CalendarFeedPayload(calendar_feed_url=None, errors=user_errors(error))
        return CalendarFeedPayload(calendar_feed_url=url, errors=[])
