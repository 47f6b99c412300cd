"""Which communities complement each kecamatan: complements, coalitions and coverage.

DESIGN section 3, in three parts:

- `hub.matching.scoring`: the definitions (reach, fill, score, ranking, greedy coalition) as
  pure functions of aggregated rows, one candidate at a time;
- `hub.matching.blocks`: the same answers for many kecamatan at once, vectorised with NumPy
  per province (what the API and the coverage report run);
- `hub.matching.loading`: the aggregated rows, in a constant number of SQL statements.

The services below load and answer in one call (the coverage report, scripts, benchmarks); the
GraphQL layer composes the same steps through per-request DataLoaders so that one request for a
hundred kecamatan still loads once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hub.core import Invalid, NotFound
from hub.matching.blocks import coalitions_many, coverage_many, rank_many
from hub.matching.loading import (
    Scope,
    kota_id,
    load_communities,
    load_needs,
    load_offers,
    needs_of_kecamatan_sql,
    rank_reach,
    sector_ids,
    sectors,
)
from hub.matching.scoring import (
    CentreNeeds,
    Coalition,
    Complement,
    CoverageRow,
    KecamatanRef,
    Offer,
    Opportunity,
    Reach,
    SectorFill,
    SectorNeed,
    SectorRef,
    assess,
)
from hub.matching.scoring import opportunities as rank_opportunities

DEFAULT_COMPLEMENTS = 5
DEFAULT_COALITION_SIZE = 5
MAX_LIMIT = 100


def check_limit(value: int, *, field: str) -> int:
    """`first` and `maxCommunities` lie between 0 and 100."""
    if not 0 <= value <= MAX_LIMIT:
        raise Invalid(f"{field} must be between 0 and {MAX_LIMIT}, not {value}", field=[field])
    return value


async def needs(*, kecamatan_ids: Sequence[int]) -> list[CentreNeeds]:
    """Demand, supply and gap per sector of the centres of these kecamatan (by code)."""
    return await load_needs(Scope(kecamatan_ids=kecamatan_ids), await sectors())


async def complements(
    *,
    kecamatan_ids: Sequence[int],
    first: int = DEFAULT_COMPLEMENTS,
    sector_codes: Sequence[str] | None = None,
) -> dict[int, list[Complement]]:
    """The `first` best complements of each kecamatan, optionally only for some sectors."""
    check_limit(first, field="first")
    catalogue = await sectors()
    only = sector_ids(sector_codes, catalogue) if sector_codes is not None else None
    found = await load_needs(Scope(kecamatan_ids=kecamatan_ids), catalogue)
    offers = await load_offers({n.kecamatan.province_code for n in found})
    ranked = rank_many(found, offers, first=first, sector_ids=only)
    return {n.kecamatan.id: r for n, r in zip(found, ranked, strict=True)}


def reach_scope(offers: Sequence[Offer]) -> Scope:
    """The kecamatan that may lie in the reach of `offers`: those of the provinces they serve
    in, or every kecamatan when one of them serves anywhere."""
    if any(not o.area_codes for o in offers):
        return Scope()
    return Scope(province_codes={a.split(".")[0] for o in offers for a in o.area_codes})


OpportunityAsk = tuple[Offer, int, frozenset[int] | None]
"""One community's question: its offer, `first` and the sectors (None: all)."""


async def explained_opportunities(
    asks: Sequence[OpportunityAsk], catalogue: dict[int, SectorRef]
) -> list[list[Opportunity]]:
    """The answers to `asks`, in their order. The database ranks every kecamatan in reach
    (one statement per distinct `sectors`, `loading.rank_reach`); only the kecamatan kept are
    loaded and explained, by the same `assess` as their complements: the figures agree."""
    groups: dict[frozenset[int] | None, list[OpportunityAsk]] = {}
    for ask in asks:
        groups.setdefault(ask[2], []).append(ask)
    ranked: dict[tuple[frozenset[int] | None, int], list[int]] = {}
    for only, grouped in groups.items():
        offers = list({a[0].community_id: a[0] for a in grouped}.values())
        found = await rank_reach(offers, first=max(a[1] for a in grouped), sector_ids=only)
        ranked.update({(only, c): ids for c, ids in found.items()})
    wanted = sorted({k for ids in ranked.values() for k in ids})
    needs = (
        {
            n.kecamatan.id: n
            for n in await load_needs(Scope(kecamatan_ids=wanted), catalogue, waiting=False)
        }
        if wanted
        else {}
    )
    answers: list[list[Opportunity]] = []
    for offer, first, only in asks:
        explained_ones: list[Opportunity] = []
        for kecamatan_id in ranked[(only, offer.community_id)][:first]:
            explained = assess(needs[kecamatan_id], offer, sector_ids=only)
            assert explained is not None  # ranked within its reach
            explained_ones.append(
                Opportunity(
                    kecamatan=needs[kecamatan_id].kecamatan,
                    reach=explained.reach,
                    score=explained.score,
                    filled=explained.filled,
                    sectors=explained.sectors,
                )
            )
        answers.append(explained_ones)
    return answers


