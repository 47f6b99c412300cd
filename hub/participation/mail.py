"""Which email each registration change makes (written through hub.notify's outbox)."""

from __future__ import annotations

from hub.notify import NotificationKind, notify_registration
from models.participation import Participant, Registration


async def registration_mail(
    registration: Registration,
    kind: NotificationKind,
    *,
    was_confirmed: bool = False,
    participant: Participant | None = None,
) -> None:
    """Queue the email of `kind` for the registration's participant, if they have an address.
    Call inside the change's transaction."""
    await notify_registration(
        kind=kind, registration=registration, was_confirmed=was_confirmed, participant=participant
    )
