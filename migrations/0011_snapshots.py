from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_free_places')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KecamatanSnapshot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('kecamatan', fields.ForeignKeyField('models.Region', source_field='kecamatan_id', db_constraint=True, to_field='id', related_name='snapshots', on_delete=OnDelete.CASCADE)),
                ('demand', fields.IntField()),
                ('supply', fields.IntField()),
                ('gap', fields.IntField()),
                ('waiting', fields.IntField()),
                ('covered', fields.IntField(description='Places of the gap its suggested coalition would fill')),
                ('coverage', fields.FloatField(description='covered / gap, or 1 when nothing is missing')),
            ],
            options={'table': 'kecamatan_snapshot', 'app': 'models', 'unique_together': (('kecamatan', 'day'),), 'indexes': [Index(fields=['day'])], 'pk_attr': 'id', 'table_description': 'The figures of a kecamatan as its coverage row showed them on one day (Asia/Jakarta).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SnapshotDay',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('kecamatans', fields.IntField(description='Kecamatan rows written for the day')),
                ('taken_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'snapshot_day', 'app': 'models', 'pk_attr': 'day', 'table_description': 'One row per day (Asia/Jakarta) whose snapshot was taken: the claim that makes the'},
            bases=['Model'],
        ),
    ]
