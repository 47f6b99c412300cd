"""`hub export registrations --training ID [FILE]`: the list organisers work from, its
formula-like cells protected by the hub's one rule (hub/core/cells.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hub.core import NotFound
from hub.core.cells import write_rows
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
    return write_rows(COLUMNS, (_row(r, people[r.participant_id]) for r in rows))


def _row(registration: Registration, person: Participant) -> list[str]:
    return [
        str(value)
        for value in [
            registration.id,
            registration.status.value,
            registration.position or "",
            "yes" if registration.attended else "no",
            person.name or "",
            person.phone or "",
            person.email or "",
            person.kecamatan.name,
            person.sector.code,
            registration.created_at.astimezone(JAKARTA).isoformat(timespec="minutes"),
        ]
    ]
