from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The history written before the stream existed gets its positions, oldest first, so that every
# PlanEvent has a cursor. Self-contained on purpose (the table from history kinds to event
# kinds as it was when the stream began): a migration must not change when the hub's code does.
HISTORY_EVENT_KINDS = {
    "PROPOSED": "PLAN_PROPOSED",
    "ACCEPTED": "PLAN_ANSWERED",
    "DECLINED": "PLAN_DECLINED",
    "REVISED": "PLAN_REVISED",
    "ACTIVATED": "PLAN_ACTIVATED",
    "CANCELLED": "PLAN_CANCELLED",
    "COMPLETED": "PLAN_COMPLETED",
    "TRAINING_RESCHEDULED": "TRAINING_CHANGED",
    "TRAINING_CANCELLED": "TRAINING_CANCELLED",
}


async def number_the_history(apps, schema_editor) -> None:
    client = schema_editor.client
    history = apps.get_model("models", "PlanEvent")
    event = apps.get_model("models", "Event")
    rows = (
        await history.all()
        .using_db(client)
        .order_by("id")
        .values_list("id", "plan_id", "kind", "actor_id", "version", "at")
    )
    for pk, plan_id, kind, actor_id, version, at in rows:
        created = await event.create(
            using_db=client,
            kind=HISTORY_EVENT_KINDS.get(kind),
            plan_id=plan_id,
            actor_id=actor_id,
            data={"version": version},
            at=at,
        )
        await history.filter(id=pk).using_db(client).update(position=created.position)


class Migration(migrations.Migration):
    dependencies = [("models", "0007_calendar_feeds")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Event",
            fields=[
                (
                    "position",
                    fields.BigIntField(
                        generated=True,
                        primary_key=True,
                        unique=True,
                        db_index=True,
                        description="Commit order, drawn under the row lock of the data version",
                    ),
                ),
                (
                    "kind",
                    fields.CharField(
                        null=True,
                        description="EventKind, or null for a history-only change",
                        max_length=40,
                    ),
                ),
                (
                    "plan",
                    fields.ForeignKeyField(
                        "models.Plan",
                        source_field="plan_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stream_events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "training_id",
                    fields.IntField(
                        null=True,
                        description="The training it concerns (no foreign key: revisions replace trainings)",
                    ),
                ),
                ("actor_id", fields.IntField(null=True, description="The account that acted")),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "event",
                "app": "models",
                "indexes": [Index(fields=["at"]), Index(fields=["training_id"])],
                "pk_attr": "position",
                "table_description": "Something that happened to a plan, a training or its registrations, at a position in",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="PlanEvent",
            name="position",
            field=fields.BigIntField(
                null=True, description="Its event in the stream (models.integration.Event)"
            ),
        ),
        ops.RunPython(number_the_history, reverse_code=ops.RunPython.noop),
    ]
