"""The README's walkthrough works as written, on the Jakarta demo: its operations are read from
README.md itself, so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hub.access import create_token
from hub.seed.demo import DEMO_ACCOUNTS
from tests.conftest import GraphQLClient

pytestmark = pytest.mark.usefixtures("demo_data")

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Operations by step name, and the JSON variables that follow a step's operation."""
    text = README.read_text("utf-8")
    operations: dict[str, str] = {}
    variables: dict[str, dict[str, Any]] = {}
    pattern = re.compile(
        r"<!-- walkthrough:(?P<name>[\w-]+) -->\n```graphql\n(?P<op>.*?)```"
        r"(?:\s*```json\n(?P<json>.*?)```)?",
        re.S,
    )
    for match in pattern.finditer(text):
        operations[match["name"]] = match["op"]
        if match["json"]:
            variables[match["name"]] = json.loads(match["json"])
    return operations, variables


def fill(value: Any, placeholders: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    if isinstance(value, str) and value in placeholders:
        return placeholders[value]
    return value


async def _headers(role: str) -> dict[str, str]:
    email, _, role_value, centre, _community = next(a for a in DEMO_ACCOUNTS if a[2].value == role)
    from models.accounts import Account

    account = await Account.get(email=email)
    issued = await create_token(
        email=email, role=role_value, centre_code=centre, community_id=account.community_id
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def _kuliner(body: dict[str, Any]) -> dict[str, int]:
    needs = body["data"]["kecamatan"]["needs"]
    return next(n for n in needs if n["sector"]["code"] == "KULINER")


async def test_the_walkthrough_works_as_written(gql: GraphQLClient) -> None:
    operations, variables = walkthrough()
    assert set(operations) == {
        "complements",
        "my-mentors",
        "propose",
        "waiting",
        "accept",
        "training",
        "register",
        "cancel",
        "interest",
    }
    coordinator = await _headers("COORDINATOR")
    staff = await _headers("STAFF")

    # 1. Complements of Gambir, by anyone.
    before = await gql(operations["complements"])
    assert "errors" not in before
    need = _kuliner(before)
    assert need["demand"] == 60
    assert need["gap"] > 10
    complements = before["data"]["kecamatan"]["complements"]
    # The coordinator's community heads the list, as the story goes on with it.
    assert complements[0]["community"]["name"] == "Komunitas Kuliner Nusantara"
    assert complements[0]["reach"] == "KECAMATAN"
    assert complements[0]["score"] > complements[1]["score"]
    assert complements[0]["sectors"][0]["sector"]["code"] == "KULINER"

    # 2. The coordinator's community and mentors with free places.
    mine = (await gql(operations["my-mentors"], headers=coordinator))["data"]["viewer"]
    community = mine["community"]
    assert community["name"] == "Komunitas Kuliner Nusantara"
    free = [
        edge["node"]["id"]
        for edge in community["mentors"]["edges"]
        if any(s["sector"]["code"] == "KULINER" and s["free"] >= 5 for s in edge["node"]["skills"])
    ]
    assert len(free) >= 2

    # 3. Propose, with the README's variables.
    placeholders = {
        "<community id>": community["id"],
        "<first mentor id>": free[0],
        "<second mentor id>": free[1],
    }
    proposed = await gql(
        operations["propose"], fill(variables["propose"], placeholders), headers=coordinator
    )
    payload = proposed["data"]["proposePlan"]
    assert payload["errors"] == []
    assert (payload["plan"]["status"], payload["plan"]["version"]) == ("PROPOSED", 1)
    assert [p["status"] for p in payload["plan"]["parties"]] == ["PENDING", "ACCEPTED"]

    # 4. The staff finds it waiting, and accepts it.
    waiting = await gql(operations["waiting"], headers=staff)
    # Only the plan the story made waits for the staff's answer.
    [plan] = [e["node"] for e in waiting["data"]["plans"]["edges"]]
    assert (plan["title"], plan["version"], plan["status"]) == (
        "Kuliner Gambir naik kelas",
        1,
        "PROPOSED",
    )
    accepted = await gql(
        operations["accept"],
        fill(variables["accept"], {"<plan id>": plan["id"]}),
        headers=staff,
    )
    payload = accepted["data"]["respondToPlan"]
    assert payload["errors"] == []
    assert (payload["plan"]["status"], payload["plan"]["version"]) == ("ACTIVE", 2)
    assert payload["plan"]["trainings"] == [{"title": "Foto produk kuliner", "status": "SCHEDULED"}]

    # 5. The gap shrank by the plan's ten mentees.
    after = _kuliner(await gql(operations["complements"]))
    assert after["supply"] == need["supply"] + 10
    assert after["gap"] == need["gap"] - 10

    # 6. The partner app finds the training and its public figures.
    partner = await _headers("PARTNER")
    (edge,) = (await gql(operations["training"]))["data"]["trainings"]["edges"]
    training = edge["node"]
    assert (training["capacity"], training["registeredCount"], training["placesLeft"]) == (2, 0, 2)

    # 7. Three residents for two places: the third waits.
    register = variables["register"]
    answers = []
    for n in range(3):
        values = fill(register, {"<training id>": training["id"]})
        values["input"]["participant"]["name"] = f"Warga Gambir {n}"
        values["input"]["participant"]["phone"] = f"0812-3456-78{n:02d}"
        values["input"]["idempotencyKey"] = f"mitra-{n:04d}"
        body = await gql(operations["register"], values, headers=partner)
        answers.append(body["data"]["registerForTraining"])
    assert [a["errors"] for a in answers] == [[], [], []]
    assert [(a["registration"]["status"], a["registration"]["position"]) for a in answers] == [
        ("CONFIRMED", None),
        ("CONFIRMED", None),
        ("WAITLISTED", 1),
    ]
    assert answers[0]["registration"]["participant"]["phone"] == "+6281234567800"

    # 8. A cancellation promotes the first on the waitlist.
    cancelled = await gql(
        operations["cancel"],
        fill(variables["cancel"], {"<registration id>": answers[0]["registration"]["id"]}),
        headers=partner,
    )
    assert cancelled["data"]["cancelRegistration"]["errors"] == []
    (edge,) = (await gql(operations["training"]))["data"]["trainings"]["edges"]
    assert (edge["node"]["registeredCount"], edge["node"]["waitlistCount"]) == (2, 0)

    # 9. The staff see the revealed demand grow: a waitlisted resident is waiting no more, a
    # resident who asked for a training is.
    before = _kuliner(await gql(operations["complements"], headers=staff))
    assert before["waiting"] == 0
    interest = await gql(operations["interest"], variables["interest"], headers=partner)
    payload = interest["data"]["expressInterest"]
    assert payload["errors"] == []
    assert payload["need"]["sector"]["code"] == "KULINER"
    assert payload["need"]["waiting"] == 1
    assert payload["need"]["demand"] == before["demand"]
    after = _kuliner(await gql(operations["complements"], headers=staff))
    assert (after["waiting"], after["demand"], after["gap"]) == (1, before["demand"], before["gap"])
