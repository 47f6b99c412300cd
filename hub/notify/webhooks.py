"""The email to a webhook's owner when the hub disables the endpoint (DESIGN section 10)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.core import Settings, encode_global_id
from hub.notify.events import NotificationKind, mail_host, new_message_id
from hub.notify.outbox import _prepared, _usable, current_settings, delivery_modes
from hub.notify.unsubscribe import secret_key
from models.accounts import Account
from models.enums import DeliveryMode, NotificationStatus
from models.notifications import Notification
from models.webhooks import Webhook


async def notify_webhook_disabled(*, webhook_id: int, settings: Settings | None = None) -> int:
    """Write the owner's email, in the transaction that disabled the endpoint; returns the
    rows written (0 when the owner has no usable address or turned this kind off). Always
    immediate: a digest would tell too late."""
    settings = settings or current_settings()
    webhook = await Webhook.get(id=webhook_id)
    owner = await Account.get(id=webhook.account_id)
    address = _usable(owner.email)
    if address is None:
        return 0
    kind = NotificationKind.WEBHOOK_DISABLED
    modes = await delivery_modes(emails=[address], kind=kind)
    if modes[address] is DeliveryMode.OFF:
        return 0
    last_error = (
        await webhook.deliveries.all()
        .filter(last_error__isnull=False)
        .order_by("-id")
        .first()
        .values_list("last_error", flat=True)
    )
    now = datetime.now(UTC)
    row = Notification(
        message_id=new_message_id(mail_host(settings)),
        kind=kind.value,
        account_id=owner.id,
        recipient_email=address,
        recipient_name=owner.name[:160],
        locale=owner.locale,
        mode=DeliveryMode.IMMEDIATE,
        status=NotificationStatus.PENDING,
        context={
            "webhook": {
                "id": encode_global_id("Webhook", webhook.id),
                "url": webhook.url,
                "description": webhook.description,
            },
            "failing_since": webhook.failing_since.isoformat() if webhook.failing_since else "",
            "last_error": str(last_error)[:500] if last_error else None,
        },
        due_at=now,
    )
    message = _prepared(row, settings=settings, key=secret_key(settings), now=now)
    await row.save()
    if message is not None:
        await message.save()
    return 1
