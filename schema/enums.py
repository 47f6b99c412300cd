"""GraphQL enums: the stored enumerations, registered with their descriptions."""

from __future__ import annotations

import strawberry

from models.enums import CommunityKind, PartyStatus, PlanStatus, RegionLevel, Role, TrainingStatus

strawberry.enum(RegionLevel, description="Level of an administrative region.")
strawberry.enum(
    CommunityKind,
    description="What a community formed around: a sector, an organisation, or a region.",
)
strawberry.enum(
    Role,
    description=(
        "ADMIN: provincial admin, everything. STAFF: staff of one centre. COORDINATOR: "
        "coordinator of one community. PARTNER: a read-only partner app."
    ),
)
strawberry.enum(PlanStatus, description="Where a joint mentoring plan stands.")
strawberry.enum(PartyStatus, description="A party's answer to a plan.")
strawberry.enum(
    TrainingStatus,
    description=(
        "PLANNED while its plan is proposed, SCHEDULED once the plan is active, CANCELLED or DONE."
    ),
)

__all__ = ["CommunityKind", "PartyStatus", "PlanStatus", "RegionLevel", "Role", "TrainingStatus"]
