"""GraphQL types of participants and their registrations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from hub.participation import visible_participant_ids, visible_registrations
from models import participation as m
from models.enums import ConsentChannel, RegistrationStatus
from schema.common import load_nodes
from schema.context import Info
from schema.directory.types import Sector, load_sector

if TYPE_CHECKING:
    from schema.plans.types import Training
    from schema.regions.types import Kecamatan

strawberry.enum(
    RegistrationStatus,
    description=(
        "CONFIRMED: a place at the training. WAITLISTED: waiting for a place, at `position`. "
        "CANCELLED: given up."
    ),
)
strawberry.enum(ConsentChannel, description="How the resident gave their consent.")


@strawberry.type(
    description=(
        "A resident who wants to start or grow a business. Personal data: shown to admins, to "
        "the staff and coordinators of the trainings the person is registered for, and to the "
        "account that registered or created the person; to others it is null."
    )
)
class Participant(relay.Node):
    pk: relay.NodeID[int]
    name: str | None = strawberry.field(description="Name (null once anonymised).")
    phone: str | None = strawberry.field(description="Phone number, E.164.")
    email: str | None = strawberry.field(description="Email address.")
    row: strawberry.Private[m.Participant]

    @classmethod
    def from_model(cls, row: m.Participant) -> Participant:
        return cls(pk=row.id, name=row.name, phone=row.phone, email=row.email, row=row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Participant | None]:
        found = await load_nodes(info.context.loaders.participant_by_id, node_ids, cls.from_model)
        visible = await visible_participant_ids(
            info.context.viewer, [p.pk for p in found if p is not None]
        )
        return [p if p is not None and p.pk in visible else None for p in found]

    @strawberry.field(description="The kecamatan where the person lives.")
    async def kecamatan(
        self, info: Info
    ) -> Annotated[Kecamatan, strawberry.lazy("schema.regions.types")]:
        from schema.regions.types import Kecamatan

        row = await info.context.loaders.region_by_id.load(self.row.kecamatan_id)
        assert row is not None
        return Kecamatan.from_model(row)

    @strawberry.field(description="The sector of the person's business.")
    async def sector(self, info: Info) -> Sector:
        return await load_sector(info, self.row.sector_id)


@strawberry.type(description="A resident's place at a training.")
class Registration(relay.Node):
    pk: relay.NodeID[int]
    status: RegistrationStatus = strawberry.field(description="Confirmed, waitlisted or cancelled.")
    position: int | None = strawberry.field(
        description="On the waitlist: 1 is next to get a place; null otherwise."
    )
    attended: bool = strawberry.field(description="Whether the person came (once recorded).")
    created_at: dt.datetime = strawberry.field(description="When the person was registered.")
    row: strawberry.Private[m.Registration]
    participant_visible: strawberry.Private[bool]

    @classmethod
    def from_model(cls, row: m.Registration, *, participant_visible: bool) -> Registration:
        return cls(
            pk=row.id,
            status=row.status,
            position=row.position,
            attended=row.attended,
            created_at=row.created_at,
            row=row,
            participant_visible=participant_visible,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Registration | None]:
        pks: list[int | None] = []
        for raw in node_ids:
            try:
                pks.append(int(raw))
            except (TypeError, ValueError):
                pks.append(None)
        wanted = [pk for pk in pks if pk is not None]
        rows = await visible_registrations(info.context.viewer).filter(id__in=wanted)
        built = {r.pk: r for r in await build_registrations(info, rows)}
        return [built.get(pk) if pk is not None else None for pk in pks]

    @strawberry.field(description="The training.")
    async def training(
        self, info: Info
    ) -> Annotated[Training, strawberry.lazy("schema.plans.types")]:
        from schema.plans.types import Training

        row = await info.context.loaders.training_by_id.load(self.row.training_id)
        assert row is not None
        return Training.from_model(row)

    @strawberry.field(
        description="The person, when the viewer may see their personal data; otherwise null."
    )
    async def participant(self, info: Info) -> Participant | None:
        if not self.participant_visible:
            return None
        row = await info.context.loaders.participant_by_id.load(self.row.participant_id)
        return (
            Participant.from_model(row) if row is not None and row.anonymised_at is None else None
        )


async def build_registrations(info: Info, rows: Sequence[m.Registration]) -> list[Registration]:
    """Registrations of a page, with whether each person's data is visible (one statement)."""
    visible = await visible_participant_ids(info.context.viewer, [r.participant_id for r in rows])
    return [
        Registration.from_model(r, participant_visible=r.participant_id in visible) for r in rows
    ]
