"""Queries of the programme reports."""

from __future__ import annotations

import strawberry

from hub import reports
from schema.context import Info
from schema.reports.types import Report


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description=(
            "The monthly programme report: per kecamatan (of one kota with `kotaCode`, e.g. "
            "`31.71`), the month's first and last snapshot figures and its plans, trainings, "
            "registrations and places added, with a total. `month` is `YYYY-MM` in Asia/Jakarta "
            "time. Admins and centre staff only (others: FORBIDDEN). Cost: 1,000."
        )
    )
    async def report(self, info: Info, month: str, kota_code: str | None = None) -> Report:
        found = await reports.report(viewer=info.context.viewer, month=month, kota_code=kota_code)
        return Report.from_result(found)
