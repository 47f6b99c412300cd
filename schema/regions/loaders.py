"""DataLoaders of regions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.queryset import QuerySet

from models.enums import RegionLevel
from models.regions import Region
from schema.loading import ModelByKeyLoader, ModelsByKeyLoader


class RegionByIdLoader(ModelByKeyLoader[Region]):
    model = Region


class RegionByCodeLoader(ModelByKeyLoader[Region]):
    model = Region
    key = "code"


class KecamatansByKotaIdLoader(ModelsByKeyLoader[Region]):
    model = Region
    key = "parent_id"
    ordering = ("code",)

    def query(self, keys: Sequence[Any]) -> QuerySet[Any]:
        return super().query(keys).filter(level=RegionLevel.KECAMATAN)
