"""Notification preferences: per email address and kind of event, IMMEDIATE, DIGEST or OFF.

Keyed by address, not account, so that a mentor without an account can unsubscribe too. No
stored preference means IMMEDIATE."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hub.access import Viewer
from hub.core import Forbidden, Invalid, dataversion, write_transaction
from hub.notify.events import NotificationKind
from models.accounts import Account, NotificationPreference
from models.enums import DeliveryMode, NotificationStatus
from models.notifications import Notification


async def preferences_of(*, email: str) -> dict[NotificationKind, DeliveryMode]:
    """Every kind of event with the address's mode, IMMEDIATE where none was chosen."""
    chosen = dict(
        await NotificationPreference.filter(email=email.strip().lower()).values_list("kind", "mode")
    )
    return {k: DeliveryMode(chosen.get(k.value, DeliveryMode.IMMEDIATE)) for k in NotificationKind}


async def viewer_email(viewer: Viewer) -> str:
    if viewer.account_id is None:
        raise Forbidden("sign in to see or change your notification preferences")
    emails = await Account.filter(id=viewer.account_id).values_list("email", flat=True)
    if not emails:
        raise Forbidden("sign in to see or change your notification preferences")
    return str(emails[0]).lower()


async def viewer_preferences(*, viewer: Viewer) -> dict[NotificationKind, DeliveryMode]:
    """The signed-in account's preferences."""
    return await preferences_of(email=await viewer_email(viewer))


async def update_viewer_preferences(
    *, viewer: Viewer, changes: Sequence[tuple[NotificationKind, DeliveryMode]]
) -> dict[NotificationKind, DeliveryMode]:
    """Set the signed-in account's mode for the listed kinds; the others stay as they are."""
    email = await viewer_email(viewer)
    seen: set[NotificationKind] = set()
    for index, (kind, _mode) in enumerate(changes):
        if kind in seen:
            raise Invalid(
                f"{kind.value} is listed twice; give each kind once",
                field=["preferences", str(index), "kind"],
            )
        seen.add(kind)
    await set_preferences(email=email, changes=changes)
    return await preferences_of(email=email)


async def set_preferences(
    *, email: str, changes: Iterable[tuple[NotificationKind, DeliveryMode]]
) -> None:
    """Store modes for one address in one transaction. Turning a kind OFF also skips that
    address's emails of the kind that are still waiting to be sent."""
    email = email.strip().lower()
    changes = list(changes)
    if not changes:
        return
    async with write_transaction():
        # One upsert: two requests for the same address at once both find no row, and
        # inserting after looking would make one of them fail on the unique (email, kind).
        await NotificationPreference.bulk_create(
            [
                NotificationPreference(email=email, kind=kind.value, mode=mode)
                for kind, mode in changes
            ],
            on_conflict=["email", "kind"],
            update_fields=["mode"],
        )
        off = [k.value for k, m in changes if m is DeliveryMode.OFF]
        if off:
            await Notification.filter(
                recipient_email=email, kind__in=off, status=NotificationStatus.PENDING
            ).update(status=NotificationStatus.SKIPPED, last_error="unsubscribed")
        await dataversion.bump()
