"""The rules of joint mentoring plans that need no database: who may act, which status allows
which action, and the checks of a plan's period and trainings (DESIGN section 4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from hub.access import Viewer
from hub.core import HubError, Invalid, InvalidState
from models.enums import PlanStatus, Role

JAKARTA = ZoneInfo("Asia/Jakarta")


class Action(StrEnum):
    RESPOND = "respond to"
    REVISE = "revise"
    CANCEL = "cancel"
    COMPLETE = "complete"
    CHANGE_TRAINING = "change a training of"


ALLOWED_FROM: dict[Action, tuple[PlanStatus, ...]] = {
    Action.RESPOND: (PlanStatus.PROPOSED,),
    Action.REVISE: (PlanStatus.PROPOSED, PlanStatus.DECLINED),
    Action.CANCEL: (PlanStatus.PROPOSED, PlanStatus.ACTIVE),
    Action.COMPLETE: (PlanStatus.ACTIVE,),
    Action.CHANGE_TRAINING: (PlanStatus.ACTIVE,),
}
"""The state machine: from which statuses each action may start."""


def require_status(status: PlanStatus, action: Action) -> None:
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise InvalidState(
            f"cannot {action.value} a plan that is {status.value}; it must be {names}"
        )


@dataclass(frozen=True)
class PlanSides:
    """Who a plan concerns: its centre, its communities, and who proposed it."""

    centre_id: int
    community_ids: tuple[int, ...]
    proposer_id: int | None = None
    proposer_community_id: int | None = None


def may_propose(viewer: Viewer, sides: PlanSides) -> bool:
    """STAFF of the centre, a COORDINATOR of a listed community, or ADMIN."""
    if viewer.is_admin:
        return True
    if viewer.role is Role.STAFF:
        return viewer.centre_id == sides.centre_id
    if viewer.role is Role.COORDINATOR:
        return viewer.community_id in sides.community_ids
    return False


def answering_side(
    viewer: Viewer, sides: PlanSides, community_id: int | None = None
) -> tuple[int | None, int | None] | None:
    """The party the viewer answers for, as (centre_id, community_id); None when it answers for
    none. ADMIN answers for the community named, or else for the centre."""
    if viewer.is_admin:
        if community_id is not None:
            return (None, community_id) if community_id in sides.community_ids else None
        return (sides.centre_id, None)
    if viewer.role is Role.STAFF and viewer.centre_id == sides.centre_id:
        return (sides.centre_id, None)
    if viewer.role is Role.COORDINATOR and viewer.community_id in sides.community_ids:
        return (None, viewer.community_id)
    return None


def is_proposer(viewer: Viewer, sides: PlanSides) -> bool:
    """The account that proposed, or a fellow coordinator of the community it proposed for."""
    if viewer.account_id is not None and viewer.account_id == sides.proposer_id:
        return True
    return (
        viewer.role is Role.COORDINATOR
        and sides.proposer_community_id is not None
        and viewer.community_id == sides.proposer_community_id
    )


def is_centre_staff(viewer: Viewer, sides: PlanSides) -> bool:
    return viewer.role is Role.STAFF and viewer.centre_id == sides.centre_id


def may_revise_or_cancel(viewer: Viewer, sides: PlanSides) -> bool:
    return viewer.is_admin or is_proposer(viewer, sides) or is_centre_staff(viewer, sides)


def may_complete(viewer: Viewer, sides: PlanSides) -> bool:
    return viewer.is_admin or is_centre_staff(viewer, sides)


def may_change_trainings(viewer: Viewer, sides: PlanSides) -> bool:
    """Rescheduling, cancelling or completing one training: STAFF of the centre or the
    proposer (ADMIN too)."""
    return may_revise_or_cancel(viewer, sides)


def overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    """Half-open intervals: a training ending at 12:00 does not clash with one starting then."""
    return a[0] < b[1] and b[0] < a[1]


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A time in UTC; a time given without a zone is read as Jakarta time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JAKARTA)
    return moment.astimezone(dt.UTC)


def jakarta_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(JAKARTA).date()


def check_period(starts_on: dt.date, ends_on: dt.date) -> list[HubError]:
    if ends_on < starts_on:
        return [
            Invalid(f"the plan ends ({ends_on}) before it starts ({starts_on})", field=["endsOn"])
        ]
    return []


@dataclass(frozen=True)
class TrainingTimes:
    """A training's place in the input (for error paths) and its times in UTC."""

    index: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def check_training_times(
    trainings: Sequence[TrainingTimes], starts_on: dt.date, ends_on: dt.date, *, path: str
) -> list[HubError]:
    """Each training ends after it starts and lies within the plan's period (Jakarta dates)."""
    errors: list[HubError] = []
    for t in trainings:
        field = [path, str(t.index)]
        if t.ends_at <= t.starts_at:
            errors.append(
                Invalid(f"training {t.title!r} ends before it starts", field=[*field, "endsAt"])
            )
            continue
        first, last = jakarta_date(t.starts_at), jakarta_date(t.ends_at)
        if first < starts_on or last > ends_on:
            errors.append(
                Invalid(
                    f"training {t.title!r} ({first} to {last}) lies outside the plan's period "
                    f"{starts_on} to {ends_on}",
                    field=[*field, "startsAt"],
                )
            )
    return errors
