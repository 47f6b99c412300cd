from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Free places per community and sector, kept by the database itself: row triggers on the four
# tables the figure is computed from (mentor, mentor_skill, allocation, plan) add to
# community_free_place what each change moves, so that every writer (the services, the CSV
# import, the seeds' bulk inserts, a direct ORM or SQL write) keeps it, in its own transaction.
#
# free(K, s) = sum over K's active mentors of max(0, capacity - used), used = mentees of the
# mentor in s held by PROPOSED or ACTIVE plans. Each trigger runs AFTER the row change, reads
# `used` as it is now, and adds part(now) - part(before), where part = max(0, capacity - used)
# and `before` is `used` undone by the change: exact, floor included. Only UPDATEs that add
# move the figures; rows are created (at 0) where a mentor's skill starts to count, never when
# rows go away, so emptying the tables leaves nothing behind.
#
# Everything here is written out on purpose (a migration must not change when the hub's code
# does); hub.matching.places holds the same full computation and checks the kept rows.

OPEN = "('PROPOSED', 'ACTIVE')"
TABLE = "community_free_place"


def used(mentor, sector):
    return (
        "(SELECT COALESCE(SUM(ua.mentees), 0) FROM allocation ua JOIN plan up ON up.id = ua.plan_id "
        f"WHERE ua.mentor_id = {mentor} AND ua.sector_id = {sector} AND up.status IN {OPEN})"
    )


def part(capacity, taken):
    return f"(CASE WHEN {capacity} > {taken} THEN {capacity} - {taken} ELSE 0 END)"


def community_of(mentor):
    return f"(SELECT um.community_id FROM mentor um WHERE um.id = {mentor} AND um.active)"


def plan_open(plan):
    return f"EXISTS (SELECT 1 FROM plan op WHERE op.id = {plan} AND op.status IN {OPEN})"


def used_moved(mentor, sector, before, condition="1 = 1"):
    """The figure of (mentor's community, sector) after `used` changed from `before` (an
    expression of {U}, the used now) to now."""
    now = used(mentor, sector)
    then = before.format(U=now)
    return (
        f"UPDATE {TABLE} SET free = free + COALESCE((SELECT {part('k.capacity', now)} - "
        f"{part('k.capacity', then)} FROM mentor_skill k WHERE k.mentor_id = {mentor} "
        f"AND k.sector_id = {sector}), 0) "
        f"WHERE sector_id = {sector} AND community_id = {community_of(mentor)} AND {condition}"
    )


def ensure(postgres, community, sector, source, condition):
    """Rows (at 0) for a mentor's skills that start to count. (On SQLite not with INSERT OR
    IGNORE: in a trigger, the outer statement's conflict handling would replace it.)"""
    missing = (
        f"NOT EXISTS (SELECT 1 FROM {TABLE} x WHERE x.community_id = {community} "
        f"AND x.sector_id = {sector})"
    )
    conflict = " ON CONFLICT (community_id, sector_id) DO NOTHING" if postgres else ""
    return (
        f"INSERT INTO {TABLE} (community_id, sector_id, free) "
        f"SELECT {community}, {sector}, 0 {source} WHERE {condition} AND {missing}{conflict}"
    )


def skill_counted(postgres, mentor, sector, capacity, sign):
    statements = []
    if sign > 0:
        statements.append(
            ensure(
                postgres,
                "m.community_id",
                sector,
                f"FROM mentor m",
                f"m.id = {mentor} AND m.active AND m.community_id IS NOT NULL",
            )
        )
    statements.append(
        f"UPDATE {TABLE} SET free = free {'+' if sign > 0 else '-'} "
        f"{part(capacity, used(mentor, sector))} "
        f"WHERE sector_id = {sector} AND community_id = {community_of(mentor)}"
    )
    return statements