async def opportunities(
    *,
    community_ids: Sequence[int],
    first: int = DEFAULT_COMPLEMENTS,
    sector_codes: Sequence[str] | None = None,
) -> dict[int, list[Opportunity]]:
    """For each community, the `first` kecamatan in its reach where its free places would fill
    most, with the figures each kecamatan's `complements` shows for it. Five statements,
    whatever the number of communities and of kecamatan in their reach."""
    check_limit(first, field="first")
    catalogue = await sectors()
    only = sector_ids(sector_codes, catalogue) if sector_codes is not None else None
    offers = await load_communities(community_ids)
    answers = await explained_opportunities([(o, first, only) for o in offers], catalogue)
    return {o.community_id: a for o, a in zip(offers, answers, strict=True)}


async def coalitions(
    *, kecamatan_ids: Sequence[int], max_communities: int = DEFAULT_COALITION_SIZE
) -> dict[int, Coalition]:
    """The greedy coalition of each kecamatan."""
    check_limit(max_communities, field="maxCommunities")
    found = await load_needs(Scope(kecamatan_ids=kecamatan_ids), await sectors())
    offers = await load_offers({n.kecamatan.province_code for n in found})
    built = coalitions_many(found, offers, max_communities=max_communities)
    return {n.kecamatan.id: c for n, c in zip(found, built, strict=True)}


async def coverage(
    *,
    kota_code: str | None = None,
    max_communities: int = DEFAULT_COALITION_SIZE,
    sector_codes: Sequence[str] | None = None,
) -> list[CoverageRow]:
    """For every kecamatan (or those of one kota), by code: demand, supply and gap of its
    centre, and how much of the gap its coalition would cover. Six statements at most. With
    `sector_codes`, demand, supply, gap and the coalition count those sectors only (section 3's
    filter); `waiting` stays the centre's, all sectors together."""
    check_limit(max_communities, field="maxCommunities")
    catalogue = await sectors()
    only = sector_ids(sector_codes, catalogue) if sector_codes is not None else None
    scope = Scope()
    if kota_code is not None:
        found_kota = await kota_id(kota_code)
        if found_kota is None:
            raise NotFound(f"no kota has the code {kota_code!r}", field=["kotaCode"])
        scope = Scope(kota_id=found_kota)
    found = await load_needs(scope, catalogue)
    if only is not None:
        found = [
            replace(n, sectors=tuple(s for s in n.sectors if s.sector.id in only)) for n in found
        ]
    provinces = {n.kecamatan.province_code for n in found}
    offers = await load_offers(provinces, whole_country=kota_code is None)
    return coverage_many(found, offers, max_communities=max_communities)


__all__ = [
    "DEFAULT_COALITION_SIZE",
    "DEFAULT_COMPLEMENTS",
    "MAX_LIMIT",
    "CentreNeeds",
    "Coalition",
    "Complement",
    "CoverageRow",
    "KecamatanRef",
    "Offer",
    "Opportunity",
    "OpportunityAsk",
    "Reach",
    "Scope",
    "SectorFill",
    "SectorNeed",
    "SectorRef",
    "check_limit",
    "coalitions",
    "coalitions_many",
    "complements",
    "coverage",
    "coverage_many",
    "explained_opportunities",
    "load_communities",
    "load_needs",
    "load_offers",
    "needs",
    "needs_of_kecamatan_sql",
    "opportunities",
    "rank_many",
    "rank_opportunities",
    "reach_scope",
    "sector_ids",
    "sectors",
]
