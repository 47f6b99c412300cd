"""Migration 0004 cleans single-line fields written before the input rules, on SQLite and
PostgreSQL alike: line breaks, tabs and control characters become spaces."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tortoise import connections
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from hub.core import encode_global_id
from hub.core.database import tortoise_config
from models.accounts import Account
from models.directory import Community, Mentor
from models.enums import CommunityKind, NotificationStatus, PlanStatus, Role
from models.notifications import Notification, NotificationMessage
from models.plans import Plan
from tests.conftest import GraphQLClient, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

RESPOND = """
mutation ($input: RespondToPlanInput!) { respondToPlan(input: $input) { errors { code } } }
"""
BEFORE = MigrationTarget(app_label="models", name="0003_notification_message")
LATEST = MigrationTarget(app_label="models", name="0004_single_line_fields")


async def migrate(target: MigrationTarget | None = None) -> None:
    """To `target`, or (None) through every migration, as the session's database was."""
    executor = MigrationExecutor(connections.get("default"), tortoise_config("")["apps"])
    await executor.migrate([target] if target else None)


@pytest.fixture
async def back_to_the_latest_schema() -> AsyncIterator[None]:
    yield
    await migrate()


@pytest.mark.usefixtures("back_to_the_latest_schema")
async def test_rows_written_before_the_rules_are_cleaned(gql: GraphQLClient) -> None:
    # given unsent emails (the Gambir centre declines the demo's proposed plan)
    proposed = await Plan.get(centre__kecamatan__code="31.71.01", status=PlanStatus.PROPOSED)
    tokens = await make_tokens(staff_centre="31.71.01")
    answer = {
        "planId": encode_global_id("Plan", proposed.id),
        "version": proposed.version,
        "decision": "DECLINE",
    }
    body = await gql(RESPOND, {"input": answer}, headers=tokens.headers("staff"))
    assert body["data"]["respondToPlan"]["errors"] == []
    # and rows written before 0004, with line breaks and control characters
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
    unsent = await Notification.filter(status=NotificationStatus.PENDING).order_by("id").first()
    assert unsent is not None
    assert await NotificationMessage.filter(message_id=unsent.message_id).exists()
    unsent.context["plan"]["title"] = "x\r\nReply-To : attacker@evil.example"
    await Notification.filter(id=unsent.id).update(context=unsent.context)
    untouched = (
        await Notification.filter(status=NotificationStatus.PENDING)
        .exclude(id=unsent.id)
        .values_list("message_id", flat=True)
    )

    # when the migration runs
    await migrate(LATEST)

    # then each single-line value is one line, multi-line text keeps its lines
    cleaned = await Plan.get(id=plan.id)
    assert cleaned.title == "x Reply-To : attacker@evil.example"
    assert cleaned.goals == goals
    assert (await Account.get(id=account.id)).name == "Akun Lama"
    assert (await Mentor.get(id=mentor.id)).name == "Siti Rahma"
    assert (await Community.get(id=twin.id)).name == f"Kopi Baru ({twin.id})"
    # and an unsent email of such a title is cleaned, to be rendered anew when it goes
    cleaned_unsent = await Notification.get(id=unsent.id)
    assert cleaned_unsent.context["plan"]["title"] == "x Reply-To : attacker@evil.example"
    assert not await NotificationMessage.filter(message_id=unsent.message_id).exists()
    assert await NotificationMessage.filter(message_id__in=list(untouched)).count() == len(
        untouched
    )
