"""The directory: regions, centres, communities and mentors, and the lists of them."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from hub.regions import ancestor_codes
from models.directory import Community, CommunityArea, Mentor, Sector
from models.enums import CommunityKind, RegionLevel
from models.regions import Region


def kecamatan_query(*, kota_code: str | None = None, search: str | None = None) -> QuerySet[Region]:
    """Kecamatan by code, optionally of one kota or matching a name."""
    query = Region.filter(level=RegionLevel.KECAMATAN)
    if kota_code:
        query = query.filter(parent__code=kota_code)
    if search and search.strip():
        query = query.filter(name__icontains=search.strip())
    return query.order_by("code")


def community_query(
    *,
    kind: CommunityKind | None = None,
    sector_code: str | None = None,
    area_code: str | None = None,
    include_anywhere: bool = True,
    search: str | None = None,
) -> QuerySet[Community]:
    """Communities by name. `area_code` keeps those serving that region: an area equal to it,
    containing it or lying in it, and (unless `include_anywhere` is false) those serving
    anywhere."""
    query = Community.all()
    if kind is not None:
        query = query.filter(kind=kind)
    if sector_code:
        query = query.filter(
            id__in=Subquery(Community.filter(sectors__sector__code=sector_code).values("id"))
        )
    if area_code:
        served = CommunityArea.filter(
            Q(region__code__in=ancestor_codes(area_code))
            | Q(region__code__startswith=f"{area_code}.")
        ).values("community_id")
        condition = Q(id__in=Subquery(served))
        if include_anywhere:
            condition |= ~Q(id__in=Subquery(CommunityArea.all().values("community_id")))
        query = query.filter(condition)
    if search and search.strip():
        query = query.filter(name__icontains=search.strip())
    return query.order_by("name", "id")


def mentor_query(
    *,
    centre_kecamatan_code: str | None = None,
    community_id: int | None = None,
    sector_code: str | None = None,
    active: bool | None = None,
    search: str | None = None,
) -> QuerySet[Mentor]:
    """Mentors by name, optionally of one centre or community, in a sector, active or not."""
    query = Mentor.all()
    if centre_kecamatan_code:
        query = query.filter(centre__kecamatan__code=centre_kecamatan_code)
    if community_id is not None:
        query = query.filter(community_id=community_id)
    if sector_code:
        query = query.filter(
            id__in=Subquery(Mentor.filter(skills__sector__code=sector_code).values("id"))
        )
    if active is not None:
        query = query.filter(active=active)
    if search and search.strip():
        query = query.filter(name__icontains=search.strip())
    return query.order_by("name", "id")


async def kotas() -> list[Region]:
    """Every kota and kabupaten, by code."""
    return await Region.filter(level=RegionLevel.KOTA).order_by("code")


async def sectors() -> list[Sector]:
    """Every sector, in display order."""
    return await Sector.all().order_by("position", "code")
