import re

from tortoise import migrations
from tortoise.migrations import operations as ops

# Rows written before the input rules (DESIGN section 9) may hold line breaks, tabs and other
# control characters in single-line fields; in a name or title they end up in email headers.
# Each is replaced by a space (runs of spaces made one, ends trimmed). Self-contained on
# purpose: a migration must not change when the hub's code does. Runs through the ORM's
# historical models, so the same step serves SQLite and PostgreSQL.

SINGLE_LINE_FIELDS = {
    "Account": ["name"],
    "ApiToken": ["name"],
    "AuditEntry": ["actor_label"],
    "Centre": ["name", "address"],
    "Community": ["name"],
    "Mentor": ["name"],
    "Notification": ["recipient_name"],
    "Plan": ["title"],
    "Region": ["name", "official_name"],
    "Sector": ["name", "name_en"],
    "Training": ["title", "venue"],
}
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


async def clean_single_line_fields(apps, schema_editor) -> None:
    client = schema_editor.client
    for model_name, fields in SINGLE_LINE_FIELDS.items():
        model = apps.get_model("models", model_name)
        for field in fields:
            rows = await model.all().using_db(client).values_list("id", field)
            for pk, value in rows:
                if not value or not _BAD.search(value):
                    continue
                cleaned = " ".join(_BAD.sub(" ", value).split())
                taken = model_name == "Community" and await (
                    model.filter(**{field: cleaned}).exclude(id=pk).using_db(client).exists()
                )
                if taken:  # community names are unique: keep both, told apart
                    cleaned = f"{cleaned} ({pk})"
                await model.filter(id=pk).using_db(client).update(**{field: cleaned})


def _clean_snapshot(context: dict) -> bool:
    """Clean the single-line values of an email's snapshot in place; whether any changed."""
    changed = False
    holders = [context.get("plan") or {}, *(context.get("trainings") or [])]
    for holder, key in [(context, "actor")] + [
        (h, k) for h in holders for k in ("title", "centre", "venue")
    ]:
        value = holder.get(key)
        if isinstance(value, str) and _BAD.search(value):
            holder[key] = " ".join(_BAD.sub(" ", value).split())
            changed = True
    return changed


async def clean_unsent_emails(apps, schema_editor) -> None:
    """Emails not sent yet whose snapshot held such values: the snapshot is cleaned and the
    email rendered when written is dropped, so the worker renders it anew when it sends."""
    client = schema_editor.client
    notification = apps.get_model("models", "Notification")
    message = apps.get_model("models", "NotificationMessage")
    rows = await notification.filter(status="PENDING").using_db(client).values_list(
        "id", "message_id", "context"
    )
    for pk, message_id, context in rows:
        if isinstance(context, dict) and _clean_snapshot(context):
            await notification.filter(id=pk).using_db(client).update(context=context)
            await message.filter(message_id=message_id).using_db(client).delete()


class Migration(migrations.Migration):
    dependencies = [('models', '0003_notification_message')]

    initial = False

    operations = [
        ops.RunPython(clean_single_line_fields, reverse_code=ops.RunPython.noop),
        ops.RunPython(clean_unsent_emails, reverse_code=ops.RunPython.noop),
    ]
