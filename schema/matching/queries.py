"""Queries of the matching: the coverage report."""

from __future__ import annotations

import strawberry

from hub import matching
from schema.matching.types import CoverageRow


@strawberry.type
class MatchingQueries:
    @strawberry.field(
        description=(
            "Which kecamatan are under-served: for every kecamatan (or those of one kota, "
            "`kotaCode`, e.g. `31.71`), by code, its centre's demand, supply and gap, and how "
            "much of the gap its suggested coalition of at most `maxCommunities` communities "
            'would fill. `sectors` (codes, e.g. `["KULINER"]`) restricts demand, supply, gap '
            "and the coalition to those sectors; `waiting` counts every sector. Returned whole. "
            "Cost: 1,000; 100 with `kotaCode`."
        )
    )
    async def coverage(
        self,
        kota_code: str | None = None,
        max_communities: int | None = matching.DEFAULT_COALITION_SIZE,
        sectors: list[str] | None = None,
    ) -> list[CoverageRow]:
        size = matching.DEFAULT_COALITION_SIZE if max_communities is None else max_communities
        rows = await matching.coverage(
            kota_code=kota_code, max_communities=size, sector_codes=sectors
        )
        return [CoverageRow.from_result(r) for r in rows]