def mentor_counted(postgres, row, sign):
    """Add (sign 1) or take away (-1) every skill of the mentor, as `row` (NEW or OLD) has its
    community and active flag."""
    skills = (
        f"SELECT COALESCE(SUM({part('k.capacity', used('k.mentor_id', 'k.sector_id'))}), 0) "
        f"FROM mentor_skill k WHERE k.mentor_id = NEW.id AND k.sector_id = {TABLE}.sector_id"
    )
    statements = []
    if sign > 0:
        statements.append(
            ensure(
                postgres,
                f"{row}.community_id",
                "k.sector_id",
                "FROM mentor_skill k",
                f"k.mentor_id = NEW.id AND {row}.active AND {row}.community_id IS NOT NULL",
            )
        )
    statements.append(
        f"UPDATE {TABLE} SET free = free {'+' if sign > 0 else '-'} ({skills}) "
        f"WHERE {row}.active AND community_id = {row}.community_id "
        f"AND sector_id IN (SELECT sk.sector_id FROM mentor_skill sk WHERE sk.mentor_id = NEW.id)"
    )
    return statements


def plan_moved():
    """A plan that starts or stops holding its mentors: each of its (mentor, sector) moves by
    the mentees the plan holds there."""
    sign = f"(CASE WHEN NEW.status IN {OPEN} THEN 1 ELSE -1 END)"
    now = used("x.mentor_id", "x.sector_id")
    then = f"({now} - {sign} * x.held)"
    return (
        f"UPDATE {TABLE} SET free = free + (SELECT COALESCE(SUM({part('k.capacity', now)} - "
        f"{part('k.capacity', then)}), 0) FROM (SELECT a.mentor_id, a.sector_id, "
        "SUM(a.mentees) AS held FROM allocation a WHERE a.plan_id = NEW.id "
        "GROUP BY a.mentor_id, a.sector_id) x JOIN mentor m ON m.id = x.mentor_id "
        "JOIN mentor_skill k ON k.mentor_id = x.mentor_id AND k.sector_id = x.sector_id "
        f"WHERE m.active AND m.community_id = {TABLE}.community_id "
        f"AND x.sector_id = {TABLE}.sector_id) "
        "WHERE EXISTS (SELECT 1 FROM allocation a JOIN mentor m ON m.id = a.mentor_id "
        f"WHERE a.plan_id = NEW.id AND m.community_id = {TABLE}.community_id "
        f"AND a.sector_id = {TABLE}.sector_id)"
    )


def triggers(postgres):
    """(name, table, event, condition or None, statements)"""
    same = "OLD.mentor_id = NEW.mentor_id AND OLD.sector_id = NEW.sector_id"
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    return [
        (
            "free_places_allocation_insert",
            "allocation",
            "INSERT",
            None,
            [
                used_moved(
                    "NEW.mentor_id", "NEW.sector_id", "({U} - NEW.mentees)", plan_open("NEW.plan_id")
                )
            ],
        ),
        (
            "free_places_allocation_delete",
            "allocation",
            "DELETE",
            None,
            [
                used_moved(
                    "OLD.mentor_id", "OLD.sector_id", "({U} + OLD.mentees)", plan_open("OLD.plan_id")
                )
            ],
        ),
        (
            "free_places_allocation_update",
            "allocation",
            "UPDATE",
            None,
            [
                used_moved(
                    "OLD.mentor_id",
                    "OLD.sector_id",
                    f"({{U}} - (CASE WHEN {same} AND {plan_open('NEW.plan_id')} "
                    f"THEN NEW.mentees ELSE 0 END) + (CASE WHEN {plan_open('OLD.plan_id')} "
                    "THEN OLD.mentees ELSE 0 END))",
                ),
                used_moved(
                    "NEW.mentor_id",
                    "NEW.sector_id",
                    f"({{U}} - (CASE WHEN {plan_open('NEW.plan_id')} THEN NEW.mentees ELSE 0 END))",
                    f"NOT ({same})",
                ),
            ],
        ),
        (
            "free_places_plan_status",
            "plan",
            "UPDATE OF status",
            f"(OLD.status IN {OPEN}) <> (NEW.status IN {OPEN})",
            [plan_moved()],
        ),
        (
            "free_places_skill_insert",
            "mentor_skill",
            "INSERT",
            None,
            skill_counted(postgres, "NEW.mentor_id", "NEW.sector_id", "NEW.capacity", 1),
        ),
        (
            "free_places_skill_delete",
            "mentor_skill",
            "DELETE",
            None,
            skill_counted(postgres, "OLD.mentor_id", "OLD.sector_id", "OLD.capacity", -1),
        ),
        (
            "free_places_skill_update",
            "mentor_skill",
            "UPDATE",
            None,
            skill_counted(postgres, "OLD.mentor_id", "OLD.sector_id", "OLD.capacity", -1)
            + skill_counted(postgres, "NEW.mentor_id", "NEW.sector_id", "NEW.capacity", 1),
        ),
        (
            "free_places_plan_delete",
            "plan",
            "DELETE",
            None,
            # before the row goes, while the plan still holds its mentors: its allocations go
            # first, each through the allocation trigger (a cascade would come too late)
            ["DELETE FROM allocation WHERE plan_id = OLD.id"],
        ),
        (
            "free_places_mentor_delete",
            "mentor",
            "DELETE",
            None,
            ["DELETE FROM mentor_skill WHERE mentor_id = OLD.id"],
        ),
        (
            "free_places_mentor_update",
            "mentor",
            "UPDATE OF active, community_id",
            f"OLD.active {differs} NEW.active OR OLD.community_id {differs} NEW.community_id",
            mentor_counted(postgres, "OLD", -1) + mentor_counted(postgres, "NEW", 1),
        ),
    ]


