"""Queries of regions: kotas and kecamatan."""

from __future__ import annotations

import strawberry

from hub.directory import kecamatan_query, kotas
from models.enums import RegionLevel
from schema.common import Connection, paginate, wants_total_count
from schema.context import Info
from schema.prefetch import prefetch_connection, prefetch_list
from schema.regions.types import Kecamatan, Kota


@strawberry.input(description="Which kecamatan to list.")
class KecamatanFilter:
    kota_code: str | None = strawberry.field(
        default=None, description="Only those of this kota, e.g. `31.71`."
    )
    search: str | None = strawberry.field(
        default=None, description="Only those whose name contains this text."
    )


@strawberry.type
class RegionQueries:
    @strawberry.field(description="Jakarta's kota and kabupaten, by code.")
    async def kotas(self, info: Info) -> list[Kota]:
        return await prefetch_list([Kota.from_model(r) for r in await kotas()], info)

    @strawberry.field(description="One kota by its code, e.g. `31.71`.")
    async def kota(self, info: Info, code: str) -> Kota | None:
        row = await info.context.loaders.region_by_code.load(code)
        if row is None or row.level is not RegionLevel.KOTA:
            return None
        return (await prefetch_list([Kota.from_model(row)], info))[0]

    @strawberry.field(description="One kecamatan by its code, e.g. `31.71.01` (Gambir).")
    async def kecamatan(self, info: Info, code: str) -> Kecamatan | None:
        row = await info.context.loaders.region_by_code.load(code)
        if row is None or row.level is not RegionLevel.KECAMATAN:
            return None
        return (await prefetch_list([Kecamatan.from_model(row)], info))[0]

    @strawberry.field(
        description=(
            "Kecamatan by code; `first` at most 100."
            " Cost: `first` (20 when omitted) times the page sizes of the connections above it."
        )
    )
    async def kecamatans(
        self,
        info: Info,
        filter: KecamatanFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Kecamatan]:
        f = filter or KecamatanFilter()
        connection = await paginate(
            kecamatan_query(kota_code=f.kota_code, search=f.search),
            first=first,
            after=after,
            build=lambda rows: [Kecamatan.from_model(r) for r in rows],
            count=wants_total_count(info),
        )
        return await prefetch_connection(connection, info)
