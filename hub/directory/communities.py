"""Creating and changing communities: validation, role rules, audit, the data version.

The same checks and the same write serve the `createCommunity`/`updateCommunity` mutations
and the CSV import (`hub.directory.csvimport`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, cast

from tortoise.exceptions import IntegrityError

from hub.access import Viewer, audit, require_admin, require_home
from hub.core import Invalid, Lookup, NotFound, dataversion, write_transaction
from hub.core.validation import Problems, check_not_negative, clean_name, clean_texts
from models.directory import Community, CommunityArea, CommunitySector
from models.enums import CommunityKind

KINDS = ", ".join(k.value for k in CommunityKind)


@dataclass(frozen=True)
class CommunityInput:
    """Every value of a community as given, before validation."""

    name: str
    kind: str
    description: str
    sector_codes: Sequence[str]
    area_codes: Sequence[str]
    audiences: Sequence[str]
    member_count: int | None


@dataclass(frozen=True)
class CommunityValues:
    """A community's values, validated; sector and area codes sorted, so equal values mean
    nothing would change."""

    name: str
    kind: CommunityKind
    description: str
    sector_codes: tuple[str, ...]
    area_codes: tuple[str, ...]
    audiences: tuple[str, ...]
    member_count: int | None

    def as_input(self) -> CommunityInput:
        return CommunityInput(**asdict(self))

    def audit(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "description": self.description,
            "sectors": list(self.sector_codes),
            "areas": list(self.area_codes),
            "audiences": list(self.audiences),
            "memberCount": self.member_count,
        }


async def check_community(
    given: CommunityInput, *, lookup: Lookup, problems: Problems
) -> CommunityValues:
    """Validate every value, adding each failure to `problems` (field paths as the API names
    the input: `["sectorCodes", "1"]`)."""
    name = clean_name(given.name, field=["name"], problems=problems)
    try:
        kind = CommunityKind(given.kind.strip().upper())
    except ValueError:
        problems.add(f"kind must be one of {KINDS}, not {given.kind!r}", ["kind"])
        kind = CommunityKind.SECTOR
    sectors = await lookup.sectors()
    sector_codes: set[str] = set()
    for index, raw in enumerate(given.sector_codes):
        code = raw.strip().upper()
        if code in sectors:
            sector_codes.add(code)
        else:
            problems.add(f"unknown sector code {raw!r}", ["sectorCodes", str(index)])
    codes = [raw.strip() for raw in given.area_codes]
    areas = await lookup.areas(codes)
    for index, code in enumerate(codes):
        if code not in areas:
            problems.add(
                f"unknown area code {code!r}: give the code of a province, kota or kecamatan",
                ["areaCodes", str(index)],
            )
    check_not_negative(
        given.member_count, field=["memberCount"], problems=problems, what="member count"
    )
    return CommunityValues(
        name=name,
        kind=kind,
        description=given.description.strip(),
        sector_codes=tuple(sorted(sector_codes)),
        area_codes=tuple(sorted(set(areas))),
        audiences=tuple(clean_texts(given.audiences, field=["audiences"], problems=problems)),
        member_count=given.member_count,
    )


async def community_values(community: Community, *, lookup: Lookup) -> CommunityValues:
    """The values a community has now."""
    sector_ids = await CommunitySector.filter(community_id=community.id).values_list(
        "sector_id", flat=True
    )
    area_codes = await CommunityArea.filter(community_id=community.id).values_list(
        "region__code", flat=True
    )
    return CommunityValues(
        name=community.name,
        kind=community.kind,
        description=community.description,
        sector_codes=tuple(sorted([await lookup.sector_code(cast(int, i)) for i in sector_ids])),
        area_codes=tuple(sorted(str(c) for c in area_codes)),
        audiences=tuple(community.audiences or []),
        member_count=community.member_count,
    )


async def save_community(
    *,
    community: Community | None,
    values: CommunityValues,
    before: CommunityValues | None,
    viewer: Viewer,
    actor_label: str | None,
    lookup: Lookup,
) -> Community:
    """Write validated values (a new community when `community` is None), its audit entry and
    a new data version. Call inside a transaction, and only when `values != before`."""
    fields: dict[str, Any] = {
        "name": values.name,
        "kind": values.kind,
        "description": values.description,
        "audiences": list(values.audiences),
        "member_count": values.member_count,
    }
    if community is None:
        community = await Community.create(**fields)
    else:
        community.update_from_dict(fields)
        await community.save()
    sectors = await lookup.sectors()
    if before is None or before.sector_codes != values.sector_codes:
        await CommunitySector.filter(community_id=community.id).delete()
        await CommunitySector.bulk_create(
            [CommunitySector(community=community, sector=sectors[c]) for c in values.sector_codes]
        )
    if before is None or before.area_codes != values.area_codes:
        areas = await lookup.areas(values.area_codes)
        await CommunityArea.filter(community_id=community.id).delete()
        await CommunityArea.bulk_create(
            [CommunityArea(community=community, region=areas[c]) for c in values.area_codes]
        )
    await audit.record(
        viewer=viewer,
        label=actor_label,
        action=audit.Action.CREATE if before is None else audit.Action.UPDATE,
        entity=audit.Entity.COMMUNITY,
        entity_id=community.id,
        before=before.audit() if before else None,
        after=values.audit(),
    )
    await dataversion.bump()
    return community


async def _check_name_free(name: str, *, community_id: int | None, problems: Problems) -> None:
    taken = Community.filter(name=name)
    if community_id is not None:
        taken = taken.exclude(id=community_id)
    if name and await taken.exists():
        problems.add(f"a community named {name!r} already exists", ["name"])


def _name_taken(values: CommunityValues) -> Invalid:
    return Invalid(f"a community named {values.name!r} already exists", field=["name"])


async def create_community(
    *,
    viewer: Viewer,
    name: str,
    kind: str,
    sector_codes: Sequence[str],
    area_codes: Sequence[str],
    description: str | None = None,
    audiences: Sequence[str] | None = None,
    member_count: int | None = None,
    actor_label: str | None = None,
) -> Community:
    """Add a community (admins only). No `area_codes`: it serves anywhere."""
    require_admin(viewer, action="add communities")
    lookup, problems = Lookup(), Problems()
    given = CommunityInput(
        name=name,
        kind=kind,
        description=description or "",
        sector_codes=sector_codes,
        area_codes=area_codes,
        audiences=audiences or [],
        member_count=member_count,
    )
    values = await check_community(given, lookup=lookup, problems=problems)
    await _check_name_free(values.name, community_id=None, problems=problems)
    problems.raise_if_any()
    try:
        async with write_transaction():
            return await save_community(
                community=None,
                values=values,
                before=None,
                viewer=viewer,
                actor_label=actor_label,
                lookup=lookup,
            )
    except IntegrityError:  # the same name, added concurrently
        raise _name_taken(values) from None


async def update_community(
    *,
    viewer: Viewer,
    community_id: int,
    name: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    sector_codes: Sequence[str] | None = None,
    area_codes: Sequence[str] | None = None,
    audiences: Sequence[str] | None = None,
    member_count: int | None = None,
    actor_label: str | None = None,
) -> Community:
    """Change the values given (None keeps a value; lists replace). Admins, and coordinators of
    this community."""
    community = await Community.get_or_none(id=community_id)
    if community is None:
        raise NotFound("no such community", field=["communityId"])
    require_home(viewer, centre_id=None, community_id=community.id, action="change a community")
    lookup, problems = Lookup(), Problems()
    before = await community_values(community, lookup=lookup)
    changes: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "description": description,
        "sector_codes": sector_codes,
        "area_codes": area_codes,
        "audiences": audiences,
        "member_count": member_count,
    }
    given = replace(before.as_input(), **{k: v for k, v in changes.items() if v is not None})
    values = await check_community(given, lookup=lookup, problems=problems)
    if values.name != before.name:
        await _check_name_free(values.name, community_id=community.id, problems=problems)
    problems.raise_if_any()
    if values == before:
        return community
    try:
        async with write_transaction():
            return await save_community(
                community=community,
                values=values,
                before=before,
                viewer=viewer,
                actor_label=actor_label,
                lookup=lookup,
            )
    except IntegrityError:
        raise _name_taken(values) from None
