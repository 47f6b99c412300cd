"""GraphQL types of the event stream."""

from __future__ import annotations

import strawberry

from hub.integration import EventKind as EventKindValues

EventKind = strawberry.enum(
    EventKindValues,
    name="EventKind",
    description=(
        "What happened, in the event stream: a plan proposed, answered, revised, activated, "
        "declined, cancelled or completed; a public training scheduled, changed or "
        "cancelled; a training's registrations changed (with its public counts)."
    ),
)
