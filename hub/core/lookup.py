"""Look-ups of what directory input refers to: sectors, regions, centres and communities.

One `Lookup` serves one operation (a mutation, or a whole CSV import): each code or name is
fetched once, in batches, so validating a thousand rows costs a handful of queries."""

from __future__ import annotations

from collections.abc import Iterable

from models.directory import Centre, Community, Sector
from models.enums import RegionLevel
from models.regions import Region

SERVED_AREA_LEVELS = (RegionLevel.PROVINCE, RegionLevel.KOTA, RegionLevel.KECAMATAN)
"""What a community may serve: a province, a kota or a kecamatan."""


class Lookup:
    """Cached look-ups for one operation."""

    def __init__(self) -> None:
        self._sectors: dict[str, Sector] | None = None
        self._regions: dict[str, Region | None] = {}
        self._centres: dict[str, Centre | None] = {}
        self._centres_by_id: dict[int, Centre] = {}
        self._communities: dict[str, Community | None] = {}
        self._communities_by_id: dict[int, Community | None] = {}

    async def sectors(self) -> dict[str, Sector]:
        """Every sector by code (a short, fixed list: loaded whole, once)."""
        if self._sectors is None:
            self._sectors = {s.code: s for s in await Sector.all()}
        return self._sectors

    async def sector_code(self, sector_id: int) -> str:
        by_id = {s.id: s.code for s in (await self.sectors()).values()}
        return by_id[sector_id]

    async def areas(self, codes: Iterable[str]) -> dict[str, Region]:
        """Regions a community may serve, by code; unknown codes and kelurahan are left out."""
        missing = [c for c in set(codes) if c not in self._regions]
        if missing:
            found = {
                r.code: r
                for r in await Region.filter(code__in=missing, level__in=SERVED_AREA_LEVELS)
            }
            self._regions.update({c: found.get(c) for c in missing})
        return {c: r for c in codes if (r := self._regions.get(c)) is not None}

    async def centres(self, kecamatan_codes: Iterable[str]) -> dict[str, Centre]:
        """Centres by the code of their kecamatan; codes without a centre are left out."""
        missing = [c for c in set(kecamatan_codes) if c not in self._centres]
        if missing:
            rows = await Centre.filter(kecamatan__code__in=missing).select_related("kecamatan")
            found = {c.kecamatan.code: c for c in rows}
            self._centres.update({c: found.get(c) for c in missing})
            self._centres_by_id.update({c.id: c for c in rows})
        return {c: r for c in kecamatan_codes if (r := self._centres.get(c)) is not None}

    async def centre_code(self, centre_id: int) -> str:
        """The kecamatan code of a centre."""
        if centre_id not in self._centres_by_id:
            centre = await Centre.get(id=centre_id).select_related("kecamatan")
            self._centres_by_id[centre_id] = centre
            self._centres[centre.kecamatan.code] = centre
        return self._centres_by_id[centre_id].kecamatan.code

    async def communities_named(self, names: Iterable[str]) -> dict[str, Community]:
        """Communities by exact name; unknown names are left out."""
        missing = [n for n in set(names) if n not in self._communities]
        if missing:
            found = {c.name: c for c in await Community.filter(name__in=missing)}
            self._communities.update({n: found.get(n) for n in missing})
            self._communities_by_id.update({c.id: c for c in found.values()})
        return {n: c for n in names if (c := self._communities.get(n)) is not None}

    async def community(self, community_id: int) -> Community | None:
        if community_id not in self._communities_by_id:
            community = await Community.get_or_none(id=community_id)
            self._communities_by_id[community_id] = community
            if community is not None:
                self._communities[community.name] = community
        return self._communities_by_id[community_id]
