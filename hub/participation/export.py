"""`hub export registrations --training ID [FILE]`: the list organisers work from."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from hub.core import NotFound
from models.enums import RegistrationStatus
from models.participation import Participant, Registration
from models.plans import Training

JAKARTA = ZoneInfo("Asia/Jakarta")

COLUMNS = [
    "registration_id",
    "status",
    "position",
    "attended",
    "name",
    "phone",
    "email",
    "kecamatan",
    "sector",
    "registered_at",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): text starting
    with =, +, -, @, a tab or a carriage return gets a leading apostrophe."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


async def registrations_csv(*, training_id: int) -> str:
    """Confirmed first, then the waitlist by position, then the cancelled."""
    training = await Training.get_or_none(id=training_id)
    if training is None:
        raise NotFound(f"no training with id {training_id}", field=["training"])
    rows = await Registration.filter(training_id=training_id).order_by("id")
    people = {
        p.id: p
        for p in await Participant.filter(id__in=[r.participant_id for r in rows]).select_related(
            "kecamatan", "sector"
        )
    }
    rank = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITLISTED: 1}
    rows.sort(key=lambda r: (rank.get(r.status, 2), r.position or 0, r.id))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        person = people[r.participant_id]
        writer.writerow(
            [
                neutralise(str(value))
                for value in [
                    r.id,
                    r.status.value,
                    r.position or "",
                    "yes" if r.attended else "no",
                    person.name or "",
                    person.phone or "",
                    person.email or "",
                    person.kecamatan.name,
                    person.sector.code,
                    r.created_at.astimezone(JAKARTA).isoformat(timespec="minutes"),
                ]
            ]
        )
    return out.getvalue()
