"""Interest: a resident's wish for training in one sector at one centre, which staff see as
`waiting` beside the demand they set."""

from __future__ import annotations

from hub.access import Viewer
from hub.core import Forbidden, NotFound, dataversion, write_transaction
from hub.core.validation import Problems
from hub.directory import sector_need
from hub.matching import CentreNeeds
from hub.participation.participants import ConsentSpec, ParticipantSpec, find_or_create
from models.directory import Centre, Sector
from models.enums import RegionLevel
from models.participation import Interest
from models.regions import Region


async def express_interest(
    *,
    viewer: Viewer,
    kecamatan_code: str,
    sector_code: str,
    participant: ParticipantSpec | None = None,
    participant_id: int | None = None,
    consent: ConsentSpec | None = None,
) -> CentreNeeds:
    """Record that the participant wants training in `sector_code` at the centre of
    `kecamatan_code`: PARTNER apps, STAFF, COORDINATORs and ADMIN. Returns the centre's need in
    that sector as it is now, `waiting` included."""
    if viewer.is_anonymous or viewer.role is None:
        raise Forbidden("sign in as a partner app, staff, a coordinator or an admin")
    async with write_transaction():
        kecamatan = await Region.get_or_none(
            code=kecamatan_code.strip(), level=RegionLevel.KECAMATAN
        )
        centre = await Centre.get_or_none(kecamatan_id=kecamatan.id) if kecamatan else None
        if kecamatan is None or centre is None:
            raise NotFound(f"no centre in kecamatan {kecamatan_code!r}", field=["kecamatanCode"])
        sector = await Sector.get_or_none(code=sector_code.strip().upper())
        if sector is None:
            problems = Problems()
            problems.add(f"no sector has the code {sector_code!r}", ["sectorCode"])
            problems.raise_if_any()
        assert sector is not None
        person = await find_or_create(
            viewer=viewer, spec=participant, participant_id=participant_id, consent=consent
        )
        await Interest.create(
            participant_id=person.id,
            centre_id=centre.id,
            sector_id=sector.id,
            created_by_id=viewer.account_id,
        )
        await dataversion.bump()
    return await sector_need(centre=centre, sector=sector)
