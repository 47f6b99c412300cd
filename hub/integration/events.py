"""The kinds of event in the stream, and how the plan history's kinds map onto them."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What happened: the changes the hub emails about, and registration changes."""

    PLAN_PROPOSED = "PLAN_PROPOSED"
    PLAN_ANSWERED = "PLAN_ANSWERED"
    PLAN_REVISED = "PLAN_REVISED"
    PLAN_ACTIVATED = "PLAN_ACTIVATED"
    PLAN_DECLINED = "PLAN_DECLINED"
    PLAN_CANCELLED = "PLAN_CANCELLED"
    PLAN_COMPLETED = "PLAN_COMPLETED"
    TRAINING_SCHEDULED = "TRAINING_SCHEDULED"
    TRAINING_CHANGED = "TRAINING_CHANGED"
    TRAINING_CANCELLED = "TRAINING_CANCELLED"
    REGISTRATION_CHANGED = "REGISTRATION_CHANGED"


PLAN_KINDS = frozenset(k for k in EventKind if k.value.startswith("PLAN_"))
TRAINING_KINDS = frozenset(
    {
        EventKind.TRAINING_SCHEDULED,
        EventKind.TRAINING_CHANGED,
        EventKind.TRAINING_CANCELLED,
        EventKind.REGISTRATION_CHANGED,
    }
)
"""The kinds `trainingUpdates` delivers: a public training's schedule and its counts."""

HISTORY_EVENT_KINDS: dict[str, EventKind | None] = {
    "PROPOSED": EventKind.PLAN_PROPOSED,
    "ACCEPTED": EventKind.PLAN_ANSWERED,
    "DECLINED": EventKind.PLAN_DECLINED,
    "REVISED": EventKind.PLAN_REVISED,
    "ACTIVATED": EventKind.PLAN_ACTIVATED,
    "CANCELLED": EventKind.PLAN_CANCELLED,
    "COMPLETED": EventKind.PLAN_COMPLETED,
    "TRAINING_RESCHEDULED": EventKind.TRAINING_CHANGED,
    "TRAINING_CANCELLED": EventKind.TRAINING_CANCELLED,
    "TRAINING_DONE": None,
}
"""`PlanEvent.kind` (the history's own words, unchanged) → `PlanEvent.event`. A kind mapped to
None is history only: it has a position and a cursor, but no event kind. A training scheduled
at activation, and an invited training cancelled with its plan, are events without a history
line of their own (the plan's ACTIVATED, CANCELLED or COMPLETED line stands for them)."""


def event_kind_of(history_kind: str) -> EventKind | None:
    return HISTORY_EVENT_KINDS.get(history_kind)
