"""DataLoaders of the directory: centres, communities, mentors, skills, sectors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader
from tortoise.functions import Sum

from models.directory import (
    Centre,
    Community,
    CommunityArea,
    CommunitySector,
    Mentor,
    MentorSkill,
    Sector,
)
from models.enums import OPEN_PLAN_STATUSES
from models.plans import Allocation
from schema.loading import ModelByKeyLoader, ModelsByKeyLoader


class SectorByIdLoader(ModelByKeyLoader[Sector]):
    model = Sector


class CentreByIdLoader(ModelByKeyLoader[Centre]):
    model = Centre


class CentreByKecamatanIdLoader(ModelByKeyLoader[Centre]):
    model = Centre
    key = "kecamatan_id"


class CommunityByIdLoader(ModelByKeyLoader[Community]):
    model = Community


class MentorByIdLoader(ModelByKeyLoader[Mentor]):
    model = Mentor


class MentorsByCentreIdLoader(ModelsByKeyLoader[Mentor]):
    model = Mentor
    key = "centre_id"
    ordering = ("name", "id")


class MentorsByCommunityIdLoader(ModelsByKeyLoader[Mentor]):
    model = Mentor
    key = "community_id"
    ordering = ("name", "id")


class SkillsByMentorIdLoader(ModelsByKeyLoader[MentorSkill]):
    model = MentorSkill
    key = "mentor_id"
    ordering = ("sector_id",)


class SectorLinksByCommunityIdLoader(ModelsByKeyLoader[CommunitySector]):
    model = CommunitySector
    key = "community_id"
    ordering = ("sector_id",)


class AreasByCommunityIdLoader(ModelsByKeyLoader[CommunityArea]):
    """A community's served areas, with their regions."""

    model = CommunityArea
    key = "community_id"
    ordering = ("region__code",)

    def query(self, keys: Sequence[int]):  # type: ignore[no-untyped-def]
        return super().query(keys).select_related("region")


class AllocatedByMentorIdLoader(DataLoader[int, dict[int, int]]):
    """Mentees allocated to each mentor by PROPOSED or ACTIVE plans, per sector id."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[dict[int, int]]:
        rows = (
            await Allocation.filter(mentor_id__in=keys, plan__status__in=OPEN_PLAN_STATUSES)
            .annotate(total=Sum("mentees"))
            .group_by("mentor_id", "sector_id")
            .values("mentor_id", "sector_id", "total")
        )
        allocated: dict[int, dict[int, int]] = defaultdict(dict)
        for row in rows:
            allocated[row["mentor_id"]][row["sector_id"]] = int(row["total"] or 0)
        return [allocated.get(k, {}) for k in keys]
