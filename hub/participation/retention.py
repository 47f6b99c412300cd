"""Retention: participants are anonymised once their last training ended more than
`HUB_PARTICIPANT_RETENTION_DAYS` (default 730) ago, and interests older than that are removed.
`hub privacy purge [--dry-run]` runs it; the delivery worker runs it daily."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from hub.access import audit
from hub.access.persons import anonymise_participants
from hub.core import Settings, dataversion, write_transaction
from models.participation import Interest, Participant, Registration

log = logging.getLogger(__name__)

PURGE_LABEL = "retention purge"
BATCH = 500
"""Participants anonymised per transaction: short transactions, bounded parameter lists."""
DAILY = 86400.0


@dataclass(frozen=True)
class Purged:
    participants: int
    interests: int
    dry_run: bool


def _due(cutoff: dt.datetime) -> Q:
    """Participants with nothing after `cutoff`: no registration for a training ending later,
    no interest expressed later, and created before it."""
    recent_training = Registration.filter(training__ends_at__gte=cutoff).values("participant_id")
    recent_interest = Interest.filter(created_at__gte=cutoff).values("participant_id")
    return Q(
        Q(anonymised_at__isnull=True),
        Q(created_at__lt=cutoff),
        ~Q(id__in=Subquery(recent_training)),
        ~Q(id__in=Subquery(recent_interest)),
    )


async def purge(
    *, settings: Settings, dry_run: bool = False, now: dt.datetime | None = None
) -> Purged:
    """Anonymise the participants past retention and delete the interests older than it."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(
        days=settings.participant_retention_days
    )
    due = Participant.filter(_due(cutoff))
    old_interests = Interest.filter(created_at__lt=cutoff)
    if dry_run:
        return Purged(await due.count(), await old_interests.count(), dry_run=True)
    participants = 0
    while True:
        ids = list(
            await Participant.filter(_due(cutoff))
            .order_by("id")
            .limit(BATCH)
            .values_list("id", flat=True)
        )
        if not ids:
            break
        async with write_transaction():
            done = await anonymise_participants(
                Participant.filter(id__in=ids, anonymised_at__isnull=True),
                action=audit.Action.ANONYMISE,
                actor_label=PURGE_LABEL,
            )
            await dataversion.bump()
        participants += len(done)
    async with write_transaction():
        interests = await Interest.filter(created_at__lt=cutoff).delete()
        if interests:
            await dataversion.bump()
    return Purged(participants, interests, dry_run=False)


async def purge_daily(settings: Settings, stop: asyncio.Event) -> None:
    """Purge now and then once a day until `stop` is set (run beside the delivery worker)."""
    while not stop.is_set():
        try:
            done = await purge(settings=settings)
            if done.participants or done.interests:
                log.info(
                    "retention purge: %d participants anonymised, %d interests removed",
                    done.participants,
                    done.interests,
                )
        except Exception:  # the worker keeps delivering mail; the next day tries again
            log.exception("retention purge failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=DAILY)
        except TimeoutError:
            continue
