"""Administrative regions: province, kota/kabupaten, kecamatan and kelurahan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import RegionLevel

if TYPE_CHECKING:
    from models.reports import KecamatanSnapshot


class Region(Model):
    """A Kemendagri region. Its code is hierarchical by prefix: 31, 31.71, 31.71.01."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    level = fields.CharEnumField(RegionLevel, max_length=12)
    name = fields.CharField(max_length=120, description="Short name shown to people")
    official_name = fields.CharField(max_length=160)
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    lat = fields.FloatField(null=True)
    lon = fields.FloatField(null=True)

    children: fields.ReverseRelation[Region]
    snapshots: fields.ReverseRelation[KecamatanSnapshot]

    class Meta:
        table = "region"
        indexes = (("level", "parent_id"),)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
