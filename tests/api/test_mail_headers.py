"""No text a caller wrote can add a header to an email or block a workflow (DESIGN section 9):
rows written before the input rules, with line breaks in names and titles, still email
cleanly, and the plan goes on."""

from __future__ import annotations

import email
import email.policy
import itertools

import pytest

from hub.notify import render
from hub.notify.render import MAIL_POLICY
from models.accounts import Account
from models.notifications import Notification, NotificationMessage
from models.plans import Plan, Training
from tests.api.plan_fixtures import World, build_world
from tests.api.test_plans import proposal
from tests.api.test_plans import propose as propose_plan
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("reference_data")

_worlds = itertools.count()
INJECTED = "x\r\nReply-To : attacker@evil.example"
RESPOND = """
mutation ($input: RespondToPlanInput!) {
  respondToPlan(input: $input) { plan { id version status } errors { code message } }
}
"""


@pytest.fixture
async def world(reference_data: None) -> World:
    return await build_world(f"mh{next(_worlds)}")


async def messages_of(plan_gid: str, world: World) -> list[email.message.EmailMessage]:
    rows = await Notification.filter(recipient_email__contains=world.tag).values_list(
        "message_id", flat=True
    )
    bodies = await NotificationMessage.filter(message_id__in=list(rows)).values_list(
        "body", flat=True
    )
    return [
        email.message_from_string(str(b), policy=email.policy.default)  # type: ignore[misc]
        for b in bodies
    ]


async def test_line_breaks_written_before_the_rules_neither_inject_nor_block(
    gql: GraphQLClient, world: World
) -> None:
    # given a proposed plan whose title, training title and a party's account name were
    # written with line breaks before the rules existed
    plan = await propose_plan(gql, world, allocations=proposal(world)["allocations"])
    assert plan["errors"] == []
    plan = plan["plan"]
    row = await Plan.get(title="Kuliner Gambir naik kelas", proposed_by__email__contains=world.tag)
    await Plan.filter(id=row.id).update(title=INJECTED)
    await Training.filter(plan_id=row.id).update(title="Foto\r\nBcc: all@evil.example")
    await Account.filter(email=f"staff.{world.tag}@test.example.org").update(
        name="Staf\r\nX-Evil: 1"
    )

    # when the other parties accept, which emails every collaborator
    for who in ["staff", "k2"]:
        body = await gql(
            RESPOND,
            {"input": {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"}},
            headers=world.headers(who),
        )
        payload = body["data"]["respondToPlan"]
        assert "errors" not in body
        assert payload["errors"] == []
        plan = payload["plan"]

    # then the plan is active and every email has exactly its own headers
    assert plan["status"] == "ACTIVE"
    messages = await messages_of(plan["id"], world)
    assert len(messages) >= 8
    for message in messages:
        assert message["Reply-To"] is None
        assert message["Bcc"] is None
        assert message["X-Evil"] is None
        assert message["Message-ID"]
        assert message["List-Unsubscribe"]
        assert "\n" not in str(message["Subject"])
    subjects = {str(m["Subject"]) for m in messages}
    assert any("x Reply-To : attacker@evil.example" in s for s in subjects)
    to_staff = [
        m
        for m in messages
        if f"staff.{world.tag}" in str(m["To"]) and "Reply-To" in str(m["Subject"])
    ]
    assert to_staff
    assert {m["To"].addresses[0].display_name for m in to_staff} == {"Staf X-Evil: 1"}


async def test_an_email_that_cannot_be_composed_fails_its_row_not_the_change(
    gql: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = (await propose_plan(gql, world, allocations=proposal(world)["allocations"]))["plan"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise ValueError("the Subject header would hold a line break")

    monkeypatch.setattr(render, "render", refuse)
    body = await gql(
        RESPOND,
        {"input": {"planId": plan["id"], "version": plan["version"], "decision": "ACCEPT"}},
        headers=world.headers("staff"),
    )

    assert body["data"]["respondToPlan"]["errors"] == []
    assert body["data"]["respondToPlan"]["plan"]["version"] == plan["version"] + 1
    failed = await Notification.filter(
        recipient_email__contains=world.tag, kind="PLAN_ANSWERED"
    ).values_list("status", "last_error")
    assert failed
    assert set(failed) == {
        ("FAILED", "cannot be rendered: the Subject header would hold a line break")
    }


def test_the_mail_policy_refuses_line_breaks_but_keeps_folds() -> None:
    message = email.message.Message(policy=MAIL_POLICY)
    message["Subject"] = "=?utf-8?b?QUJD?=\n =?utf-8?b?REVG?="  # a fold, as Header makes
    for value in ["x\r\nReply-To : attacker@evil.example", "x\nBcc: y", "x\r", "x\n"]:
        with pytest.raises(ValueError, match="line break"):
            message["Subject"] = value
