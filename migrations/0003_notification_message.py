from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_data_version_row')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NotificationMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=200)),
                ('body', fields.TextField(description='RFC 5322 text, 7-bit, CRLF line ends', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The finished email of an immediate notification, rendered when the row was written.'},
            bases=['Model'],
        ),
    ]
