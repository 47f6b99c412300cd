"""The directory: sectors, centres, communities, mentors, their skills and the demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import CommunityKind

if TYPE_CHECKING:
    from models.plans import Allocation, PlanParty
    from models.regions import Region


class Sector(Model):
    """A field of business, identified by a stable code such as KULINER."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=80, description="Indonesian name")
    name_en = fields.CharField(max_length=80, description="English name")
    position = fields.IntField(default=0, description="Display order")

    class Meta:
        table = "sector"
        ordering = ["position", "code"]


class Centre(Model):
    """The OK OCE centre of one kecamatan."""

    id = fields.IntField(primary_key=True)
    kecamatan: fields.OneToOneRelation[Region] = fields.OneToOneField(
        "models.Region", related_name="centre", on_delete=fields.RESTRICT
    )
    kecamatan_id: int
    name = fields.CharField(max_length=160)
    address = fields.CharField(max_length=300, default="")
    contact_email = fields.CharField(max_length=254, null=True, description="Public contact")
    contact_phone = fields.CharField(max_length=20, null=True, description="Public contact")

    mentors: fields.ReverseRelation[Mentor]
    demands: fields.ReverseRelation[Demand]
    parties: fields.ReverseRelation[PlanParty]
    supplies: fields.ReverseRelation[CentreSupply]
    gap: fields.BackwardOneToOneRelation[CentreGap]

    class Meta:
        table = "centre"


class Community(Model):
    """A PGO member community that supplies mentors and runs trainings."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=160, unique=True)
    kind = fields.CharEnumField(CommunityKind, max_length=16)
    description = fields.TextField(default="")
    audiences: list[str] = fields.JSONField(default=list)
    member_count = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    sectors: fields.ReverseRelation[CommunitySector]
    areas: fields.ReverseRelation[CommunityArea]
    mentors: fields.ReverseRelation[Mentor]
    free_places: fields.ReverseRelation[CommunityFreePlaces]

    class Meta:
        table = "community"
        constraints = (
            CheckConstraint(
                check="member_count IS NULL OR member_count >= 0",
                name="community_member_count_ck",
            ),
        )


class CommunitySector(Model):
    """One sector a community works in."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="sectors", on_delete=fields.CASCADE
    )
    community_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="community_links", on_delete=fields.RESTRICT
    )
    sector_id: int

    class Meta:
        table = "community_sector"
        unique_together = (("community", "sector"),)


class CommunityArea(Model):
    """One area a community serves: a province, kota or kecamatan. No rows: anywhere."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="areas", on_delete=fields.CASCADE
    )
    community_id: int
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="community_areas", on_delete=fields.RESTRICT
    )
    region_id: int

    class Meta:
        table = "community_area"
        unique_together = (("community", "region"),)
        indexes = (("region_id",),)


class Mentor(Model):
    """A person who mentors entrepreneurs, for exactly one centre or one community."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=160)
    email = fields.CharField(max_length=254, null=True, description="Personal data")
    phone = fields.CharField(max_length=20, null=True, description="Personal data, E.164")
    centre: fields.ForeignKeyNullableRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="mentors", null=True, on_delete=fields.RESTRICT
    )
    centre_id: int | None
    community: fields.ForeignKeyNullableRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="mentors", null=True, on_delete=fields.RESTRICT
    )
    community_id: int | None
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    skills: fields.ReverseRelation[MentorSkill]
    allocations: fields.ReverseRelation[Allocation]

    class Meta:
        table = "mentor"
        indexes = (("centre_id",), ("community_id",), ("email",))
        constraints = (
            CheckConstraint(
                check="(centre_id IS NULL) <> (community_id IS NULL)",
                name="mentor_one_home_ck",
            ),
        )


class MentorSkill(Model):
    """A mentor's capacity in one sector: how many mentees at once."""

    id = fields.IntField(primary_key=True)
    mentor: fields.ForeignKeyRelation[Mentor] = fields.ForeignKeyField(
        "models.Mentor", related_name="skills", on_delete=fields.CASCADE
    )
    mentor_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="skills", on_delete=fields.RESTRICT
    )
    sector_id: int
    capacity = fields.IntField()

    class Meta:
        table = "mentor_skill"
        unique_together = (("mentor", "sector"),)
        constraints = (CheckConstraint(check="capacity >= 0", name="mentor_skill_capacity_ck"),)


class Demand(Model):
    """Entrepreneurs waiting for mentoring in one sector at one centre."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="demands", on_delete=fields.CASCADE
    )
    centre_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="demands", on_delete=fields.RESTRICT
    )
    sector_id: int
    demand = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "demand"
        unique_together = (("centre", "sector"),)
        constraints = (CheckConstraint(check="demand >= 0", name="demand_nonnegative_ck"),)


class CommunityFreePlaces(Model):
    """A community's free places in one sector, kept up to date by every write.

    The sum over its active mentors of max(0, capacity - mentees held by PROPOSED or ACTIVE plans).
    `hub.matching.places` holds the full computation it must always equal."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "models.Community", related_name="free_places", on_delete=fields.CASCADE
    )
    community_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="free_places", on_delete=fields.RESTRICT
    )
    sector_id: int
    free = fields.IntField(default=0)

    class Meta:
        table = "community_free_place"
        unique_together = (("community", "sector"),)


class CentreSupply(Model):
    """A centre's supply in one sector, kept up to date by every write.

    The capacity of its own active mentors plus the mentees that active community mentors are
    allocated by its ACTIVE plans (DESIGN section 3). `hub.matching.places` holds the full
    computation it must always equal."""

    id = fields.IntField(primary_key=True)
    centre: fields.ForeignKeyRelation[Centre] = fields.ForeignKeyField(
        "models.Centre", related_name="supplies", on_delete=fields.CASCADE
    )
    centre_id: int
    sector: fields.ForeignKeyRelation[Sector] = fields.ForeignKeyField(
        "models.Sector", related_name="supplies", on_delete=fields.RESTRICT
    )
    sector_id: int
    demand = fields.IntField(default=0, description="The demand row's figure, or 0")
    supply = fields.IntField(default=0)

    class Meta:
        table = "centre_supply"
        unique_together = (("centre", "sector"),)


class CentreGap(Model):
    """A centre's total gap over every sector, kept up to date by every write.

    Σ over its sectors of max(0, demand - supply) (DESIGN section 3's G), from the rows of
    `CentreSupply`."""

    id = fields.IntField(primary_key=True)
    centre: fields.OneToOneRelation[Centre] = fields.OneToOneField(
        "models.Centre", related_name="gap", on_delete=fields.CASCADE
    )
    centre_id: int
    gap = fields.IntField(default=0)

    class Meta:
        table = "centre_gap"


__all__ = [
    "Centre",
    "CentreGap",
    "CentreSupply",
    "Community",
    "CommunityArea",
    "CommunityFreePlaces",
    "CommunitySector",
    "Demand",
    "Mentor",
    "MentorSkill",
    "Sector",
]
