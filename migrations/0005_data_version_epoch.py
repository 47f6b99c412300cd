from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def random_epoch(apps, schema_editor):
    # Each database starts with an epoch of its own (hub/core/dataversion.py), so two databases
    # at the same counter never share ETags. The value is an integer made here, not user input.
    from hub.core.dataversion import new_epoch

    await schema_editor.client.execute_query(
        f"UPDATE data_version SET epoch = {new_epoch()} WHERE id = 1"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0004_single_line_fields')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='DataVersion',
            options={'table': 'data_version', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The data version: a write counter and a random epoch (cache validation).'},
        ),
        ops.AddField(
            model_name='DataVersion',
            name='epoch',
            field=fields.BigIntField(null=True, description='Random, renewed by every restore'),
        ),
        ops.RunPython(random_epoch, ops.RunPython.noop),
    ]
