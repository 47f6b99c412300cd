"""GraphQL types of regions: kota and kecamatan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.regions import Region
from schema.common import Connection, load_nodes, slice_connection
from schema.context import Context, Info
from schema.enums import RegionLevel
from schema.prefetch import LAZY, fallback, ready

if TYPE_CHECKING:
    from schema.directory.types import Centre
    from schema.matching.types import Coalition, Complement, SectorNeed


@strawberry.type(description="A kota or kabupaten: one of Jakarta's six administrative cities.")
class Kota(relay.Node):
    pk: relay.NodeID[int]
    code: str = strawberry.field(description="Kemendagri code, e.g. `31.71`.")
    name: str = strawberry.field(description="Short name, e.g. `Jakarta Pusat`.")
    official_name: str = strawberry.field(
        description="Official name, e.g. `Kota Administrasi Jakarta Pusat`."
    )

    @classmethod
    def from_model(cls, region: Region) -> Kota:
        return cls(
            pk=region.id, code=region.code, name=region.name, official_name=region.official_name
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Kota | None]:
        return await load_nodes(
            info.context.loaders.region_by_id,
            node_ids,
            cls.from_model,
            accept=lambda r: r.level is RegionLevel.KOTA,
        )

    @strawberry.field(
        description=(
            "The kecamatan of this kota, by code."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    def kecamatans(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Kecamatan]:
        return ready(
            self,
            "kecamatans",
            lambda: self._kecamatans(info),
            lambda kecamatans: slice_connection(kecamatans, first=first, after=after),
        )

    async def _kecamatans(self, info: Info) -> list[Kecamatan]:
        rows = await info.context.loaders.kecamatans_by_kota_id.load(self.pk)
        return [Kecamatan.from_model(r) for r in rows]


@strawberry.type(
    description="A kecamatan (district): the area one OK OCE centre serves, e.g. Gambir."
)
class Kecamatan(relay.Node):
    pk: relay.NodeID[int]
    code: str = strawberry.field(description="Kemendagri code, e.g. `31.71.01`.")
    name: str = strawberry.field(description="Name, e.g. `Gambir`.")
    lat: float | None = strawberry.field(description="Latitude of its centroid.")
    lon: float | None = strawberry.field(description="Longitude of its centroid.")
    kota_id: strawberry.Private[int]
    kota: Kota = strawberry.field(default=LAZY, description="The kota it lies in.")
    centre: Annotated[Centre, strawberry.lazy("schema.directory.types")] | None = strawberry.field(
        default=LAZY, description="Its OK OCE centre."
    )

    @classmethod
    def from_model(cls, region: Region) -> Kecamatan:
        assert region.parent_id is not None
        return cls(
            pk=region.id,
            code=region.code,
            name=region.name,
            lat=region.lat,
            lon=region.lon,
            kota_id=region.parent_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Kecamatan | None]:
        return await load_nodes(
            info.context.loaders.region_by_id,
            node_ids,
            cls.from_model,
            accept=lambda r: r.level is RegionLevel.KECAMATAN,
        )

    @strawberry.field(
        description=(
            "What its centre is missing, sector by sector: entrepreneurs waiting (`demand`), "
            "mentee places on offer (`supply`) and places still missing (`gap`). Sectors with "
            "neither demand, supply nor waiting residents are left out."
        )
    )
    async def needs(
        self, info: Info
    ) -> list[Annotated[SectorNeed, strawberry.lazy("schema.matching.types")]]:
        from schema.matching.types import SectorNeed

        return SectorNeed.list_of(await info.context.loaders.matching.needs.load(self.pk))

    @strawberry.field(
        description=(
            "The communities that can best fill the places its centre is missing, best first: "
            "`first` of them (at most 100). A community's score is the share of all missing "
            "places it could fill on its own, counted fully when it serves this kecamatan, at "
            "0.75 when it serves elsewhere in the kota, at 0.5 when it serves elsewhere in the "
            "province or anywhere (see `Reach`). Equal scores go by places filled, then by "
            "name. `sectors` (codes such as `KULINER`) looks at those sectors only, the total "
            "missing included. Communities serving only other provinces are not listed; those "
            "with nothing free in the missing sectors come last, with score 0. Cost: 10 + "
            "`first`, times the page sizes of the connections above it."
        )
    )
    async def complements(
        self, info: Info, first: int | None = 5, sectors: list[str] | None = None
    ) -> list[Annotated[Complement, strawberry.lazy("schema.matching.types")]]:
        from schema.matching.loaders import ComplementsKey
        from schema.matching.types import Complement

        wanted = tuple(sectors) if sectors is not None else None
        key = ComplementsKey(self.pk, self.code, 5 if first is None else first, wanted)
        found = await info.context.loaders.matching.complements.load(key)
        return [Complement.from_result(c) for c in found]

    @strawberry.field(
        description=(
            "A suggested group of at most `maxCommunities` communities (at most 100) that "
            "together fill the most of its centre's missing places, picked one at a time: "
            "each time the community that adds the most to what is still missing, weighted by "
            "reach. A suggestion as if this centre were the only one asking; nothing is "
            "reserved. Cost: 25, times the page sizes of the connections above it."
        )
    )
    async def coalition(
        self, info: Info, max_communities: int | None = 5
    ) -> Annotated[Coalition, strawberry.lazy("schema.matching.types")]:
        from schema.matching.loaders import CoalitionKey
        from schema.matching.types import Coalition

        key = CoalitionKey(self.pk, self.code, 5 if max_communities is None else max_communities)
        return Coalition.from_result(await info.context.loaders.matching.coalition.load(key))


@fallback(Kecamatan, "kota")
async def _kecamatan_kota(kecamatan: Kecamatan, context: Context) -> Kota:
    region = await context.loaders.region_by_id.load(kecamatan.kota_id)
    assert region is not None
    return Kota.from_model(region)


@fallback(Kecamatan, "centre")
async def _kecamatan_centre(kecamatan: Kecamatan, context: Context) -> Centre | None:
    from schema.directory.types import Centre

    row = await context.loaders.centre_by_kecamatan_id.load(kecamatan.pk)
    return Centre.from_model(row) if row else None


@strawberry.type(description="A region a community serves: a province, a kota or a kecamatan.")
class Area:
    code: str = strawberry.field(description="Kemendagri code.")
    name: str = strawberry.field(description="Short name.")
    level: RegionLevel = strawberry.field(description="Province, kota or kecamatan.")

    @classmethod
    def from_model(cls, region: Region) -> Area:
        return cls(code=region.code, name=region.name, level=region.level)
