"""Exporting communities, mentors and demand as CSV (`hub export KIND [FILE]`).

The files have the columns `hub import` reads, so exporting and importing again reproduces the
same data. Mentors: the active ones (an import never changes whether a mentor is active)."""

from __future__ import annotations

from collections import defaultdict

from hub.directory.csvfile import write_rows
from hub.directory.csvimport import COLUMNS
from models.directory import Community, CommunityArea, CommunitySector, Demand, Mentor, MentorSkill


async def _communities() -> list[list[str]]:
    sectors: dict[int, list[str]] = defaultdict(list)
    for community_id, code in await CommunitySector.all().values_list(
        "community_id", "sector__code"
    ):
        sectors[community_id].append(code)
    areas: dict[int, list[str]] = defaultdict(list)
    for community_id, code in await CommunityArea.all().values_list("community_id", "region__code"):
        areas[community_id].append(code)
    return [
        [
            c.name,
            c.kind.value,
            c.description,
            " ".join(sorted(sectors[c.id])),
            " ".join(sorted(areas[c.id])),
            ", ".join(c.audiences or []),
            "" if c.member_count is None else str(c.member_count),
        ]
        for c in await Community.all().order_by("name")
    ]


async def _mentors() -> list[list[str]]:
    skills: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for mentor_id, code, capacity in await MentorSkill.filter(mentor__active=True).values_list(
        "mentor_id", "sector__code", "capacity"
    ):
        skills[mentor_id].append((code, capacity))
    rows = await (
        Mentor.filter(active=True)
        .order_by("name", "id")
        .values_list("id", "name", "email", "phone", "centre__kecamatan__code", "community__name")
    )
    return [
        [
            name,
            email or "",
            phone or "",
            kecamatan or "",
            community or "",
            " ".join(f"{c}:{n}" for c, n in sorted(skills[mentor_id])),
        ]
        for mentor_id, name, email, phone, kecamatan, community in rows
    ]


async def _demand() -> list[list[str]]:
    rows = await (
        Demand.all()
        .order_by("centre__kecamatan__code", "sector__position", "sector__code")
        .values_list("centre__kecamatan__code", "sector__code", "demand")
    )
    return [[code, sector, str(demand)] for code, sector, demand in rows]


EXPORTERS = {"communities": _communities, "mentors": _mentors, "demand": _demand}


async def export_csv(kind: str) -> str:
    """Every community, active mentor or demand figure as a CSV table."""
    return write_rows(COLUMNS[kind], await EXPORTERS[kind]())
