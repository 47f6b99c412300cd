"""Mutations of registrations, attendance and interest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub import participation
from hub.core import HubError, HubErrors, decode_global_id
from models.enums import ConsentChannel
from schema.common import UserError, user_errors
from schema.context import Info
from schema.matching.types import SectorNeed
from schema.participation.types import Registration, build_registrations

if TYPE_CHECKING:
    from schema.plans.types import Training


@strawberry.input(description="A resident; at least one of phone and email.")
class ParticipantInput:
    name: str = strawberry.field(description="Name.")
    phone: str | None = strawberry.field(
        default=None, description="Phone number, e.g. 0812-3456-7890 (stored as E.164)."
    )
    email: str | None = strawberry.field(default=None, description="Email address.")
    kecamatan_code: str = strawberry.field(description="Kecamatan of domicile, e.g. `31.71.01`.")
    sector_code: str = strawberry.field(description="Business sector, e.g. `KULINER`.")


@strawberry.input(description="The resident's consent to the use of their data.")
class ConsentInput:
    purpose: str = strawberry.field(description="What the data is used for.")
    text_version: str = strawberry.field(description="The version of the consent text shown.")
    channel: ConsentChannel = strawberry.field(description="How the consent was given.")


@strawberry.input(description="Register a resident for a training.")
class RegisterForTrainingInput:
    training_id: strawberry.ID = strawberry.field(description="The training.")
    participant: ParticipantInput | None = strawberry.field(
        default=None, description="A resident, new or already known to your account."
    )
    participant_id: strawberry.ID | None = strawberry.field(
        default=None, description="A participant already known (instead of `participant`)."
    )
    consent: ConsentInput | None = strawberry.field(
        default=None, description="Required for a new participant."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Your key for this request: repeating it returns the same registration.",
    )


@strawberry.input(description="Cancel a registration.")
class CancelRegistrationInput:
    registration_id: strawberry.ID = strawberry.field(description="The registration.")


@strawberry.input(description="Who came to a training.")
class RecordAttendanceInput:
    training_id: strawberry.ID = strawberry.field(description="The training.")
    attended_registration_ids: list[strawberry.ID] = strawberry.field(
        description="The confirmed registrations whose person came; the others did not."
    )


@strawberry.input(description="A resident's wish for training in one sector at one centre.")
class ExpressInterestInput:
    kecamatan_code: str = strawberry.field(description="The kecamatan whose centre it concerns.")
    sector_code: str = strawberry.field(description="The sector.")
    participant: ParticipantInput | None = strawberry.field(
        default=None, description="A resident, new or already known to your account."
    )
    participant_id: strawberry.ID | None = strawberry.field(
        default=None, description="A participant already known (instead of `participant`)."
    )
    consent: ConsentInput | None = strawberry.field(
        default=None, description="Required for a new participant."
    )


@strawberry.type(description="The result of a change to a registration.")
class RegistrationPayload:
    registration: Registration | None = strawberry.field(
        description="The registration after the change; null when nothing changed."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of a change to a training.")
class TrainingPayload:
    training: Annotated[Training, strawberry.lazy("schema.plans.types")] | None = strawberry.field(
        description="The training after the change; null when nothing changed."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of an expressed interest.")
class InterestPayload:
    need: SectorNeed | None = strawberry.field(
        description="The centre's need in that sector now, `waiting` included."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was recorded, if so.")


def _participant(value: ParticipantInput | None) -> participation.ParticipantSpec | None:
    if value is None:
        return None
    return participation.ParticipantSpec(
        name=value.name,
        kecamatan_code=value.kecamatan_code,
        sector_code=value.sector_code,
        phone=value.phone,
        email=value.email,
    )


def _consent(value: ConsentInput | None) -> participation.ConsentSpec | None:
    if value is None:
        return None
    return participation.ConsentSpec(
        purpose=value.purpose, text_version=value.text_version, channel=value.channel
    )


def _participant_pk(value: strawberry.ID | None) -> int | None:
    return decode_global_id(value, "Participant", field="participantId") if value else None


async def _payload(info: Info, done: participation.Registered) -> RegistrationPayload:
    registration = done.registration
    viewer = info.context.viewer
    if viewer.account_id is not None and registration.registered_by_id == viewer.account_id:
        # The account that registered the person sees them: no need to ask the database.
        if done.participant is not None:
            info.context.loaders.participant_by_id.prime(done.participant.id, done.participant)
        built = Registration.from_model(registration, participant_visible=True)
    else:
        (built,) = await build_registrations(info, [registration])
    return RegistrationPayload(registration=built, errors=[])


@strawberry.type
class ParticipationMutations:
    @strawberry.mutation(
        description=(
            "Register a resident for a scheduled training of an active plan that has not "
            "started: partner apps, the host centre's staff, the organising communities' "
            "coordinators and admins. CONFIRMED within capacity, else WAITLISTED at the next "
            "position. The same idempotency key, or the same person (same phone or email "
            "among your own participants) at the same training, returns the registration "
            "made before."
        )
    )
    async def register_for_training(
        self, info: Info, input: RegisterForTrainingInput
    ) -> RegistrationPayload:
        try:
            done = await participation.register_for_training(
                viewer=info.context.viewer,
                training_id=decode_global_id(input.training_id, "Training", field="trainingId"),
                participant=_participant(input.participant),
                participant_id=_participant_pk(input.participant_id),
                consent=_consent(input.consent),
                idempotency_key=input.idempotency_key,
            )
        except (HubError, HubErrors) as error:
            return RegistrationPayload(registration=None, errors=user_errors(error))
        return await _payload(info, done)

    @strawberry.mutation(
        description=(
            "Cancel a registration before the training starts: the account that made it, the "
            "host centre's staff, the organisers or an admin. The first on the waitlist gets "
            "the place."
        )
    )
    async def cancel_registration(
        self, info: Info, input: CancelRegistrationInput
    ) -> RegistrationPayload:
        try:
            registration = await participation.cancel_registration(
                viewer=info.context.viewer,
                registration_id=decode_global_id(
                    input.registration_id, "Registration", field="registrationId"
                ),
            )
        except (HubError, HubErrors) as error:
            return RegistrationPayload(registration=None, errors=user_errors(error))
        return await _payload(info, participation.Registered(registration, created=False))

    @strawberry.mutation(
        description=(
            "Record who came, once the training has started: the host centre's staff, the "
            "organisers or an admin. The listed confirmed registrations attended; the other "
            "confirmed ones did not."
        )
    )
    async def record_attendance(self, info: Info, input: RecordAttendanceInput) -> TrainingPayload:
        from schema.plans.types import Training

        try:
            training = await participation.record_attendance(
                viewer=info.context.viewer,
                training_id=decode_global_id(input.training_id, "Training", field="trainingId"),
                attended_registration_ids=[
                    decode_global_id(r, "Registration", field="attendedRegistrationIds")
                    for r in input.attended_registration_ids
                ],
            )
        except (HubError, HubErrors) as error:
            return TrainingPayload(training=None, errors=user_errors(error))
        return TrainingPayload(training=Training.from_model(training), errors=[])

    @strawberry.mutation(
        description=(
            "Record that a resident wants training in a sector at a centre (partner apps, "
            "staff, coordinators, admins). Staff see it as `waiting` beside their demand."
        )
    )
    async def express_interest(self, info: Info, input: ExpressInterestInput) -> InterestPayload:
        try:
            needs = await participation.express_interest(
                viewer=info.context.viewer,
                kecamatan_code=input.kecamatan_code,
                sector_code=input.sector_code,
                participant=_participant(input.participant),
                participant_id=_participant_pk(input.participant_id),
                consent=_consent(input.consent),
            )
        except (HubError, HubErrors) as error:
            return InterestPayload(need=None, errors=user_errors(error))
        return InterestPayload(need=SectorNeed.list_of(needs)[0], errors=[])
