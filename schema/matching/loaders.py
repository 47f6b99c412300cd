"""DataLoaders of the matching: one batch per request, however many kecamatan ask.

`kecamatans(first: 100) { edges { node { needs {…} complements {…} coalition {…} } } }` loads
the sectors once, the needs of the hundred kecamatan in one batch and the candidates of their
provinces in one batch, and ranks them all together (`hub.matching.blocks`)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from hub import matching
from hub.core import HubError
from hub.regions import ancestor_codes

K = TypeVar("K", bound=Hashable)


class SectorCatalogue:
    """Every sector, read at most once per request."""

    def __init__(self) -> None:
        self._task: asyncio.Future[dict[int, matching.SectorRef]] | None = None

    async def get(self) -> dict[int, matching.SectorRef]:
        if self._task is None:
            self._task = asyncio.ensure_future(matching.sectors())
        return await self._task


class NeedsByKecamatanIdLoader(DataLoader[int, matching.CentreNeeds | None]):
    """Demand, supply and gap per sector of each kecamatan's centre."""

    def __init__(self, catalogue: SectorCatalogue) -> None:
        super().__init__(load_fn=self._load)
        self.catalogue = catalogue

    async def _load(self, keys: Sequence[int]) -> list[matching.CentreNeeds | None]:
        found = await matching.load_needs(
            matching.Scope(kecamatan_ids=list(keys)), await self.catalogue.get()
        )
        by_id = {n.kecamatan.id: n for n in found}
        return [by_id.get(k) for k in keys]