SUPPLY = "centre_supply"


def supply_ensure(postgres, source_columns, source, condition):
    centre, sector = (c.strip() for c in source_columns.split(","))
    missing = (
        f"NOT EXISTS (SELECT 1 FROM {SUPPLY} x WHERE x.centre_id = {centre} "
        f"AND x.sector_id = {sector})"
    )
    conflict = " ON CONFLICT (centre_id, sector_id) DO NOTHING" if postgres else ""
    return (
        f"INSERT INTO {SUPPLY} (centre_id, sector_id, demand, supply) "
        f"SELECT DISTINCT {source_columns}, 0, 0 {source} WHERE {condition} AND {missing}"
        f"{conflict}"
    )


def own_centre(mentor):
    return f"(SELECT um.centre_id FROM mentor um WHERE um.id = {mentor} AND um.active)"


def skill_supplied(postgres, row, sign):
    """A centre mentor's skill counts in its centre's supply."""
    statements = []
    if sign > 0:
        statements.append(
            supply_ensure(
                postgres,
                f"m.centre_id, {row}.sector_id",
                "FROM mentor m",
                f"m.id = {row}.mentor_id AND m.active AND m.centre_id IS NOT NULL",
            )
        )
    statements.append(
        f"UPDATE {SUPPLY} SET supply = supply {'+' if sign > 0 else '-'} {row}.capacity "
        f"WHERE sector_id = {row}.sector_id AND centre_id = {own_centre(row + '.mentor_id')}"
    )
    return statements


def active_plan_centre(row):
    """The centre of the allocation's plan when the plan is ACTIVE and its mentor an active
    community mentor (whose mentees add to that centre's supply)."""
    return (
        f"(SELECT p.centre_id FROM plan p JOIN mentor m ON m.id = {row}.mentor_id "
        f"WHERE p.id = {row}.plan_id AND p.status = 'ACTIVE' AND m.active "
        "AND m.community_id IS NOT NULL)"
    )


def allocation_supplied(postgres, row, sign):
    statements = []
    if sign > 0:
        statements.append(
            supply_ensure(
                postgres,
                f"p.centre_id, {row}.sector_id",
                f"FROM plan p JOIN mentor m ON m.id = {row}.mentor_id",
                f"p.id = {row}.plan_id AND p.status = 'ACTIVE' AND m.active "
                "AND m.community_id IS NOT NULL",
            )
        )
    statements.append(
        f"UPDATE {SUPPLY} SET supply = supply {'+' if sign > 0 else '-'} {row}.mentees "
        f"WHERE sector_id = {row}.sector_id AND centre_id = {active_plan_centre(row)}"
    )
    return statements


