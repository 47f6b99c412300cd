"""Migration 0004 cleans single-line fields written before the input rules, on SQLite and
PostgreSQL alike: line breaks, tabs and control characters become spaces."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from hub.core.database import tortoise_config
from models.accounts import Account
from models.directory import Community, Mentor
from models.enums import CommunityKind, Role
from models.plans import Plan

pytestmark = pytest.mark.usefixtures("demo_data")

BEFORE = MigrationTarget(app_label="models", name="0003_notification_message")
LATEST = MigrationTarget(app_label="models", name="0004_single_line_fields")


async def migrate(target: MigrationTarget) -> None:
    executor = MigrationExecutor(connections.get("default"), tortoise_config("")["apps"])
    await executor.migrate([target])


async def test_rows_written_before_the_rules_are_cleaned() -> None:
    # given rows written before 0004, with line breaks and control characters
    await migrate(BEFORE)
    plan = await Plan.all().order_by("id").first()
    assert plan is not None
    await Plan.filter(id=plan.id).update(title="x\r\nReply-To : attacker@evil.example")
    account = await Account.create(
        email="lama@test.example.org", role=Role.PARTNER, name="Akun\tLama\x07"
    )
    mentor = await Mentor.filter().order_by("id").first()
    assert mentor is not None
    await Mentor.filter(id=mentor.id).update(name="Siti\nRahma")
    await Community.create(name="Kopi Baru", kind=CommunityKind.SECTOR)
    twin = await Community.create(name="Kopi\r\nBaru", kind=CommunityKind.SECTOR)
    goals = "Satu.\nDua."
    await Plan.filter(id=plan.id).update(goals=goals)

    # when the migration runs
    await migrate(LATEST)

    # then each single-line value is one line, multi-line text keeps its lines
    cleaned = await Plan.get(id=plan.id)
    assert cleaned.title == "x Reply-To : attacker@evil.example"
    assert cleaned.goals == goals
    assert (await Account.get(id=account.id)).name == "Akun Lama"
    assert (await Mentor.get(id=mentor.id)).name == "Siti Rahma"
    assert (await Community.get(id=twin.id)).name == f"Kopi Baru ({twin.id})"
