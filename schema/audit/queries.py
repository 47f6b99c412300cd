"""The audit log query, for admins."""

from __future__ import annotations

import strawberry

from hub.access import audit_query
from schema.audit.types import AuditEntry
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info


@strawberry.input(description="Which audit entries to list.")
class AuditLogFilter:
    entity: str | None = strawberry.field(
        default=None,
        description="Only about this kind of thing: `Community`, `Mentor`, `Demand`, `Account`.",
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only about this one (its global id; give `entity` too)."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only by this account."
    )
    actor_label: str | None = strawberry.field(
        default=None, description="Only by this actor as recorded, e.g. `cli import`."
    )


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description=(
            "Who changed what in the directory and when, newest first. Admins only: anyone "
            "else gets a FORBIDDEN error."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        f = filter or AuditLogFilter()
        query = audit_query(
            viewer=info.context.viewer,
            entity=f.entity,
            entity_global_id=f.entity_id,
            actor_global_id=f.actor_id,
            actor_label=f.actor_label,
        )
        return await paginate(
            query,
            first=first,
            after=after,
            build=lambda rows: [AuditEntry.from_model(r) for r in rows],
            count=wants_total_count(info),
        )
