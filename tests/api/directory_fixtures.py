"""Accounts of every role around Gambir's centre and two communities of the Jakarta demo."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hub.access import create_token
from hub.core import dataversion, encode_global_id
from models.audit import AuditEntry
from models.directory import Centre, Community, Mentor, MentorSkill, Sector
from models.enums import Role
from tests.conftest import Tokens, make_tokens

ROLES: list[str | None] = [
    "admin",
    "staff",
    "staff_other",
    "coordinator",
    "coordinator_other",
    "partner",
    None,
]
"""`staff`: of Gambir's centre; `staff_other`: of Tebet's. `coordinator`: of Komunitas Kuliner
Nusantara; `coordinator_other`: of Komunitas Kopi Jakarta. None: anonymous."""

_serial = itertools.count(1)


@dataclass
class Directory:
    tokens: Tokens
    gambir: Centre
    community: Community
    other_community: Community

    def headers(self, who: str | None) -> dict[str, str]:
        return self.tokens.headers(who)

    @property
    def community_id(self) -> str:
        return encode_global_id("Community", self.community.id)


async def directory_world() -> Directory:
    community = await Community.get(name="Komunitas Kuliner Nusantara")
    other = await Community.get(name="Komunitas Kopi Jakarta")
    tokens = await make_tokens(staff_centre="31.71.01", community=community)
    for who, role, scope in [
        ("staff_other", Role.STAFF, {"centre_code": "31.74.01"}),
        ("coordinator_other", Role.COORDINATOR, {"community_id": other.id}),
    ]:
        issued = await create_token(email=f"{who}@test.example.org", role=role, **scope)
        tokens.secrets[who] = issued.secret
    gambir = await Centre.get(kecamatan__code="31.71.01")
    return Directory(tokens=tokens, gambir=gambir, community=community, other_community=other)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix} {next(_serial)}"


async def new_mentor(
    world: Directory, home: str, *, skills: dict[str, int] | None = None
) -> Mentor:
    """A mentor of Gambir's centre (`home="centre"`) or of the coordinator's community."""
    name = unique("Mentor Uji")
    where = {"centre": world.gambir} if home == "centre" else {"community": world.community}
    mentor = await Mentor.create(
        name=name, email=f"{name.replace(' ', '.').lower()}@example.org", **where
    )
    sectors = {s.code: s for s in await Sector.all()}
    for code, capacity in (skills or {"KULINER": 6}).items():
        await MentorSkill.create(mentor=mentor, sector=sectors[code], capacity=capacity)
    return mentor


def mentor_id(mentor: Mentor) -> str:
    return encode_global_id("Mentor", mentor.id)


async def audit_count() -> int:
    return await AuditEntry.all().count()


async def version() -> int:
    return await dataversion.current()