class OffersByProvinceCodeLoader(DataLoader[str, list[matching.Offer]]):
    """The candidate communities of each province, with their free places."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[str]) -> list[list[matching.Offer]]:
        found = await matching.load_offers(keys)
        return [found[k] for k in keys]


@dataclass(frozen=True)
class ComplementsKey:
    kecamatan_id: int
    kecamatan_code: str
    first: int
    sectors: tuple[str, ...] | None


@dataclass(frozen=True)
class OpportunitiesKey:
    community_id: int
    first: int
    sectors: tuple[str, ...] | None


@dataclass(frozen=True)
class CoalitionKey:
    kecamatan_id: int
    kecamatan_code: str
    max_communities: int


async def _inputs(
    needs: NeedsByKecamatanIdLoader,
    offers: OffersByProvinceCodeLoader,
    keys: Sequence[ComplementsKey | CoalitionKey],
) -> tuple[list[matching.CentreNeeds], dict[str, list[matching.Offer]]]:
    """The needs of the keys' kecamatan and the candidates of their provinces, loaded side by
    side (on PostgreSQL on two connections at once)."""
    ids = list(dict.fromkeys(k.kecamatan_id for k in keys))
    provinces = sorted({ancestor_codes(k.kecamatan_code)[0] for k in keys})
    loaded, candidates = await asyncio.gather(needs.load_many(ids), offers.load_many(provinces))
    found = [n for n in loaded if n is not None]
    return found, dict(zip(provinces, candidates, strict=True))


def _grouped(keys: Sequence[K], parameters: Any) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[parameters(key)].append(position)
    return groups


class ComplementsByKecamatanLoader(DataLoader[ComplementsKey, list[matching.Complement]]):
    """The ranked complements of each kecamatan, for each `first` and `sectors` asked."""

    def __init__(
        self,
        catalogue: SectorCatalogue,
        needs: NeedsByKecamatanIdLoader,
        offers: OffersByProvinceCodeLoader,
    ) -> None:
        super().__init__(load_fn=self._load)
        self.catalogue, self.needs, self.offers = catalogue, needs, offers

    async def _load(
        self, keys: Sequence[ComplementsKey]
    ) -> list[list[matching.Complement] | BaseException]:
        found, candidates = await _inputs(self.needs, self.offers, keys)
        by_id = {n.kecamatan.id: n for n in found}
        results: list[list[matching.Complement] | BaseException] = [[] for _ in keys]
        for (first, codes), positions in _grouped(keys, lambda k: (k.first, k.sectors)).items():
            try:
                matching.check_limit(first, field="first")
                only = (
                    matching.sector_ids(codes, await self.catalogue.get())
                    if codes is not None
                    else None
                )
            except HubError as error:
                for position in positions:
                    results[position] = error
                continue
            wanted = [
                by_id[keys[p].kecamatan_id] for p in positions if keys[p].kecamatan_id in by_id
            ]
            ranked = matching.rank_many(wanted, candidates, first=first, sector_ids=only)
            answers = {n.kecamatan.id: r for n, r in zip(wanted, ranked, strict=True)}
            for position in positions:
                results[position] = answers.get(keys[position].kecamatan_id, [])
        return results


class CoalitionByKecamatanLoader(DataLoader[CoalitionKey, matching.Coalition]):
    """The greedy coalition of each kecamatan, for each size limit asked."""

    def __init__(self, needs: NeedsByKecamatanIdLoader, offers: OffersByProvinceCodeLoader) -> None:
        super().__init__(load_fn=self._load)
        self.needs, self.offers = needs, offers

    async def _load(self, keys: Sequence[CoalitionKey]) -> list[matching.Coalition | BaseException]:
        found, candidates = await _inputs(self.needs, self.offers, keys)
        by_id = {n.kecamatan.id: n for n in found}
        empty = matching.Coalition(members=(), gap=0, covered=0)
        results: list[matching.Coalition | BaseException] = [empty for _ in keys]
        for size, positions in _grouped(keys, lambda k: k.max_communities).items():
            try:
                matching.check_limit(size, field="maxCommunities")
            except HubError as error:
                for position in positions:
                    results[position] = error
                continue
            wanted = [
                by_id[keys[p].kecamatan_id] for p in positions if keys[p].kecamatan_id in by_id
            ]
            built = matching.coalitions_many(wanted, candidates, max_communities=size)
            answers = {n.kecamatan.id: c for n, c in zip(wanted, built, strict=True)}
            for position in positions:
                results[position] = answers.get(keys[position].kecamatan_id, empty)
        return results


class OpportunitiesByCommunityLoader(DataLoader[OpportunitiesKey, list[matching.Opportunity]]):
    """The best kecamatan of each community, for each `first` and `sectors` asked: the
    communities of one request in one batch, ranked by the database in one statement per
    `sectors` asked, and only the kecamatan kept loaded and explained."""

    def __init__(self, catalogue: SectorCatalogue) -> None:
        super().__init__(load_fn=self._load)
        self.catalogue = catalogue

    async def _load(
        self, keys: Sequence[OpportunitiesKey]
    ) -> list[list[matching.Opportunity] | BaseException]:
        catalogue = await self.catalogue.get()
        offers = {
            o.community_id: o
            for o in await matching.load_communities(list({k.community_id for k in keys}))
        }
        results: list[list[matching.Opportunity] | BaseException] = [[] for _ in keys]
        asks: list[matching.OpportunityAsk] = []
        positions: list[int] = []
        for position, key in enumerate(keys):
            try:
                matching.check_limit(key.first, field="first")
                only = (
                    matching.sector_ids(key.sectors, catalogue) if key.sectors is not None else None
                )
            except HubError as error:
                results[position] = error
                continue
            offer = offers.get(key.community_id)
            if offer is not None and key.first:
                asks.append((offer, key.first, only))
                positions.append(position)
        answers = await matching.explained_opportunities(asks, catalogue) if asks else []
        for position, answer in zip(positions, answers, strict=True):
            results[position] = answer
        return results


@dataclass
class MatchingLoaders:
    """The matching's loaders of one request, sharing the sectors, needs and candidates."""

    catalogue: SectorCatalogue = field(default_factory=SectorCatalogue)
    offers: OffersByProvinceCodeLoader = field(default_factory=OffersByProvinceCodeLoader)
    needs: NeedsByKecamatanIdLoader = field(init=False)
    complements: ComplementsByKecamatanLoader = field(init=False)
    coalition: CoalitionByKecamatanLoader = field(init=False)
    opportunities: OpportunitiesByCommunityLoader = field(init=False)

    def __post_init__(self) -> None:
        self.opportunities = OpportunitiesByCommunityLoader(self.catalogue)
        self.needs = NeedsByKecamatanIdLoader(self.catalogue)
        self.complements = ComplementsByKecamatanLoader(self.catalogue, self.needs, self.offers)
        self.coalition = CoalitionByKecamatanLoader(self.needs, self.offers)