def plan_supplied(postgres):
    """A plan that becomes ACTIVE, or stops being it: its community mentors' mentees."""
    sign = "(CASE WHEN NEW.status = 'ACTIVE' THEN 1 ELSE -1 END)"
    mentees = (
        "SELECT COALESCE(SUM(a.mentees), 0) FROM allocation a JOIN mentor m ON m.id = a.mentor_id "
        "WHERE a.plan_id = NEW.id AND m.active AND m.community_id IS NOT NULL "
        f"AND a.sector_id = {SUPPLY}.sector_id"
    )
    return [
        supply_ensure(
            postgres,
            "NEW.centre_id, a.sector_id",
            "FROM allocation a JOIN mentor m ON m.id = a.mentor_id",
            "a.plan_id = NEW.id AND m.active AND m.community_id IS NOT NULL "
            "AND NEW.status = 'ACTIVE'",
        ),
        f"UPDATE {SUPPLY} SET supply = supply + {sign} * ({mentees}) WHERE centre_id = "
        "NEW.centre_id AND sector_id IN (SELECT a.sector_id FROM allocation a "
        "WHERE a.plan_id = NEW.id)",
    ]


def mentor_supplied(postgres, row, sign):
    """Everything a mentor adds to supplies, as `row` has its home and active flag: its own
    capacity to its centre, or its mentees in ACTIVE plans to those plans' centres."""
    op = "+" if sign > 0 else "-"
    capacity = (
        "SELECT COALESCE(SUM(k.capacity), 0) FROM mentor_skill k WHERE k.mentor_id = NEW.id "
        f"AND k.sector_id = {SUPPLY}.sector_id"
    )
    held = (
        "FROM allocation a JOIN plan p ON p.id = a.plan_id WHERE a.mentor_id = NEW.id "
        f"AND p.status = 'ACTIVE' AND p.centre_id = {SUPPLY}.centre_id "
        f"AND a.sector_id = {SUPPLY}.sector_id"
    )
    statements = []
    if sign > 0:
        statements += [
            supply_ensure(
                postgres,
                f"{row}.centre_id, k.sector_id",
                "FROM mentor_skill k",
                f"k.mentor_id = NEW.id AND {row}.active AND {row}.centre_id IS NOT NULL",
            ),
            supply_ensure(
                postgres,
                "p.centre_id, a.sector_id",
                "FROM allocation a JOIN plan p ON p.id = a.plan_id",
                f"a.mentor_id = NEW.id AND p.status = 'ACTIVE' AND {row}.active "
                f"AND {row}.community_id IS NOT NULL",
            ),
        ]
    statements += [
        f"UPDATE {SUPPLY} SET supply = supply {op} ({capacity}) WHERE {row}.active "
        f"AND centre_id = {row}.centre_id AND sector_id IN "
        "(SELECT sk.sector_id FROM mentor_skill sk WHERE sk.mentor_id = NEW.id)",
        f"UPDATE {SUPPLY} SET supply = supply {op} (SELECT COALESCE(SUM(a.mentees), 0) {held}) "
        f"WHERE {row}.active AND {row}.community_id IS NOT NULL AND EXISTS (SELECT 1 {held})",
    ]
    return statements


def supply_triggers(postgres):
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    changed = " OR ".join(
        f"OLD.{c} {differs} NEW.{c}" for c in ("active", "centre_id", "community_id")
    )
    return [
        ("supply_skill_insert", "mentor_skill", "INSERT", None,
         skill_supplied(postgres, "NEW", 1)),
        ("supply_skill_delete", "mentor_skill", "DELETE", None,
         skill_supplied(postgres, "OLD", -1)),
        ("supply_skill_update", "mentor_skill", "UPDATE", None,
         skill_supplied(postgres, "OLD", -1) + skill_supplied(postgres, "NEW", 1)),
        ("supply_allocation_insert", "allocation", "INSERT", None,
         allocation_supplied(postgres, "NEW", 1)),
        ("supply_allocation_delete", "allocation", "DELETE", None,
         allocation_supplied(postgres, "OLD", -1)),
        ("supply_allocation_update", "allocation", "UPDATE", None,
         allocation_supplied(postgres, "OLD", -1) + allocation_supplied(postgres, "NEW", 1)),
        ("supply_plan_status", "plan", "UPDATE OF status",
         "(OLD.status = 'ACTIVE') <> (NEW.status = 'ACTIVE')", plan_supplied(postgres)),
        ("supply_mentor_update", "mentor", "UPDATE OF active, centre_id, community_id", changed,
         mentor_supplied(postgres, "OLD", -1) + mentor_supplied(postgres, "NEW", 1)),
    ]


