"""The definitions of complementarity (DESIGN section 3), one candidate at a time.

Everything here is a pure function of aggregated rows: a centre's demand and supply per sector
(`CentreNeeds`) and a community's served areas and free places per sector (`Offer`). This is
the readable statement of the rules, tested with hand-computed numbers; `hub.matching.blocks`
computes the same answers for many kecamatan at once with NumPy, and is tested against it.

Reach weights are kept in quarters (4 = 1.0, 3 = 0.75, 2 = 0.5) so that comparing two
candidates of one centre is exact integer arithmetic: their scores share the denominator
`4 * G`, so ranking by score is ranking by `quarters * fill`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hub.regions import ancestor_codes, lies_in, parent_code


class Reach(StrEnum):
    """How close a community works to a kecamatan."""

    KECAMATAN = "KECAMATAN"
    KOTA = "KOTA"
    PROVINCE = "PROVINCE"
    ANYWHERE = "ANYWHERE"

    @property
    def quarters(self) -> int:
        return _QUARTERS[self]

    @property
    def weight(self) -> float:
        return self.quarters / 4


_QUARTERS = {Reach.KECAMATAN: 4, Reach.KOTA: 3, Reach.PROVINCE: 2, Reach.ANYWHERE: 2}


@dataclass(frozen=True, slots=True)
class SectorRef:
    """A sector as the matching reports it."""

    id: int
    code: str
    name: str
    name_en: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class KecamatanRef:
    """The kecamatan a centre serves (enough to place it and to show it)."""

    id: int
    code: str
    name: str = ""
    kota_id: int = 0
    lat: float | None = None
    lon: float | None = None

    @property
    def province_code(self) -> str:
        return ancestor_codes(self.code)[0]


@dataclass(frozen=True, slots=True)
class SectorNeed:
    """`demand`, `supply` and `gap` = max(0, demand - supply) of one centre in one sector;
    `waiting` (residents waitlisted or interested) is shown beside them and enters no formula."""

    sector: SectorRef
    demand: int
    supply: int
    waiting: int = 0

    @property
    def gap(self) -> int:
        return max(0, self.demand - self.supply)


@dataclass(frozen=True, slots=True)
class CentreNeeds:
    """A kecamatan's centre and its needs per sector, in sector order. No centre: no needs."""

    kecamatan: KecamatanRef
    centre_id: int | None
    sectors: tuple[SectorNeed, ...] = ()
    waiting: int = 0
    """Distinct residents waiting at the centre, all sectors together."""

    def gaps(self, sector_ids: frozenset[int] | None = None) -> dict[int, int]:
        """The positive gaps by sector id, only of `sector_ids` when given."""
        return {
            n.sector.id: n.gap
            for n in self.sectors
            if n.gap > 0 and (sector_ids is None or n.sector.id in sector_ids)
        }

    @property
    def demand(self) -> int:
        return sum(n.demand for n in self.sectors)

    @property
    def supply(self) -> int:
        return sum(n.supply for n in self.sectors)

    @property
    def gap(self) -> int:
        return sum(n.gap for n in self.sectors)

    def sector(self, sector_id: int) -> SectorRef:
        return next(n.sector for n in self.sectors if n.sector.id == sector_id)


@dataclass(frozen=True, slots=True)
class Offer:
    """A community as a candidate: the areas it serves (none: anywhere) and its free places."""

    community_id: int
    name: str
    area_codes: tuple[str, ...] = ()
    free: Mapping[int, int] = field(default_factory=dict)

    @property
    def order(self) -> tuple[str, str, int]:
        """Alphabetical order (A to Z), the last tie-break."""
        return (self.name.casefold(), self.name, self.community_id)


@dataclass(frozen=True, slots=True)
class SectorFill:
    """Per sector: the gap, the community's free places and how many of them fill the gap."""

    sector: SectorRef
    gap: int
    free: int
    filled: int


