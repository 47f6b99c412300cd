"""Queries of registrations."""

from __future__ import annotations

import strawberry

from hub.core import decode_global_id
from hub.participation import registration_query
from models.enums import RegistrationStatus
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info
from schema.participation.types import Registration, build_registrations


@strawberry.input(description="Which registrations to list.")
class RegistrationFilter:
    training_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only of this training."
    )
    status: RegistrationStatus | None = strawberry.field(
        default=None, description="Only with this status."
    )


@strawberry.type
class ParticipationQueries:
    @strawberry.field(
        description=(
            "Registrations the viewer may see: admins all; staff those of their centre's "
            "trainings; coordinators those of the trainings their community organises; every "
            "account those it made."
        )
    )
    async def registrations(
        self,
        info: Info,
        filter: RegistrationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Registration]:
        chosen = filter or RegistrationFilter()
        query = registration_query(
            viewer=info.context.viewer,
            training_id=(
                decode_global_id(chosen.training_id, "Training", field="filter.trainingId")
                if chosen.training_id
                else None
            ),
            status=chosen.status,
        )
        return await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: build_registrations(info, rows),
            count=wants_total_count(info),
        )
