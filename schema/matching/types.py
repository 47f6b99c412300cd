"""GraphQL types of the matching: needs, complements, opportunities, coalitions and the coverage
report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from hub import matching
from schema.context import Info
from schema.directory.types import Community, Sector

if TYPE_CHECKING:
    from schema.regions.types import Kecamatan

Reach = strawberry.enum(
    matching.Reach,
    name="Reach",
    description=(
        "How close a community works to a kecamatan, from the areas it says it serves. "
        "KECAMATAN: it serves this very kecamatan (counts fully, weight 1). KOTA: it serves "
        "the kecamatan's kota or another place in that kota (weight 0.75). PROVINCE: it "
        "serves the province or another place in it (weight 0.5). ANYWHERE: it lists no "
        "areas and works anywhere (weight 0.5). Communities that serve only other provinces "
        "are not candidates."
    ),
)


def _sector(ref: matching.SectorRef) -> Sector:
    return Sector(code=ref.code, name=ref.name, name_en=ref.name_en)


@strawberry.type(
    description=(
        "One sector of a centre: entrepreneurs waiting, places on offer, and places missing."
    )
)
class SectorNeed:
    sector: Sector = strawberry.field(description="The sector.")
    demand: int = strawberry.field(
        description="Entrepreneurs waiting for mentoring in this sector, as the centre set it."
    )
    supply: int = strawberry.field(
        description=(
            "Mentee places on offer: the capacity of the centre's own active mentors, plus the "
            "mentees community mentors take on in the centre's active joint plans."
        )
    )
    gap: int = strawberry.field(description="Places missing: demand minus supply, never below 0.")
    waiting: int = strawberry.field(
        description=(
            "Residents who revealed the demand: distinct people waitlisted for the centre's "
            "upcoming trainings in this sector, or who expressed interest here in the last 90 "
            "days. Shown beside `demand`; it enters no formula."
        )
    )

    @classmethod
    def list_of(cls, needs: matching.CentreNeeds | None) -> list[SectorNeed]:
        if needs is None:
            return []
        return [
            cls(
                sector=_sector(n.sector),
                demand=n.demand,
                supply=n.supply,
                gap=n.gap,
                waiting=n.waiting,
            )
            for n in needs.sectors
        ]


@strawberry.type(
    description=(
        "One sector of a complement: the places missing there, the community's free places, "
        "and how many of them fill the gap (the smaller of the two)."
    )
)
class SectorFill:
    sector: Sector = strawberry.field(description="The sector.")
    gap: int = strawberry.field(
        description=(
            "Places missing in this sector. In a coalition: what the members before this one "
            "left missing."
        )
    )
    free: int = strawberry.field(
        description=(
            "Places the community's active mentors have free in this sector: their capacity "
            "minus the mentees they already have in proposed or active plans."
        )
    )
    filled: int = strawberry.field(
        description="Missing places the community can fill here: the smaller of gap and free."
    )


@strawberry.type(
    description=(
        "A community that can help a centre: how close it works (`reach`), how many of the "
        "centre's missing places it can fill (`filled`), its `score`, and the figures per "
        "missing sector that explain them."
    )
)
class Complement:
    score: float = strawberry.field(
        description=(
            "The share of all the centre's missing places this community could fill on its "
            "own, weighted by how close it works: its reach weight (1, 0.75 or 0.5) times the "
            "places it can fill, divided by all the places missing. From 0 to 1. Example: a "
            "community of the same kota (0.75) that can fill 12 of 21 missing places scores "
            "0.75 * 12 / 21 = 0.43. "
            "0 when nothing is missing. In a coalition, still its score on its own."
        )
    )
    reach: Reach = strawberry.field(  # type: ignore[valid-type]
        description="How close the community works to the kecamatan."
    )
    filled: int = strawberry.field(
        description=(
            "Missing places the community can fill, all sectors together. In a coalition: the "
            "places it adds to those the members before it already fill."
        )
    )
    sectors: list[SectorFill] = strawberry.field(
        description="Every sector with places missing (within `sectors`, when given), in order."
    )
    community_id: strawberry.Private[int]

    @strawberry.field(description="The community.")
    async def community(self, info: Info) -> Community:
        row = await info.context.loaders.community_by_id.load(self.community_id)
        assert row is not None, f"community {self.community_id} vanished"
        return Community.from_model(row)

    @classmethod
    def from_result(cls, found: matching.Complement) -> Complement:
        return cls(
            score=found.score,
            reach=found.reach,
            filled=found.filled,
            sectors=[
                SectorFill(sector=_sector(s.sector), gap=s.gap, free=s.free, filled=s.filled)
                for s in found.sectors
            ],
            community_id=found.community_id,
        )


@strawberry.type(
    description=(
        "A kecamatan where a community is needed, seen from the community: how close it works "
        "there (`reach`), how many of the centre's missing places it can fill (`filled`), its "
        "`score`, and the figures per missing sector. Exactly what the kecamatan's "
        "`complements` shows for this community."
    )
)
class Opportunity:
    kecamatan: Annotated[Kecamatan, strawberry.lazy("schema.regions.types")] = strawberry.field(
        description="The kecamatan."
    )
    score: float = strawberry.field(
        description=(
            "The share of all the centre's missing places this community could fill on its "
            "own, weighted by reach (1, 0.75 or 0.5), from 0 to 1; 0 when nothing is missing."
        )
    )
    reach: Reach = strawberry.field(  # type: ignore[valid-type]
        description="How close the community works to the kecamatan."
    )
    filled: int = strawberry.field(
        description="Missing places of the centre the community can fill, all sectors together."
    )
    sectors: list[SectorFill] = strawberry.field(
        description="Every sector with places missing (within `sectors`, when given), in order."
    )

    @classmethod
    def from_result(cls, found: matching.Opportunity) -> Opportunity:
        from schema.regions.types import Kecamatan

        k = found.kecamatan
        return cls(
            kecamatan=Kecamatan(
                pk=k.id, code=k.code, name=k.name, lat=k.lat, lon=k.lon, kota_id=k.kota_id
            ),
            score=found.score,
            reach=found.reach,
            filled=found.filled,
            sectors=[
                SectorFill(sector=_sector(s.sector), gap=s.gap, free=s.free, filled=s.filled)
                for s in found.sectors
            ],
        )


@strawberry.type(
    description=(
        "A suggested group of communities that together fill as many of the centre's missing "
        "places as possible. They are picked one at a time: first the community that fills "
        "the most (weighted by reach, as in the score), then the one that adds the most to "
        "what is still missing, and so on, until nothing is missing, nobody adds anything, or "
        "the group is full. It shows what is possible if this centre were the only one "
        "asking; nothing is reserved."
    )
)
class Coalition:
    members: list[Complement] = strawberry.field(
        description=(
            "The communities in the order they were picked; `filled` and `sectors` show what "
            "each adds given those before it, `score` its score on its own."
        )
    )
    gap: int = strawberry.field(description="Places missing before the coalition, all sectors.")
    covered: int = strawberry.field(description="Missing places the coalition fills together.")
    coverage: float = strawberry.field(
        description="covered ÷ gap, from 0 to 1; 1 when nothing is missing."
    )

    @classmethod
    def from_result(cls, found: matching.Coalition) -> Coalition:
        return cls(
            members=[Complement.from_result(m) for m in found.members],
            gap=found.gap,
            covered=found.covered,
            coverage=found.coverage,
        )


@strawberry.type(description="One kecamatan in the coverage report.")
class CoverageRow:
    kecamatan: Annotated[Kecamatan, strawberry.lazy("schema.regions.types")] = strawberry.field(
        description="The kecamatan."
    )
    demand: int = strawberry.field(
        description=(
            "Entrepreneurs waiting for mentoring at its centre, all sectors together (those of "
            "`coverage(sectors:)` when given)."
        )
    )
    supply: int = strawberry.field(
        description=(
            "Places its centre's own mentors and its active joint plans offer, all sectors "
            "(those of `coverage(sectors:)` when given)."
        )
    )
    gap: int = strawberry.field(
        description=(
            "Places missing, summed over sectors (spare places in one sector do not make up "
            "for missing ones in another)."
        )
    )
    coalition_coverage: float = strawberry.field(
        description=(
            "The share of the gap its suggested coalition would fill (see "
            "`Kecamatan.coalition`); 1 when nothing is missing. Low values mark the "
            "under-served kecamatan."
        )
    )
    waiting: int = strawberry.field(
        description=(
            "Distinct residents waitlisted for its centre's upcoming trainings or interested "
            "there in the last 90 days, all sectors together (a person counts once)."
        )
    )

    @classmethod
    def from_result(cls, row: matching.CoverageRow) -> CoverageRow:
        from schema.regions.types import Kecamatan

        k = row.kecamatan
        return cls(
            kecamatan=Kecamatan(
                pk=k.id, code=k.code, name=k.name, lat=k.lat, lon=k.lon, kota_id=k.kota_id
            ),
            demand=row.demand,
            supply=row.supply,
            gap=row.gap,
            coalition_coverage=row.coalition_coverage,
            waiting=row.waiting,
        )
