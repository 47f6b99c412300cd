"""Database invariants hold in the database itself, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.directory import Centre, Community, Demand, Mentor, MentorSkill, Sector
from models.enums import CommunityKind, Role
from models.regions import Region

pytestmark = pytest.mark.usefixtures("reference_data")


async def _refused(model: type, **values: object) -> None:
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await model.create(**values)


async def test_one_centre_per_kecamatan() -> None:
    gambir = await Region.get(code="31.71.01")
    await _refused(Centre, kecamatan=gambir, name="Second centre")


async def test_codes_and_names_are_unique() -> None:
    await _refused(Sector, code="KULINER", name="x", name_en="x")
    await Community.create(name="Komunitas Unik", kind=CommunityKind.SECTOR)
    await _refused(Community, name="Komunitas Unik", kind=CommunityKind.REGION)


async def test_a_mentor_belongs_to_exactly_one_centre_or_community() -> None:
    centre = await Centre.get(kecamatan__code="31.71.01")
    community = await Community.create(name="Komunitas Dua Rumah", kind=CommunityKind.SECTOR)
    await _refused(Mentor, name="Nobody's")
    await _refused(Mentor, name="Everybody's", centre=centre, community=community)
    assert await Mentor.create(name="Centre's", centre=centre)


async def test_capacity_and_demand_are_never_negative_and_demand_is_one_per_sector() -> None:
    centre = await Centre.get(kecamatan__code="31.71.02")
    mentor = await Mentor.create(name="Capacity", centre=centre)
    kuliner = await Sector.get(code="KULINER")
    await _refused(MentorSkill, mentor=mentor, sector=kuliner, capacity=-1)
    await MentorSkill.create(mentor=mentor, sector=kuliner, capacity=5)
    await _refused(MentorSkill, mentor=mentor, sector=kuliner, capacity=6)
    await _refused(Demand, centre=centre, sector=kuliner, demand=-3)
    await Demand.create(centre=centre, sector=kuliner, demand=3)
    await _refused(Demand, centre=centre, sector=kuliner, demand=4)


async def test_account_scope_matches_its_role() -> None:
    centre = await Centre.get(kecamatan__code="31.71.03")
    await _refused(Account, email="a@example.org", role=Role.STAFF)
    await _refused(Account, email="b@example.org", role=Role.ADMIN, centre=centre)
    await _refused(Account, email="c@example.org", role=Role.PARTNER, locale="fr")


def _column(model: type, field: str) -> str:
    described = model._meta.fields_map.get(field)  # type: ignore[attr-defined]
    return getattr(described, "source_field", None) or field


async def test_every_declared_index_exists() -> None:
    """SQLite rebuilds a table to change it and can silently drop its indexes."""
    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    missing: list[tuple[str, tuple[str, ...]]] = []
    checked = 0
    for model in Tortoise.apps.get_models_iterable():
        table = model._meta.db_table
        if dialect == "sqlite":
            rows = await connection.execute_query_dict(f'PRAGMA index_list("{table}")')
            columns = set()
            for row in rows:
                info = await connection.execute_query_dict(f'PRAGMA index_info("{row["name"]}")')
                columns.add(tuple(i["name"] for i in info))
        else:
            rows = await connection.execute_query_dict(
                "SELECT array_agg(a.attname ORDER BY k.n) AS cols FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indrelid "
                "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
                "WHERE c.relname = $1 GROUP BY i.indexrelid",
                [table],
            )
            columns = {tuple(row["cols"]) for row in rows}
        indexes = [getattr(ix, "fields", ix) for ix in model._meta.indexes]
        declared = [*model._meta.unique_together, *indexes]
        for fields in declared:
            cols = tuple(_column(model, f) for f in fields)
            checked += 1
            if cols not in columns:
                missing.append((table, cols))
    assert checked >= 25
    assert missing == []
