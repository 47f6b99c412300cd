"""GraphQL enums, mirroring the stored ones."""

from __future__ import annotations

import strawberry

from models import enums

RegionLevel = strawberry.enum(
    enums.RegionLevel, name="RegionLevel", description="Level of an administrative region."
)
CommunityKind = strawberry.enum(
    enums.CommunityKind,
    name="CommunityKind",
    description="What a community formed around: a sector, an organisation, or a region.",
)
Role = strawberry.enum(
    enums.Role,
    name="Role",
    description=(
        "ADMIN: provincial admin, everything. STAFF: staff of one centre. COORDINATOR: "
        "coordinator of one community. PARTNER: a read-only partner app."
    ),
)
PlanStatus = strawberry.enum(
    enums.PlanStatus, name="PlanStatus", description="Where a joint mentoring plan stands."
)
PartyStatus = strawberry.enum(
    enums.PartyStatus, name="PartyStatus", description="A party's answer to a plan."
)
TrainingStatus = strawberry.enum(
    enums.TrainingStatus,
    name="TrainingStatus",
    description=(
        "PLANNED while its plan is proposed, SCHEDULED once the plan is active, "
        "CANCELLED or DONE."
    ),
)
