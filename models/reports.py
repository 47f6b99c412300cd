"""Daily snapshots of every kecamatan's figures, the ground of the monthly programme reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.regions import Region


class SnapshotDay(Model):
    """One row per day (Asia/Jakarta) whose snapshot was taken: the claim that makes the
    snapshot of a day happen once, however many workers race for it."""

    day: dt.date = fields.DateField(primary_key=True)
    kecamatans = fields.IntField(description="Kecamatan rows written for the day")
    taken_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "snapshot_day"


class KecamatanSnapshot(Model):
    """The figures of a kecamatan as its coverage row showed them on one day (Asia/Jakarta)."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField()
    kecamatan: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="snapshots", on_delete=fields.CASCADE
    )
    kecamatan_id: int
    demand = fields.IntField()
    supply = fields.IntField()
    gap = fields.IntField()
    waiting = fields.IntField()
    covered = fields.IntField(description="Places of the gap its suggested coalition would fill")
    coverage = fields.FloatField(description="covered / gap, or 1 when nothing is missing")

    class Meta:
        table = "kecamatan_snapshot"
        unique_together = (("kecamatan", "day"),)
        indexes = (("day",),)