@dataclass(frozen=True, slots=True)
class Complement:
    """One community for one centre: reach, score, places filled and why, sector by sector."""

    community_id: int
    name: str
    reach: Reach
    score: float
    filled: int
    sectors: tuple[SectorFill, ...]


@dataclass(frozen=True, slots=True)
class Opportunity:
    """One kecamatan seen from a community: the figures its `complements` shows for that
    community (the same pair from the other side)."""

    kecamatan: KecamatanRef
    reach: Reach
    score: float
    filled: int
    sectors: tuple[SectorFill, ...]


@dataclass(frozen=True, slots=True)
class Coalition:
    """The greedy coalition: members in the order chosen, each with what it adds."""

    members: tuple[Complement, ...]
    gap: int
    covered: int

    @property
    def coverage(self) -> float:
        return coverage(self.covered, self.gap)


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One line of the coverage report."""

    kecamatan: KecamatanRef
    demand: int
    supply: int
    gap: int
    coalition_coverage: float
    waiting: int = 0


def reach(area_codes: Sequence[str], kecamatan_code: str) -> Reach | None:
    """How close a community serving `area_codes` works to the kecamatan: its kecamatan, else
    its kota or a region in it, else its province or a region in it, else (no areas at all)
    anywhere; None when it serves only other places."""
    if not area_codes:
        return Reach.ANYWHERE
    kota = parent_code(kecamatan_code)
    province = ancestor_codes(kecamatan_code)[0]
    found: Reach | None = None
    for area in area_codes:
        if area == kecamatan_code:
            return Reach.KECAMATAN
        if kota is not None and lies_in(area, kota):
            found = Reach.KOTA
        elif found is None and lies_in(area, province):
            found = Reach.PROVINCE
    return found


def fill(gaps: Mapping[int, int], free: Mapping[int, int]) -> int:
    """Σ_s min(gap_s, free_s): the places a community could fill."""
    return sum(min(gap, free.get(sector_id, 0)) for sector_id, gap in gaps.items())


def score(reach_: Reach, filled: int, total_gap: int) -> float:
    """reach * filled / G, in [0, 1]; 0 when nothing is missing."""
    return reach_.quarters * filled / (4 * total_gap) if total_gap else 0.0


def coverage(covered: int, total_gap: int) -> float:
    """covered / G; 1.0 when nothing is missing."""
    return covered / total_gap if total_gap else 1.0


def explain(
    needs: CentreNeeds, gaps: Mapping[int, int], offer: Offer
) -> tuple[int, tuple[SectorFill, ...]]:
    """Places filled and the per-sector figures of `offer` against `gaps` (the sectors are those
    of `gaps`, in the centre's sector order)."""
    rows = tuple(
        SectorFill(
            sector=need.sector,
            gap=gaps[need.sector.id],
            free=offer.free.get(need.sector.id, 0),
            filled=min(gaps[need.sector.id], offer.free.get(need.sector.id, 0)),
        )
        for need in needs.sectors
        if need.sector.id in gaps
    )
    return sum(r.filled for r in rows), rows


def assess(
    needs: CentreNeeds, offer: Offer, *, sector_ids: frozenset[int] | None = None
) -> Complement | None:
    """The complement `offer` makes to the centre on its own; None when it is no candidate."""
    reach_ = reach(offer.area_codes, needs.kecamatan.code)
    if reach_ is None:
        return None
    gaps = needs.gaps(sector_ids)
    filled, rows = explain(needs, gaps, offer)
    return Complement(
        community_id=offer.community_id,
        name=offer.name,
        reach=reach_,
        score=score(reach_, filled, sum(gaps.values())),
        filled=filled,
        sectors=rows,
    )


def rank_key(complement: Complement, offer: Offer) -> tuple[int, int, tuple[str, str, int]]:
    """Score (exactly: quarters * filled), then places filled, highest first; then name."""
    return (-complement.reach.quarters * complement.filled, -complement.filled, offer.order)


def complements(
    needs: CentreNeeds,
    offers: Iterable[Offer],
    *,
    first: int,
    sector_ids: frozenset[int] | None = None,
) -> list[Complement]:
    """The `first` best candidates, ranked by score, places filled, then name."""
    ranked = []
    for offer in offers:
        found = assess(needs, offer, sector_ids=sector_ids)
        if found is not None:
            ranked.append((rank_key(found, offer), found))
    ranked.sort(key=lambda pair: pair[0])
    return [c for _, c in ranked[:first]]


def opportunities(
    offer: Offer,
    needs: Iterable[CentreNeeds],
    *,
    first: int,
    sector_ids: frozenset[int] | None = None,
) -> list[Opportunity]:
    """The `first` kecamatan among `needs` where `offer` would fill most, each with the figures
    of `assess` (those of the kecamatan's complements): by score, then places filled, highest
    first, then kecamatan code. Kecamatan out of its reach are left out.

    Scores of different kecamatan have different denominators; as floats they are correctly
    rounded quotients of small integers, so equal scores compare equal and different ones keep
    their order."""
    keyed = []
    for n in needs:
        reach_ = reach(offer.area_codes, n.kecamatan.code)
        if reach_ is not None:
            gaps = n.gaps(sector_ids)
            filled = fill(gaps, offer.free)
            keyed.append((-score(reach_, filled, sum(gaps.values())), -filled, n.kecamatan.code, n))
    best = []
    for *_, n in heapq.nsmallest(first, keyed, key=lambda entry: entry[:3]):
        found = assess(n, offer, sector_ids=sector_ids)  # explained for the chosen only
        assert found is not None
        best.append(
            Opportunity(
                kecamatan=n.kecamatan,
                reach=found.reach,
                score=found.score,
                filled=found.filled,
                sectors=found.sectors,
            )
        )
    return best


def coalition(
    needs: CentreNeeds,
    offers: Iterable[Offer],
    *,
    max_communities: int,
    sector_ids: frozenset[int] | None = None,
) -> Coalition:
    """Greedy maximum coverage: repeatedly add the candidate with the largest
    reach * Σ_s min(remaining gap_s, free_s) until nothing is missing, nothing more helps or
    `max_communities` are in. Each member reports what it adds given the members before it;
    its `score` is its score on its own."""
    gaps = needs.gaps(sector_ids)
    total = sum(gaps.values())
    pool = sorted(
        (
            (offer, alone)
            for offer in offers
            if (alone := assess(needs, offer, sector_ids=sector_ids)) is not None
        ),
        key=lambda pair: pair[0].order,
    )
    remaining = dict(gaps)
    members: list[Complement] = []
    while len(members) < max_communities and sum(remaining.values()) > 0 and pool:
        best_index, best_key = 0, (-1, -1)
        for index, (offer, alone) in enumerate(pool):
            added = fill(remaining, offer.free)
            key = (alone.reach.quarters * added, added)
            if key > best_key:  # strictly: among equals the first, A to Z, stays
                best_index, best_key = index, key
        if best_key[0] <= 0:
            break
        offer, alone = pool.pop(best_index)
        added, rows = explain(needs, remaining, offer)
        members.append(
            Complement(
                community_id=offer.community_id,
                name=offer.name,
                reach=alone.reach,
                score=alone.score,
                filled=added,
                sectors=rows,
            )
        )
        for row in rows:
            remaining[row.sector.id] -= row.filled
    covered = total - sum(remaining.values())
    return Coalition(members=tuple(members), gap=total, covered=covered)


def coverage_row(
    needs: CentreNeeds, offers: Iterable[Offer], *, max_communities: int
) -> CoverageRow:
    """Demand, supply, gap and the coalition's coverage of one centre."""
    found = coalition(needs, offers, max_communities=max_communities)
    return CoverageRow(
        kecamatan=needs.kecamatan,
        demand=needs.demand,
        supply=needs.supply,
        gap=needs.gap,
        coalition_coverage=found.coverage,
        waiting=needs.waiting,
    )
