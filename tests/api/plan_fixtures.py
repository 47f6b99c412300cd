"""A small world for plan tests: Gambir's centre, three communities, their mentors, accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hub.access import create_token
from hub.core import encode_global_id
from models.directory import Centre, Community, Mentor, MentorSkill, Sector
from models.enums import CommunityKind, Role

TODAY = dt.datetime.now(dt.UTC).date()
WIB = dt.timezone(dt.timedelta(hours=7))


@dataclass
class World:
    """Ids (global) and tokens of the plan tests' world; `tag` ends every name in it."""

    tag: str = ""
    community: dict[str, str] = field(default_factory=dict)
    community_pk: dict[str, int] = field(default_factory=dict)
    mentor: dict[str, str] = field(default_factory=dict)
    mentor_pk: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


def at(days: int, hour: int, minutes: int = 0) -> str:
    """A time `days` from today, in Jakarta time, as the API takes it."""
    day = TODAY + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minutes, tzinfo=WIB).isoformat()


def day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


async def build_world(tag: str) -> World:
    """Communities K1 and K2 (parties), K3 (not); mentors: C0 of Gambir's centre, M1 and M2 of
    K1, M3 of K2, X of K3; accounts of every role."""
    world = World(tag=tag)
    sectors = {s.code: s for s in await Sector.all()}
    gambir = await Centre.get(kecamatan__code="31.71.01")
    for name in ["K1", "K2", "K3"]:
        community = await Community.create(name=f"{name} {tag}", kind=CommunityKind.SECTOR)
        world.community[name] = encode_global_id("Community", community.id)
        world.community_pk[name] = community.id
    homes: dict[str, dict[str, Any]] = {
        "C0": {"centre": gambir},
        "M1": {"community_id": world.community_pk["K1"]},
        "M2": {"community_id": world.community_pk["K1"]},
        "M3": {"community_id": world.community_pk["K2"]},
        "X": {"community_id": world.community_pk["K3"]},
    }
    skills = {
        "C0": {"KULINER": 10},
        "M1": {"KULINER": 8},
        "M2": {"KULINER": 5, "KRIYA": 3},
        "M3": {"FESYEN": 6},
        "X": {"KULINER": 9},
    }
    for name, home in homes.items():
        mentor = await Mentor.create(
            name=f"Mentor {name} {tag}", email=f"{name.lower()}.{tag}@example.org", **home
        )
        for code, capacity in skills[name].items():
            await MentorSkill.create(mentor=mentor, sector=sectors[code], capacity=capacity)
        world.mentor[name] = encode_global_id("Mentor", mentor.id)
        world.mentor_pk[name] = mentor.id
    for who, role, scope in [
        ("admin", Role.ADMIN, {}),
        ("staff", Role.STAFF, {"centre_code": "31.71.01"}),
        ("other_staff", Role.STAFF, {"centre_code": "31.74.01"}),
        ("k1", Role.COORDINATOR, {"community_id": world.community_pk["K1"]}),
        ("k2", Role.COORDINATOR, {"community_id": world.community_pk["K2"]}),
        ("k3", Role.COORDINATOR, {"community_id": world.community_pk["K3"]}),
        ("partner", Role.PARTNER, {}),
    ]:
        issued = await create_token(email=f"{who}.{tag}@test.example.org", role=role, **scope)
        world.tokens[who] = issued.secret
    return world
