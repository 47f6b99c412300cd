"""Setting a centre's demand: entrepreneurs waiting for mentoring in one sector.

The same checks and the same write serve the `setDemand` mutation and the CSV import."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hub import matching
from hub.access import Viewer, audit, require_home
from hub.core import Lookup, NotFound, dataversion, write_transaction
from hub.core.validation import Problems, check_not_negative
from hub.matching import CentreNeeds
from models.directory import Centre, Demand, Sector


@dataclass(frozen=True)
class DemandChange:
    """A validated demand figure for one centre and sector."""

    centre: Centre
    sector: Sector
    demand: int


async def check_sector(
    sector_code: str, *, lookup: Lookup, problems: Problems, field: list[str]
) -> Sector | None:
    sector = (await lookup.sectors()).get(sector_code.strip().upper())
    if sector is None:
        problems.add(f"unknown sector code {sector_code!r}", field)
    return sector


async def save_demand(
    *,
    change: DemandChange,
    row: Demand | None,
    viewer: Viewer,
    actor_label: str | None,
) -> Demand:
    """Write the figure, its audit entry and a new data version. Call inside a transaction,
    and only when there is no `row` yet or it holds another figure."""
    where = {"kecamatan": change.centre.kecamatan.code, "sector": change.sector.code}
    before = {**where, "demand": row.demand} if row else None
    if row is None:
        row = await Demand.create(centre=change.centre, sector=change.sector, demand=change.demand)
    else:
        row.demand = change.demand
        await row.save(update_fields=["demand", "updated_at"])
    await audit.record(
        viewer=viewer,
        label=actor_label,
        action=audit.Action.SET,
        entity=audit.Entity.DEMAND,
        entity_id=row.id,
        before=before,
        after={**where, "demand": change.demand},
    )
    await dataversion.bump()
    return row


async def set_demand(
    *,
    viewer: Viewer,
    kecamatan_code: str,
    sector_code: str,
    demand: int,
    actor_label: str | None = None,
) -> CentreNeeds:
    """Set how many entrepreneurs wait for mentoring in a sector at the centre of a kecamatan.
    Admins, and staff of that centre. Returns the centre's need in that sector as it is now
    (demand, supply and gap), as its only sector."""
    lookup, problems = Lookup(), Problems()
    centre = (await lookup.centres([kecamatan_code.strip()])).get(kecamatan_code.strip())
    if centre is None:
        raise NotFound(f"no centre in kecamatan {kecamatan_code!r}", field=["kecamatanCode"])
    require_home(viewer, centre_id=centre.id, community_id=None, action="set demand")
    sector = await check_sector(sector_code, lookup=lookup, problems=problems, field=["sectorCode"])
    check_not_negative(demand, field=["demand"], problems=problems, what="demand")
    problems.raise_if_any()
    assert sector is not None
    change = DemandChange(centre=centre, sector=sector, demand=demand)
    async with write_transaction():
        # The centre's row, locked, orders concurrent changes of its demand: the demand row
        # itself may not exist yet, and two first settings must not both insert it.
        await Centre.select_for_update(no_key=True).get(id=centre.id)
        row = await Demand.select_for_update(no_key=True).get_or_none(
            centre_id=centre.id, sector_id=sector.id
        )
        if row is None or row.demand != demand:
            await save_demand(change=change, row=row, viewer=viewer, actor_label=actor_label)
    return await sector_need(centre=centre, sector=sector)


async def sector_need(*, centre: Centre, sector: Sector) -> CentreNeeds:
    """The complementarity's view of one centre in one sector."""
    (needs,) = await matching.needs(kecamatan_ids=[centre.kecamatan_id])
    need = next((n for n in needs.sectors if n.sector.id == sector.id), None)
    if need is None:  # no demand and no supply: the matching lists no such sector
        ref = matching.SectorRef(
            id=sector.id,
            code=sector.code,
            name=sector.name,
            name_en=sector.name_en,
            position=sector.position,
        )
        need = matching.SectorNeed(sector=ref, demand=0, supply=0)
    return replace(needs, sectors=(need,))
