from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ConsentChannel, RegistrationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0005_data_version_epoch')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Participant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(null=True, max_length=160)),
                ('phone', fields.CharField(null=True, description='E.164', max_length=20)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('kecamatan', fields.ForeignKeyField('models.Region', source_field='kecamatan_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.RESTRICT)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.SET_NULL)),
                ('consent_purpose', fields.CharField(max_length=300)),
                ('consent_text_version', fields.CharField(max_length=40)),
                ('consent_channel', fields.CharEnumField(description='APP: APP\nWEB: WEB\nPAPER: PAPER\nPHONE: PHONE\nIN_PERSON: IN_PERSON', enum_type=ConsentChannel, max_length=10)),
                ('consent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('anonymised_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'participant', 'app': 'models', 'indexes': [Index(fields=['created_by_id', 'phone']), Index(fields=['created_by_id', 'email']), Index(fields=['email'])], 'pk_attr': 'id', 'table_description': 'A resident who wants to start or grow a business. Personal data throughout: name and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Interest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('participant', fields.ForeignKeyField('models.Participant', source_field='participant_id', db_constraint=True, to_field='id', related_name='interests', on_delete=OnDelete.CASCADE)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='interests', on_delete=OnDelete.RESTRICT)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='interests', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='interests', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'interest', 'app': 'models', 'indexes': [Index(fields=['centre_id', 'sector_id', 'created_at']), Index(fields=['participant_id'])], 'pk_attr': 'id', 'table_description': "A participant's wish for training in one sector at one centre."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Registration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('training', fields.ForeignKeyField('models.Training', source_field='training_id', db_constraint=True, to_field='id', related_name='registrations', on_delete=OnDelete.CASCADE)),
                ('participant', fields.ForeignKeyField('models.Participant', source_field='participant_id', db_constraint=True, to_field='id', related_name='registrations', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='CONFIRMED: CONFIRMED\nWAITLISTED: WAITLISTED\nCANCELLED: CANCELLED', enum_type=RegistrationStatus, max_length=10)),
                ('position', fields.IntField(null=True, description='On the waitlist: 1 is next')),
                ('attended', fields.BooleanField(default=False)),
                ('registered_by', fields.ForeignKeyField('models.Account', source_field='registered_by_id', null=True, db_constraint=True, to_field='id', related_name='registrations', on_delete=OnDelete.SET_NULL)),
                ('idempotency_key', fields.CharField(null=True, max_length=100)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'registration', 'app': 'models', 'unique_together': (('registered_by', 'idempotency_key'),), 'constraints': [CheckConstraint(check="(status = 'WAITLISTED') = (position IS NOT NULL)", name='registration_position_ck')], 'indexes': [Index(fields=['training_id', 'status', 'position']), Index(fields=['participant_id'])], 'pk_attr': 'id', 'table_description': "A participant's place at a training: confirmed, on the waitlist (at `position`, 1 first,"},
            bases=['Model'],
        ),
    ]
