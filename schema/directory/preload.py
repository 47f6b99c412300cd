"""Planned loading of the directory's fields (see schema/prefetch.py): one query per level."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from models import directory as m
from models.enums import OPEN_PLAN_STATUSES
from models.plans import Allocation
from schema.context import Info
from schema.directory.types import Centre, Community, Mentor, MentorSkill, Sector
from schema.prefetch import attach, preloads


async def _sectors_by_id(info: Info, ids: list[int]) -> dict[int, Sector]:
    rows = await info.context.loaders.sector_by_id.load_many(sorted(set(ids)))
    return {row.id: Sector.from_model(row) for row in rows if row is not None}


@preloads(Centre, "mentors", connection=True)
async def centre_mentors(centres: list[Centre], info: Info) -> list[Mentor]:
    rows = await m.Mentor.filter(centre_id__in=[c.pk for c in centres]).order_by("name", "id")
    mentors = [Mentor.from_model(row) for row in rows]
    groups: dict[int, list[Mentor]] = defaultdict(list)
    for mentor in mentors:
        groups[mentor.row.centre_id or 0].append(mentor)
    for centre in centres:
        attach(centre, "mentors", groups.get(centre.pk, []))
    return mentors


@preloads(Community, "mentors", connection=True)
async def community_mentors(communities: list[Community], info: Info) -> list[Mentor]:
    ids = [c.pk for c in communities]
    rows = await m.Mentor.filter(community_id__in=ids).order_by("name", "id")
    mentors = [Mentor.from_model(row) for row in rows]
    groups: dict[int, list[Mentor]] = defaultdict(list)
    for mentor in mentors:
        groups[mentor.row.community_id or 0].append(mentor)
    for community in communities:
        attach(community, "mentors", groups.get(community.pk, []))
    return mentors


@preloads(Community, "sectors")
async def community_sectors(communities: list[Community], info: Info) -> list[Sector]:
    links = await m.CommunitySector.filter(community_id__in=[c.pk for c in communities]).order_by(
        "sector_id"
    )
    sectors = await _sectors_by_id(info, [link.sector_id for link in links])
    groups: dict[int, list[Sector]] = defaultdict(list)
    for link in links:
        groups[link.community_id].append(sectors[link.sector_id])
    for community in communities:
        attach(community, "sectors", groups.get(community.pk, []))
    return list(sectors.values())


async def _community_areas(communities: list[Community], info: Info) -> list[Any]:
    from schema.regions.types import Area

    links = (
        await m.CommunityArea.filter(community_id__in=[c.pk for c in communities])
        .select_related("region")
        .order_by("region__code")
    )
    groups: dict[int, list[Area]] = defaultdict(list)
    for link in links:
        groups[link.community_id].append(Area.from_model(link.region))
    for community in communities:
        attach(community, "areas", groups.get(community.pk, []))
    return []


preloads(Community, "areas")(_community_areas)
preloads(Community, "servesAnywhere")(_community_areas)


@preloads(Mentor, "skills")
async def mentor_skills(mentors: list[Mentor], info: Info) -> list[MentorSkill]:
    ids = [mentor.pk for mentor in mentors]
    skills = await m.MentorSkill.filter(mentor_id__in=ids).order_by("sector_id")
    allocated: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for allocation in await Allocation.filter(
        mentor_id__in=ids, plan__status__in=OPEN_PLAN_STATUSES
    ).only("mentor_id", "sector_id", "mentees"):
        allocated[allocation.mentor_id][allocation.sector_id] += allocation.mentees
    by_mentor: dict[int, list[m.MentorSkill]] = defaultdict(list)
    for skill in skills:
        by_mentor[skill.mentor_id].append(skill)
    children: list[MentorSkill] = []
    for mentor in mentors:
        own = MentorSkill.of(by_mentor.get(mentor.pk, []), allocated.get(mentor.pk, {}))
        attach(mentor, "skills", own)
        children += own
    return children


@preloads(MentorSkill, "sector")
async def skill_sector(skills: list[MentorSkill], info: Info) -> list[Sector]:
    sectors = await _sectors_by_id(info, [s.sector_id for s in skills])
    for skill in skills:
        attach(skill, "sector", sectors[skill.sector_id])
    return list(sectors.values())


@preloads(Mentor, "centre")
async def mentor_centre(mentors: list[Mentor], info: Info) -> list[Centre]:
    ids = {mentor.row.centre_id for mentor in mentors if mentor.row.centre_id is not None}
    centres = {row.id: Centre.from_model(row) for row in await m.Centre.filter(id__in=ids)}
    for mentor in mentors:
        attach(mentor, "centre", centres.get(mentor.row.centre_id or 0))
    return list(centres.values())


@preloads(Mentor, "community")
async def mentor_community(mentors: list[Mentor], info: Info) -> list[Community]:
    ids = {mentor.row.community_id for mentor in mentors if mentor.row.community_id is not None}
    found = await m.Community.filter(id__in=ids)
    communities = {row.id: Community.from_model(row) for row in found}
    for mentor in mentors:
        attach(mentor, "community", communities.get(mentor.row.community_id or 0))
    return list(communities.values())


@preloads(Centre, "kecamatan")
async def centre_kecamatan(centres: list[Centre], info: Info) -> list[Any]:
    from models.regions import Region
    from schema.regions.types import Kecamatan

    regions = await Region.filter(id__in={c.kecamatan_id for c in centres})
    kecamatans = {r.id: Kecamatan.from_model(r) for r in regions}
    for centre in centres:
        attach(centre, "kecamatan", kecamatans[centre.kecamatan_id])
    return list(kecamatans.values())