BEFORE = ("free_places_plan_delete", "free_places_mentor_delete")


def trigger_sql(postgres):
    script = []
    for name, table, event, condition, statements in (
        triggers(postgres) + supply_triggers(postgres) + demand_triggers(postgres)
    ):
        when = f" WHEN ({condition})" if condition else ""
        body = "".join(f"{s};\n" for s in statements)
        timing = "BEFORE" if name in BEFORE else "AFTER"
        if postgres:
            result = "OLD" if name in BEFORE else "NULL"
            script.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
                f"BEGIN\n{body}RETURN {result};\nEND\n$body$"
            )
            script.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            script.append(
                f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            script.append(f"DROP TRIGGER IF EXISTS {name}")
            script.append(
                f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW{when}\n"
                f"BEGIN\n{body}END"
            )
    return script


FILL = (
    f"INSERT INTO {TABLE} (community_id, sector_id, free) "
    "SELECT m.community_id, k.sector_id, SUM(CASE WHEN k.capacity > COALESCE(u.used, 0) "
    "THEN k.capacity - COALESCE(u.used, 0) ELSE 0 END) "
    "FROM mentor m JOIN mentor_skill k ON k.mentor_id = m.id "
    "LEFT JOIN (SELECT a.mentor_id, a.sector_id, SUM(a.mentees) AS used "
    "FROM allocation a JOIN plan p ON p.id = a.plan_id "
    f"WHERE p.status IN {OPEN} GROUP BY a.mentor_id, a.sector_id) u "
    "ON u.mentor_id = k.mentor_id AND u.sector_id = k.sector_id "
    "WHERE m.active AND m.community_id IS NOT NULL "
    "GROUP BY m.community_id, k.sector_id"
)


FILL_SUPPLY = (
    f"INSERT INTO {SUPPLY} (centre_id, sector_id, demand, supply) "
    "SELECT x.centre_id, x.sector_id, SUM(x.demand), SUM(x.amount) FROM ("
    "SELECT d.centre_id, d.sector_id, d.demand, 0 AS amount FROM demand d "
    "UNION ALL "
    "SELECT m.centre_id, k.sector_id, 0 AS demand, k.capacity AS amount FROM mentor m "
    "JOIN mentor_skill k ON k.mentor_id = m.id WHERE m.active AND m.centre_id IS NOT NULL "
    "UNION ALL "
    "SELECT p.centre_id, a.sector_id, 0 AS demand, a.mentees AS amount FROM plan p "
    "JOIN allocation a ON a.plan_id = p.id JOIN mentor m ON m.id = a.mentor_id "
    "WHERE p.status = 'ACTIVE' AND m.active AND m.community_id IS NOT NULL"
    ") x GROUP BY x.centre_id, x.sector_id"
)

GAP_OF = "(CASE WHEN {r}.demand > {r}.supply THEN {r}.demand - {r}.supply ELSE 0 END)"

FILL_GAP = (
    "INSERT INTO centre_gap (centre_id, gap) "
    f"SELECT centre_id, SUM({GAP_OF.format(r=SUPPLY)}) FROM {SUPPLY} GROUP BY centre_id"
)


def demand_triggers(postgres):
    """Demand into centre_supply.demand; every change of a (centre, sector) row's demand or
    supply into the centre's total gap (centre_gap)."""
    ensure_gap = (
        "INSERT INTO centre_gap (centre_id, gap) SELECT NEW.centre_id, 0 WHERE NOT EXISTS "
        "(SELECT 1 FROM centre_gap x WHERE x.centre_id = NEW.centre_id)"
        + (" ON CONFLICT (centre_id) DO NOTHING" if postgres else "")
    )

    def moved(row, sign):
        statements = []
        if sign > 0:
            statements.append(
                supply_ensure(postgres, f"{row}.centre_id, {row}.sector_id", "", "1 = 1")
            )
        statements.append(
            f"UPDATE {SUPPLY} SET demand = demand {'+' if sign > 0 else '-'} {row}.demand "
            f"WHERE centre_id = {row}.centre_id AND sector_id = {row}.sector_id"
        )
        return statements

    return [
        ("demand_insert", "demand", "INSERT", None, moved("NEW", 1)),
        ("demand_delete", "demand", "DELETE", None, moved("OLD", -1)),
        ("demand_update", "demand", "UPDATE", None, moved("OLD", -1) + moved("NEW", 1)),
        (
            "gap_supply_insert",
            SUPPLY,
            "INSERT",
            None,
            [
                ensure_gap,
                f"UPDATE centre_gap SET gap = gap + {GAP_OF.format(r='NEW')} "
                "WHERE centre_id = NEW.centre_id",
            ],
        ),
        (
            "gap_supply_update",
            SUPPLY,
            "UPDATE",
            None,
            [
                f"UPDATE centre_gap SET gap = gap - {GAP_OF.format(r='OLD')} "
                "WHERE centre_id = OLD.centre_id",
                ensure_gap,
                f"UPDATE centre_gap SET gap = gap + {GAP_OF.format(r='NEW')} "
                "WHERE centre_id = NEW.centre_id",
            ],
        ),
        (
            "gap_supply_delete",
            SUPPLY,
            "DELETE",
            None,
            [
                f"UPDATE centre_gap SET gap = gap - {GAP_OF.format(r='OLD')} "
                "WHERE centre_id = OLD.centre_id"
            ],
        ),
    ]


async def keep_free_places(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_query(f"DELETE FROM {TABLE}")
    await client.execute_query(FILL)
    await client.execute_query(f"DELETE FROM {SUPPLY}")
    await client.execute_query(FILL_SUPPLY)
    await client.execute_query("DELETE FROM centre_gap")
    await client.execute_query(FILL_GAP)
    for statement in trigger_sql(postgres):
        await client.execute_script(statement)


async def drop_triggers(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for name, table, *_ in triggers(postgres) + supply_triggers(postgres) + demand_triggers(
        postgres
    ):
        if postgres:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            await client.execute_script(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [('models', '0009_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommunityFreePlaces',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('models.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='free_places', on_delete=OnDelete.CASCADE)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='free_places', on_delete=OnDelete.RESTRICT)),
                ('free', fields.IntField(default=0)),
            ],
            options={'table': 'community_free_place', 'app': 'models', 'unique_together': (('community', 'sector'),), 'pk_attr': 'id', 'table_description': "A community's free places in one sector, kept up to date by every write."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CentreSupply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.ForeignKeyField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='supplies', on_delete=OnDelete.CASCADE)),
                ('sector', fields.ForeignKeyField('models.Sector', source_field='sector_id', db_constraint=True, to_field='id', related_name='supplies', on_delete=OnDelete.RESTRICT)),
                ('demand', fields.IntField(default=0, description="The demand row's figure, or 0")),
                ('supply', fields.IntField(default=0)),
            ],
            options={'table': 'centre_supply', 'app': 'models', 'unique_together': (('centre', 'sector'),), 'pk_attr': 'id', 'table_description': "A centre's supply in one sector, kept up to date by every write."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CentreGap',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('centre', fields.OneToOneField('models.Centre', source_field='centre_id', db_constraint=True, to_field='id', related_name='gap', on_delete=OnDelete.CASCADE)),
                ('gap', fields.IntField(default=0)),
            ],
            options={'table': 'centre_gap', 'app': 'models', 'pk_attr': 'id', 'table_description': "A centre's total gap over every sector, kept up to date by every write."},
            bases=['Model'],
        ),
        ops.RunPython(keep_free_places, reverse_code=drop_triggers),
    ]
