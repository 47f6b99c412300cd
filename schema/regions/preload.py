"""Planned loading of regions' fields (see schema/prefetch.py): one query per level."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from models.directory import Centre as CentreRow
from models.enums import RegionLevel
from models.regions import Region
from schema.context import Info
from schema.prefetch import attach, preloads
from schema.regions.types import Kecamatan, Kota


@preloads(Kota, "kecamatans", connection=True)
async def kota_kecamatans(kotas: list[Kota], info: Info) -> list[Kecamatan]:
    rows = await Region.filter(
        parent_id__in=[k.pk for k in kotas], level=RegionLevel.KECAMATAN
    ).order_by("code")
    kecamatans = [Kecamatan.from_model(row) for row in rows]
    groups: dict[int, list[Kecamatan]] = defaultdict(list)
    for kecamatan in kecamatans:
        groups[kecamatan.kota_id].append(kecamatan)
    for kota in kotas:
        attach(kota, "kecamatans", groups.get(kota.pk, []))
    return kecamatans


@preloads(Kecamatan, "kota")
async def kecamatan_kota(kecamatans: list[Kecamatan], info: Info) -> list[Kota]:
    rows = await Region.filter(id__in={k.kota_id for k in kecamatans})
    kotas = {row.id: Kota.from_model(row) for row in rows}
    for kecamatan in kecamatans:
        attach(kecamatan, "kota", kotas[kecamatan.kota_id])
    return list(kotas.values())


@preloads(Kecamatan, "centre")
async def kecamatan_centre(kecamatans: list[Kecamatan], info: Info) -> list[Any]:
    from schema.directory.types import Centre

    rows = await CentreRow.filter(kecamatan_id__in=[k.pk for k in kecamatans])
    centres = {row.kecamatan_id: Centre.from_model(row) for row in rows}
    for kecamatan in kecamatans:
        attach(kecamatan, "centre", centres.get(kecamatan.pk))
    return list(centres.values())
