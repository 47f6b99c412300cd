"""The planned types the compiled path answers, field by field.

A field not listed here is not compiled: a document that reaches it anywhere (computed
matching fields, personal data with visibility rules, every other type) is answered by the
reference executor. The listed fields show the same thing to every viewer, as their reference
resolvers do; that is what lets a compiled plan be shared by all viewers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.core.ids import encode_global_id
from schema.compiled import loads
from schema.compiled.loads import Load, Row


@dataclass(frozen=True)
class Scalar:
    """A leaf: its JSON value from the row."""

    get: Callable[[Row], Any]


@dataclass(frozen=True)
class Relation:
    """An object, a list of objects or a connection (sliced by `first`/`after`), loaded for
    every row of a level at once. `key` names the load shared by fields reading the same rows
    (`areas` and `servesAnywhere`)."""

    load: Load
    kind: str  # "one", "list", "connection" or "empty" (a Boolean: no related rows)
    key: str = ""


Field = Scalar | Relation


def column(name: str) -> Scalar:
    return Scalar(lambda row: row[name])


def global_id(type_name: str) -> Scalar:
    return Scalar(lambda row: encode_global_id(type_name, row["id"]))


def enum(name: str) -> Scalar:
    # Stored enumerations are StrEnums whose names are their values.
    return Scalar(lambda row: None if row[name] is None else str(row[name]))


def _audiences(row: Row) -> list[str]:
    return [str(a) for a in row["audiences"] or []]


SECTOR: dict[str, Field] = {
    "code": column("code"),
    "name": column("name"),
    "nameEn": column("name_en"),
}

TYPES: dict[str, dict[str, Field]] = {
    "Kecamatan": {
        "id": global_id("Kecamatan"),
        "code": column("code"),
        "name": column("name"),
        "lat": column("lat"),
        "lon": column("lon"),
        "kota": Relation(loads.kecamatan_kota, "one"),
        "centre": Relation(loads.kecamatan_centre, "one"),
        "needs": Relation(loads.kecamatan_needs, "list"),
    },
    "SectorNeed": {
        "sector": Relation(loads.need_sector, "one"),
        "demand": column("demand"),
        "supply": column("supply"),
        "gap": column("gap"),
        "waiting": column("waiting"),
    },
    "Kota": {
        "id": global_id("Kota"),
        "code": column("code"),
        "name": column("name"),
        "officialName": column("official_name"),
        "kecamatans": Relation(loads.kota_kecamatans, "connection"),
    },
    "Centre": {
        "id": global_id("Centre"),
        "name": column("name"),
        "address": column("address"),
        "contactEmail": column("contact_email"),
        "contactPhone": column("contact_phone"),
        "kecamatan": Relation(loads.centre_kecamatan, "one"),
        "mentors": Relation(loads.centre_mentors, "connection"),
    },
    "Mentor": {
        "id": global_id("Mentor"),
        "name": column("name"),
        "active": column("active"),
        "centre": Relation(loads.mentor_centre, "one"),
        "community": Relation(loads.mentor_community, "one"),
        "skills": Relation(loads.mentor_skills, "list"),
    },
    "MentorSkill": {
        "capacity": column("capacity"),
        "free": column("free"),
        "sector": Relation(loads.skill_sector, "one"),
    },
    "Sector": SECTOR,
    "Community": {
        "id": global_id("Community"),
        "name": column("name"),
        "kind": enum("kind"),
        "description": column("description"),
        "audiences": Scalar(_audiences),
        "memberCount": column("member_count"),
        "sectors": Relation(loads.community_sectors, "list"),
        "areas": Relation(loads.community_areas, "list", key="areas"),
        "servesAnywhere": Relation(loads.community_areas, "empty", key="areas"),
        "mentors": Relation(loads.community_mentors, "connection"),
    },
    "Area": {
        "code": column("code"),
        "name": column("name"),
        "level": enum("level"),
    },
}
"""Per object type, its compiled fields (`__typename` is compiled everywhere)."""

CONNECTION_FIELDS = {"edges", "pageInfo", "totalCount"}
EDGE_FIELDS = {"cursor", "node"}
PAGE_INFO_FIELDS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}
