from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import CommunityKind, DeliveryMode, NotificationStatus, PartyStatus, PlanStatus, RegionLevel, Role, TrainingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Community',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=160)),
                ('kind', fields.CharEnumField(description='SECTOR: SECTOR\nORGANISATION: ORGANISATION\nREGION: REGION', enum_type=CommunityKind, max_length=16)),
                ('description', fields.TextField(default='', unique=False)),
                ('audiences', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('member_count', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'community', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A PGO member community that supplies mentors and runs trainings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'data_version', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A counter every write moves forward, in the writing transaction (cache validation).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(max_length=254)),
                ('kind', fields.CharField(max_length=40)),
                ('mode', fields.CharEnumField(description='IMMEDIATE: IMMEDIATE\nDIGEST: DIGEST\nOFF: OFF', enum_type=DeliveryMode, max_length=10)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_preference', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How one email address wants one kind of event: immediately, in a daily digest, or not.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Region',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('level', fields.CharEnumField(description='PROVINCE: PROVINCE\nKOTA: KOTA\nKECAMATAN: KECAMATAN\nKELURAHAN: KELURAHAN', enum_type=RegionLevel, max_length=12)),
                ('name', fields.CharField(description='Short name shown to people', max_length=120)),
                ('official_name', fields.CharField(max_length=160)),
                ('parent', fields.ForeignKeyField('models.Region', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('lat', fields.FloatField(null=True)),
                ('lon', fields.FloatField(null=True)),
            ],
            options={'table': 'region', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Kemendagri region. Its code is hierarchical by prefix: 31, 31.71, 31.71.01.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Centre',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kecamatan', fields.OneToOneField('models.Region', source_field='kecamatan_id', db_constraint=True, to_field='id', related_name='centre', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=160)),
                ('address', fields.CharField(default='', max_length=300)),
                ('contact_email', fields.CharField(null=True, description='Public contact', max_length=254)),
                ('contact_phone', fields.CharField(null=True, description='Public contact', max_length=20)),
            ],
            options={'table': 'centre', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The OK OCE centre of one kecamatan.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(default='', max_length=160)),
                ('role', fields.CharEnumField(description='ADMIN: ADMIN\nSTAFF: STAFF\nCOORDINATOR: COORDINATOR\nPARTNER: PARTNER', enum_type=Role, max_length=12)),
                ('locale', fields.CharField(default='id', max_length=5)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', null=True, db_constraint=True, to_field='id', related_name='coordinators', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person or partner app. STAFF belong to one centre, COORDINATORs to one community.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=120)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token of an account. Only the SHA-256 of the secret is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('actor', fields.ForeignKeyField('models.Account', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('actor_label', fields.CharField(default='', description='Who, kept if erased', max_length=254)),
                ('action', fields.CharField(max_length=40)),
                ('entity', fields.CharField(max_length=40)),
                ('entity_id', fields.IntField(null=True)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Who changed what and when, with the values before and after. Never edited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CommunityArea',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='areas', on_delete=OnDelete.CASCADE)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='community_areas', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'community_area', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One area a community serves: a province, kota or kecamatan. No rows: anywhere.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Mentor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=160)),
                ('email', fields.CharField(null=True, description='Personal data', max_length=254)),
                ('phone', fields.CharField(null=True, description='Personal data, E.164', max_length=20)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='mentors', on_delete=OnDelete.RESTRICT)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', null=True, db_constraint=True, to_field='id', related_name='mentors', on_delete=OnDelete.RESTRICT)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'mentor', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person who mentors entrepreneurs, for exactly one centre or one community.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Plan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('goals', fields.TextField(null=True, unique=False)),
                ('status', fields.CharEnumField(default=PlanStatus.PROPOSED, description='PROPOSED: PROPOSED\nACTIVE: ACTIVE\nDECLINED: DECLINED\nCANCELLED: CANCELLED\nCOMPLETED: COMPLETED', enum_type=PlanStatus, max_length=12)),
                ('version', fields.IntField(default=1)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='plans', on_delete=OnDelete.RESTRICT)),
                ('proposed_by', fields.ForeignKeyField('models.Account', source_field='proposed_by_id', null=True, db_constraint=True, to_field='id', related_name='proposed_plans', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'plan', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A joint mentoring plan (*rencana pendampingan bersama*) of one centre and communities.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('actor', fields.ForeignKeyField('models.Account', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='plan_events', on_delete=OnDelete.SET_NULL)),
                ('version', fields.IntField(description="The plan's version after the change")),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('details', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'plan_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One change in a plan's history, written once and never edited."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlanParty',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='parties', on_delete=OnDelete.CASCADE)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', null=True, db_constraint=True, to_field='id', related_name='parties', on_delete=OnDelete.RESTRICT)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', null=True, db_constraint=True, to_field='id', related_name='parties', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=PartyStatus.PENDING, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nDECLINED: DECLINED', enum_type=PartyStatus, max_length=10)),
                ('responded_by', fields.ForeignKeyField('models.Account', source_field='responded_by_id', null=True, db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.SET_NULL)),
                ('responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'plan_party', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One side of a plan: its centre or one of its communities.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Sector',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name', fields.CharField(description='Indonesian name', max_length=80)),
                ('name_en', fields.CharField(description='English name', max_length=80)),
                ('position', fields.IntField(default=0, description='Display order')),
            ],
            options={'table': 'sector', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A field of business, identified by a stable code such as KULINER.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Allocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.CASCADE)),
                ('mentor', fields.ForeignKeyField('models.Mentor', source_field='mentor_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('mentees', fields.IntField()),
            ],
            options={'table': 'allocation', 'app': 'models', 'pk_attr': 'id', 'table_description': "A mentor's commitment in a plan: mentees in one sector."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CommunitySector',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='sectors', on_delete=OnDelete.CASCADE)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='community_links', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'community_sector', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One sector a community works in.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Demand',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='demands', on_delete=OnDelete.CASCADE)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='demands', on_delete=OnDelete.RESTRICT)),
                ('demand', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'demand', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Entrepreneurs waiting for mentoring in one sector at one centre.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MentorSkill',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mentor', fields.ForeignKeyField('models.Mentor', source_field='mentor_id', db_constraint=True, to_field='id', related_name='skills', on_delete=OnDelete.CASCADE)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='skills', on_delete=OnDelete.RESTRICT)),
                ('capacity', fields.IntField()),
            ],
            options={'table': 'mentor_skill', 'app': 'models', 'pk_attr': 'id', 'table_description': "A mentor's capacity in one sector: how many mentees at once."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Training',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', db_constraint=True, to_field='id', related_name='trainings', on_delete=OnDelete.CASCADE)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='trainings', on_delete=OnDelete.RESTRICT)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='trainings', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('starts_at', fields.DatetimeField(description='UTC', auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(description='UTC', auto_now=False, auto_now_add=False)),
                ('venue', fields.CharField(default='', max_length=300)),
                ('capacity', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=TrainingStatus.PLANNED, description='PLANNED: PLANNED\nSCHEDULED: SCHEDULED\nCANCELLED: CANCELLED\nDONE: DONE', enum_type=TrainingStatus, max_length=10)),
                ('revision', fields.IntField(default=0, description='iCalendar SEQUENCE')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'training', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A training session on one sector, always part of a plan.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=200)),
                ('kind', fields.CharField(max_length=40)),
                ('plan', fields.ForeignKeyField('models.Plan', source_field='plan_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('training', fields.ForeignKeyField('models.Training', source_field='training_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('mentor', fields.ForeignKeyField('models.Mentor', source_field='mentor_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('recipient_email', fields.CharField(max_length=254)),
                ('recipient_name', fields.CharField(default='', max_length=160)),
                ('locale', fields.CharField(default='id', max_length=5)),
                ('mode', fields.CharEnumField(default=DeliveryMode.IMMEDIATE, description='IMMEDIATE: IMMEDIATE\nDIGEST: DIGEST\nOFF: OFF', enum_type=DeliveryMode, max_length=10)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED\nMERGED: MERGED\nSKIPPED: SKIPPED', enum_type=NotificationStatus, max_length=10)),
                ('context', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An outbox row, written in the transaction of the change it reports.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingMentor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('training', fields.ForeignKeyField('models.Training', source_field='training_id', db_constraint=True, to_field='id', related_name='mentor_links', on_delete=OnDelete.CASCADE)),
                ('mentor', fields.ForeignKeyField('models.Mentor', source_field='mentor_id', db_constraint=True, to_field='id', related_name='training_links', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'training_mentor', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A mentor who teaches a training.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingOrganiser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('training', fields.ForeignKeyField('models.Training', source_field='training_id', db_constraint=True, to_field='id', related_name='organisers', on_delete=OnDelete.CASCADE)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='organised_trainings', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'training_organiser', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A community that organises a training.'},
            bases=['Model'],
        ),
        # SQLite adds a check constraint by rebuilding the table, which drops that table's
        # indexes: so every check comes before every index and unique constraint.
        ops.AddConstraint(
            model_name='Community',
            constraint=CheckConstraint(check='member_count IS NULL OR member_count >= 0', name='community_member_count_ck'),
        ),
        ops.AddConstraint(
            model_name='Account',
            constraint=CheckConstraint(check="(role = 'STAFF' AND centre_id IS NOT NULL AND community_id IS NULL) OR (role = 'COORDINATOR' AND community_id IS NOT NULL AND centre_id IS NULL) OR (role IN ('ADMIN', 'PARTNER') AND centre_id IS NULL AND community_id IS NULL)", name='account_scope_ck'),
        ),
        ops.AddConstraint(
            model_name='Account',
            constraint=CheckConstraint(check="locale IN ('id', 'en')", name='account_locale_ck'),
        ),
        ops.AddConstraint(
            model_name='Mentor',
            constraint=CheckConstraint(check='(centre_id IS NULL) <> (community_id IS NULL)', name='mentor_one_home_ck'),
        ),
        ops.AddConstraint(
            model_name='Plan',
            constraint=CheckConstraint(check='ends_on >= starts_on', name='plan_period_ck'),
        ),
        ops.AddConstraint(
            model_name='Plan',
            constraint=CheckConstraint(check='version >= 1', name='plan_version_ck'),
        ),
        ops.AddConstraint(
            model_name='PlanParty',
            constraint=CheckConstraint(check='(centre_id IS NULL) <> (community_id IS NULL)', name='plan_party_one_side_ck'),
        ),
        ops.AddConstraint(
            model_name='Allocation',
            constraint=CheckConstraint(check='mentees >= 1', name='allocation_mentees_ck'),
        ),
        ops.AddConstraint(
            model_name='Demand',
            constraint=CheckConstraint(check='demand >= 0', name='demand_nonnegative_ck'),
        ),
        ops.AddConstraint(
            model_name='MentorSkill',
            constraint=CheckConstraint(check='capacity >= 0', name='mentor_skill_capacity_ck'),
        ),
        ops.AddConstraint(
            model_name='Training',
            constraint=CheckConstraint(check='ends_at > starts_at', name='training_period_ck'),
        ),
        ops.AddConstraint(
            model_name='Training',
            constraint=CheckConstraint(check='capacity IS NULL OR capacity >= 0', name='training_capacity_ck'),
        ),
        ops.AddConstraint(
            model_name='NotificationPreference',
            constraint=UniqueConstraint(fields=('email', 'kind')),
        ),
        ops.AddConstraint(
            model_name='CommunityArea',
            constraint=UniqueConstraint(fields=('community', 'region')),
        ),
        ops.AddConstraint(
            model_name='PlanParty',
            constraint=UniqueConstraint(fields=('plan', 'centre')),
        ),
        ops.AddConstraint(
            model_name='PlanParty',
            constraint=UniqueConstraint(fields=('plan', 'community')),
        ),
        ops.AddConstraint(
            model_name='Allocation',
            constraint=UniqueConstraint(fields=('plan', 'mentor', 'sector')),
        ),
        ops.AddConstraint(
            model_name='CommunitySector',
            constraint=UniqueConstraint(fields=('community', 'sector')),
        ),
        ops.AddConstraint(
            model_name='Demand',
            constraint=UniqueConstraint(fields=('centre', 'sector')),
        ),
        ops.AddConstraint(
            model_name='MentorSkill',
            constraint=UniqueConstraint(fields=('mentor', 'sector')),
        ),
        ops.AddConstraint(
            model_name='TrainingMentor',
            constraint=UniqueConstraint(fields=('training', 'mentor')),
        ),
        ops.AddConstraint(
            model_name='TrainingOrganiser',
            constraint=UniqueConstraint(fields=('training', 'community')),
        ),
        ops.AddIndex(
            model_name='Region',
            index=Index(fields=['level', 'parent_id']),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['centre_id']),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['community_id']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['entity', 'entity_id']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['actor_id']),
        ),
        ops.AddIndex(
            model_name='CommunityArea',
            index=Index(fields=['region_id']),
        ),
        ops.AddIndex(
            model_name='Mentor',
            index=Index(fields=['centre_id']),
        ),
        ops.AddIndex(
            model_name='Mentor',
            index=Index(fields=['community_id']),
        ),
        ops.AddIndex(
            model_name='Mentor',
            index=Index(fields=['email']),
        ),
        ops.AddIndex(
            model_name='Plan',
            index=Index(fields=['status', 'centre_id']),
        ),
        ops.AddIndex(
            model_name='PlanEvent',
            index=Index(fields=['plan_id', 'id']),
        ),
        ops.AddIndex(
            model_name='PlanParty',
            index=Index(fields=['community_id']),
        ),
        ops.AddIndex(
            model_name='PlanParty',
            index=Index(fields=['centre_id']),
        ),
        ops.AddIndex(
            model_name='Allocation',
            index=Index(fields=['mentor_id', 'sector_id']),
        ),
        ops.AddIndex(
            model_name='Training',
            index=Index(fields=['status', 'starts_at']),
        ),
        ops.AddIndex(
            model_name='Training',
            index=Index(fields=['centre_id', 'starts_at']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['status', 'due_at']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['plan_id']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['recipient_email', 'status']),
        ),
        ops.AddIndex(
            model_name='TrainingMentor',
            index=Index(fields=['mentor_id']),
        ),
    ]
