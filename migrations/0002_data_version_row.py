from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    # The one row that every write moves forward (hub/dataversion.py). Standard SQL, so the
    # same statement serves SQLite and PostgreSQL.
    operations = [
        ops.RunSQL(
            "INSERT INTO data_version (id, value) VALUES (1, 0)",
            reverse_sql="DELETE FROM data_version WHERE id = 1",
        ),
    ]
