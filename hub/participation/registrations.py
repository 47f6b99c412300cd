"""Registration for trainings: register, cancel (promoting the waitlist) and record attendance.

Every change runs in one write transaction that first locks the training's row (PostgreSQL:
SELECT … FOR UPDATE; SQLite: the write lock taken as the transaction starts), so the number
of confirmed places and the waitlist positions are decided by one writer at a time: capacity
holds and positions stay 1, 2, … without gaps under any concurrency. Refusals are checked in
the order NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import F, Q
from tortoise.functions import Count

from hub.access import PUBLIC_TRAINING_PLAN_STATUSES, Viewer
from hub.core import Forbidden, Invalid, InvalidState, NotFound, dataversion, write_transaction
from hub.integration import EventKind as Stream
from hub.integration import record_event
from hub.notify import NotificationKind
from hub.participation import mail
from hub.participation.participants import ConsentSpec, ParticipantSpec, find_or_create
from hub.participation.queries import registration_counts
from models.enums import PlanStatus, RegistrationStatus, Role, TrainingStatus
from models.participation import Participant, Registration
from models.plans import Plan, PlanParty, Training, TrainingOrganiser

IDEMPOTENCY_KEY_MAX = 100


@dataclass(frozen=True)
class TrainingSides:
    """Who a training concerns: its host centre and its organising communities."""

    training: Training
    plan: Plan
    organiser_ids: tuple[int, ...]
    party_community_ids: tuple[int, ...]

    def hosts_or_organises(self, viewer: Viewer) -> bool:
        """ADMIN, STAFF of the host centre, a COORDINATOR of an organising community."""
        if viewer.is_admin or viewer.acts_for(centre_id=self.training.centre_id):
            return True
        return any(viewer.acts_for(community_id=c) for c in self.organiser_ids)

    def visible_to(self, viewer: Viewer) -> bool:
        if self.plan.status in PUBLIC_TRAINING_PLAN_STATUSES or viewer.is_admin:
            return True
        if viewer.acts_for(centre_id=self.plan.centre_id):
            return True
        return any(viewer.acts_for(community_id=c) for c in self.party_community_ids)


async def lock_training(training_id: int, viewer: Viewer, *, lock: bool = True) -> TrainingSides:
    """The training locked for change (unless `lock` is False), with who it concerns;
    NOT_FOUND when it does not exist or the viewer may not see it. Call inside a write
    transaction."""
    query = Training.select_for_update(no_key=True) if lock else Training.all()
    training = await query.get_or_none(id=training_id)
    if training is None:
        raise NotFound(f"no training with id {training_id}", field=["trainingId"])
    plan = await Plan.get(id=training.plan_id)
    coordinator = viewer.role is Role.COORDINATOR
    # Only a coordinator's rights depend on the communities: others skip those statements.
    organisers = (
        await TrainingOrganiser.filter(training_id=training.id).values_list(
            "community_id", flat=True
        )
        if coordinator
        else []
    )
    parties = (
        await PlanParty.filter(plan_id=plan.id, community_id__not_isnull=True).values_list(
            "community_id", flat=True
        )
        if coordinator and plan.status not in PUBLIC_TRAINING_PLAN_STATUSES
        else []
    )
    sides = TrainingSides(
        training=training,
        plan=plan,
        organiser_ids=tuple(int(c) for c in organisers),  # type: ignore[call-overload]
        party_community_ids=tuple(int(c) for c in parties),  # type: ignore[call-overload]
    )
    if not sides.visible_to(viewer):
        raise NotFound(f"no training with id {training_id}", field=["trainingId"])
    return sides


def _require_open(training: Training, plan: Plan) -> None:
    if plan.status is not PlanStatus.ACTIVE or training.status is not TrainingStatus.SCHEDULED:
        raise InvalidState(
            f"training {training.title!r} is not open for registration: it is "
            f"{training.status.value} in a {plan.status.value} plan; registration is open for "
            "scheduled trainings of active plans"
        )
    if training.starts_at <= dt.datetime.now(dt.UTC):
        raise InvalidState(f"training {training.title!r} has started; registration is closed")


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    text = key.strip()
    if not text or len(text) > IDEMPOTENCY_KEY_MAX or any(ord(c) < 33 for c in text):
        raise Invalid(
            f"an idempotency key is 1 to {IDEMPOTENCY_KEY_MAX} characters without spaces",
            field=["idempotencyKey"],
        )
    return text


@dataclass(frozen=True)
class Registered:
    registration: Registration
    created: bool
    participant: Participant | None = None
    """The person, when the change loaded them anyway."""


class _AlreadyRegistered(Exception):
    """Found under the lock: the person is registered already. Raised to roll back what this
    request wrote before it (a participant it created), answered with that registration."""

    def __init__(self, registration: Registration) -> None:
        super().__init__("already registered")
        self.registration = registration


async def register_for_training(
    *,
    viewer: Viewer,
    training_id: int,
    participant: ParticipantSpec | None = None,
    participant_id: int | None = None,
    consent: ConsentSpec | None = None,
    idempotency_key: str | None = None,
) -> Registered:
    """A place for the participant: CONFIRMED within capacity, else WAITLISTED at the end of
    the waitlist. The same idempotency key of the same account, or the same person (among the
    account's own participants) at the same training, returns the existing registration.

    The checks and the participant come first; the training row is locked only for the
    decision (counts, position, the row and its email), so the lock is held briefly."""
    try:
        async with write_transaction():
            sides = await lock_training(training_id, viewer, lock=False)
            if not (viewer.role is Role.PARTNER or sides.hosts_or_organises(viewer)):
                raise Forbidden(
                    "residents are registered by partner apps, the host centre's staff, the "
                    "organising communities' coordinators and admins"
                )
            key = _check_key(idempotency_key)
            earlier = await _by_key(viewer, key, sides.training.id)
            if earlier is not None:
                return Registered(earlier, created=False)
            _require_open(sides.training, sides.plan)
            person = await find_or_create(
                viewer=viewer, spec=participant, participant_id=participant_id, consent=consent
            )
            # One writer at a time per training from here: capacity and positions hold.
            training = await Training.select_for_update(no_key=True).get(id=sides.training.id)
            _require_open(training, sides.plan)
            earlier = await _by_key(viewer, key, training.id)
            if earlier is None:
                earlier = await _same_person(viewer, person, training.id)
            if earlier is not None:
                raise _AlreadyRegistered(earlier)
            registration = await _place(viewer, training, person, key)
            await registration_changed(training, viewer, [registration])
            await dataversion.bump()
    except _AlreadyRegistered as found:
        return Registered(found.registration, created=False)
    return Registered(registration, created=True, participant=person)


async def registration_changed(
    training: Training, viewer: Viewer, changed: Sequence[Registration]
) -> None:
    """The `REGISTRATION_CHANGED` event of a change to a training's registrations, in its
    transaction: the training's public counts after the change, and the registrations it
    changed with the account that made each (a webhook tells a partner app its own only)."""
    counts = (await registration_counts([training.id]))[training.id]
    await record_event(
        kind=Stream.REGISTRATION_CHANGED,
        plan_id=training.plan_id,
        training_id=training.id,
        actor_id=viewer.account_id,
        data={
            **counts,
            "registrations": [
                {"id": r.id, "status": r.status.value, "registeredBy": r.registered_by_id}
                for r in changed
            ],
        },
    )


async def _by_key(viewer: Viewer, key: str | None, training_id: int) -> Registration | None:
    if key is None:
        return None
    earlier = await Registration.get_or_none(
        registered_by_id=viewer.account_id, idempotency_key=key
    )
    if earlier is not None and earlier.training_id != training_id:
        raise Invalid(
            "this idempotency key was used for another training", field=["idempotencyKey"]
        )
    return earlier


async def _same_person(
    viewer: Viewer, person: Participant, training_id: int
) -> Registration | None:
    """A live registration of the person at the training, or of the same phone or email
    among the caller's own participants (another request may have created them meanwhile)."""
    same = Q(participant_id=person.id)
    if viewer.account_id is not None:
        own = Q(participant__created_by_id=viewer.account_id, participant__anonymised_at=None)
        if person.phone:
            same |= Q(own, participant__phone=person.phone)
        if person.email:
            same |= Q(own, participant__email=person.email)
    return (
        await Registration.filter(same, training_id=training_id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .order_by("id")
        .first()
    )


async def _place(
    viewer: Viewer, training: Training, person: Participant, key: str | None
) -> Registration:
    """The new registration, confirmed or at the end of the waitlist, and its email. Call
    with the training locked."""
    counts = dict(
        await Registration.filter(training_id=training.id)
        .exclude(status=RegistrationStatus.CANCELLED)
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    confirmed = int(counts.get(RegistrationStatus.CONFIRMED, 0))
    if training.capacity is None or confirmed < training.capacity:
        status, position = RegistrationStatus.CONFIRMED, None
    else:
        waiting = int(counts.get(RegistrationStatus.WAITLISTED, 0))
        status, position = RegistrationStatus.WAITLISTED, waiting + 1
    registration = await Registration.create(
        training_id=training.id,
        participant_id=person.id,
        status=status,
        position=position,
        registered_by_id=viewer.account_id,
        idempotency_key=key,
    )
    await mail.registration_mail(
        registration,
        NotificationKind.PARTICIPANT_CONFIRMED
        if status is RegistrationStatus.CONFIRMED
        else NotificationKind.PARTICIPANT_WAITLISTED,
        participant=person,
    )
    return registration


async def _promote(training: Training) -> list[Registration]:
    """Confirm the first on the waitlist while places are free; the others move up."""
    promoted: list[Registration] = []
    if training.capacity is None:
        waiting = await Registration.filter(
            training_id=training.id, status=RegistrationStatus.WAITLISTED
        ).order_by("position")
    else:
        confirmed = await Registration.filter(
            training_id=training.id, status=RegistrationStatus.CONFIRMED
        ).count()
        free = max(0, training.capacity - confirmed)
        waiting = (
            await Registration.filter(training_id=training.id, status=RegistrationStatus.WAITLISTED)
            .order_by("position")
            .limit(free)
            if free
            else []
        )
    for registration in waiting:
        registration.status = RegistrationStatus.CONFIRMED
        registration.position = None
        await registration.save(update_fields=["status", "position", "updated_at"])
        promoted.append(registration)
    if promoted:
        await Registration.filter(
            training_id=training.id, status=RegistrationStatus.WAITLISTED
        ).update(position=F("position") - len(promoted))
    return promoted


async def cancel_registration(*, viewer: Viewer, registration_id: int) -> Registration:
    """Cancel a place: the registering account, the host staff, the organisers or ADMIN. The
    first on the waitlist takes a freed place; those behind move up."""
    async with write_transaction():
        found = await Registration.get_or_none(id=registration_id)
        if found is None:
            raise NotFound(f"no registration with id {registration_id}", field=["registrationId"])
        sides = await lock_training(found.training_id, viewer)
        training = sides.training
        registration = await Registration.get(id=registration_id)
        mine = viewer.account_id is not None and registration.registered_by_id == viewer.account_id
        if not (mine or sides.hosts_or_organises(viewer)):
            raise Forbidden(
                "a registration is cancelled by the account that made it, the host centre's "
                "staff, the organising communities' coordinators or an admin"
            )
        if registration.status is RegistrationStatus.CANCELLED:
            raise InvalidState("this registration is already cancelled")
        if training.starts_at <= dt.datetime.now(dt.UTC):
            raise InvalidState(f"training {training.title!r} has started; it cannot be cancelled")
        was, position = registration.status, registration.position
        registration.status = RegistrationStatus.CANCELLED
        registration.position = None
        registration.cancelled_at = dt.datetime.now(dt.UTC)
        await registration.save(update_fields=["status", "position", "cancelled_at", "updated_at"])
        if was is RegistrationStatus.WAITLISTED and position is not None:
            await Registration.filter(
                training_id=training.id,
                status=RegistrationStatus.WAITLISTED,
                position__gt=position,
            ).update(position=F("position") - 1)
        promoted = await _promote(training) if was is RegistrationStatus.CONFIRMED else []
        await mail.registration_mail(
            registration,
            NotificationKind.PARTICIPANT_CANCELLED,
            was_confirmed=was is RegistrationStatus.CONFIRMED,
        )
        for other in promoted:
            await mail.registration_mail(other, NotificationKind.PARTICIPANT_PROMOTED)
        await registration_changed(training, viewer, [registration, *promoted])
        await dataversion.bump()
    return registration


async def record_attendance(
    *, viewer: Viewer, training_id: int, attended_registration_ids: Sequence[int]
) -> Training:
    """Who came: the listed confirmed registrations attended, the other confirmed ones did
    not. Host staff, organisers and ADMIN, once the training has started."""
    async with write_transaction():
        sides = await lock_training(training_id, viewer)
        training = sides.training
        if not sides.hosts_or_organises(viewer):
            raise Forbidden(
                "attendance is recorded by the host centre's staff, the organising "
                "communities' coordinators or an admin"
            )
        if training.status is TrainingStatus.CANCELLED or sides.plan.status not in (
            PlanStatus.ACTIVE,
            PlanStatus.COMPLETED,
        ):
            raise InvalidState(f"training {training.title!r} is {training.status.value}")
        if training.starts_at > dt.datetime.now(dt.UTC):
            raise InvalidState(
                f"training {training.title!r} has not started; record attendance once it has"
            )
        confirmed = set(
            await Registration.filter(
                training_id=training.id, status=RegistrationStatus.CONFIRMED
            ).values_list("id", flat=True)
        )
        wanted = set(attended_registration_ids)
        strangers = sorted(wanted - confirmed)
        if strangers:
            raise Invalid(
                f"registration {strangers[0]} is not a confirmed registration of this training",
                field=["attendedRegistrationIds"],
            )
        await Registration.filter(id__in=list(wanted)).update(attended=True)
        await (
            Registration.filter(training_id=training.id, status=RegistrationStatus.CONFIRMED)
            .exclude(id__in=list(wanted))
            .update(attended=False)
        )
        await registration_changed(training, viewer, [])
        await dataversion.bump()
    return training
