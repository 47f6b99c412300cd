"""Every directory change is audited and moves the data version, in its own transaction; admins
read the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from hub.core import encode_global_id
from models.accounts import Account
from models.audit import AuditEntry
from tests.api.directory_fixtures import (
    ROLES,
    Directory,
    audit_count,
    directory_world,
    mentor_id,
    new_mentor,
    unique,
    version,
)
from tests.conftest import GraphQLClient, count_statements, errors_of

pytestmark = pytest.mark.usefixtures("demo_data")

CREATE_COMMUNITY = """
mutation ($input: CreateCommunityInput!) {
  createCommunity(input: $input) { community { id } errors { code } }
}
"""
UPDATE_COMMUNITY = """
mutation ($input: UpdateCommunityInput!) {
  updateCommunity(input: $input) { community { id } errors { code } }
}
"""
CREATE_MENTOR = """
mutation ($input: CreateMentorInput!) {
  createMentor(input: $input) { mentor { id } errors { code } }
}
"""
UPDATE_MENTOR = """
mutation ($input: UpdateMentorInput!) {
  updateMentor(input: $input) { mentor { id } errors { code } }
}
"""
DEACTIVATE_MENTOR = """
mutation ($input: DeactivateMentorInput!) {
  deactivateMentor(input: $input) { mentor { id } errors { code } }
}
"""
SET_DEMAND = """
mutation ($input: SetDemandInput!) {
  setDemand(input: $input) { need { demand } errors { code } }
}
"""

AUDIT_LOG = """
query ($filter: AuditLogFilter, $first: Int) {
  auditLog(filter: $filter, first: $first) {
    totalCount
    edges { node { at action entity entityId actorLabel actor { name role } before after } }
  }
}
"""


@pytest.fixture(scope="module")
async def world(demo_data: None) -> Directory:
    return await directory_world()


async def _admin_email() -> str:
    account = await Account.filter(role="ADMIN", email__startswith="admin.").first()
    assert account is not None
    return account.email


async def _write(gql: GraphQLClient, world: Directory, case: str) -> tuple[str, dict[str, Any]]:
    """Run one write path as the admin; (mutation name, expected audit entry fields)."""
    admin = world.headers("admin")
    if case == "createCommunity":
        name = unique("Komunitas Audit")
        await gql(
            CREATE_COMMUNITY,
            {
                "input": {
                    "name": name,
                    "kind": "SECTOR",
                    "sectorCodes": ["JASA"],
                    "areaCodes": ["31.71"],
                }
            },
            headers=admin,
        )
        after = {
            "name": name,
            "kind": "SECTOR",
            "description": "",
            "sectors": ["JASA"],
            "areas": ["31.71"],
            "audiences": [],
            "memberCount": None,
        }
        return case, {"action": "CREATE", "entity": "Community", "before": None, "after": after}
    if case == "updateCommunity":
        await gql(
            UPDATE_COMMUNITY,
            {"input": {"communityId": world.community_id, "memberCount": 4321}},
            headers=admin,
        )
        return case, {"action": "UPDATE", "entity": "Community", "memberCount": 4321}
    if case == "createMentor":
        await gql(
            CREATE_MENTOR,
            {
                "input": {
                    "name": "Budi Audit",
                    "phone": "0812-7777-0001",
                    "centreKecamatanCode": "31.71.01",
                    "skills": [{"sectorCode": "KRIYA", "capacity": 4}],
                }
            },
            headers=admin,
        )
        after = {
            "name": "Budi Audit",
            "email": None,
            "phone": "+6281277770001",
            "centre": "31.71.01",
            "community": None,
            "skills": {"KRIYA": 4},
        }
        return case, {"action": "CREATE", "entity": "Mentor", "before": None, "after": after}
    if case == "updateMentor":
        mentor = await new_mentor(world, "community", skills={"JASA": 3})
        await gql(
            UPDATE_MENTOR,
            {
                "input": {
                    "mentorId": mentor_id(mentor),
                    "skills": [{"sectorCode": "JASA", "capacity": 9}],
                }
            },
            headers=admin,
        )
        return case, {"action": "UPDATE", "entity": "Mentor", "skills": ({"JASA": 3}, {"JASA": 9})}
    if case == "deactivateMentor":
        mentor = await new_mentor(world, "centre")
        await gql(DEACTIVATE_MENTOR, {"input": {"mentorId": mentor_id(mentor)}}, headers=admin)
        return case, {
            "action": "DEACTIVATE",
            "entity": "Mentor",
            "before": {"active": True},
            "after": {"active": False},
        }
    await gql(
        SET_DEMAND,
        {"input": {"kecamatanCode": "31.71.01", "sectorCode": "DIGITAL", "demand": 77}},
        headers=admin,
    )
    return case, {"action": "SET", "entity": "Demand", "demand": 77}


WRITE_PATHS = [
    "createCommunity",
    "updateCommunity",
    "createMentor",
    "updateMentor",
    "deactivateMentor",
    "setDemand",
]


@pytest.mark.parametrize("case", WRITE_PATHS)
async def test_every_write_records_who_what_when_and_moves_the_data_version(
    gql: GraphQLClient, world: Directory, case: str
) -> None:
    entries, data_version = await audit_count(), await version()

    _, expected = await _write(gql, world, case)

    assert await audit_count() == entries + 1
    assert await version() > data_version
    entry = await AuditEntry.all().order_by("-id").first()
    assert entry is not None
    assert entry.actor_label == await _admin_email()
    assert entry.actor_id is not None
    assert (entry.action, entry.entity) == (expected["action"], expected["entity"])
    assert entry.entity_id is not None
    assert entry.at is not None
    if "after" in expected:
        assert (entry.before, entry.after) == (expected["before"], expected["after"])
    if "memberCount" in expected:
        assert entry.before is not None
        assert entry.after is not None
        assert entry.after["memberCount"] == expected["memberCount"]
        assert entry.before["memberCount"] != expected["memberCount"]
    if "skills" in expected:
        assert entry.before is not None
        assert entry.after is not None
        assert (entry.before["skills"], entry.after["skills"]) == expected["skills"]
    if "demand" in expected:
        assert entry.after is not None
        assert entry.after == {"kecamatan": "31.71.01", "sector": "DIGITAL", "demand": 77}


async def test_refused_and_unchanged_writes_leave_no_trace(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "centre", skills={"KULINER": 7})
    entries, data_version = await audit_count(), await version()

    refused = await gql(
        UPDATE_MENTOR,
        {"input": {"mentorId": mentor_id(mentor), "phone": "bukan nomor"}},
        headers=world.headers("staff"),
    )
    unchanged = await gql(
        UPDATE_MENTOR,
        {
            "input": {
                "mentorId": mentor_id(mentor),
                "name": mentor.name,
                "skills": [{"sectorCode": "KULINER", "capacity": 7}],
            }
        },
        headers=world.headers("staff"),
    )

    assert refused["data"]["updateMentor"]["errors"] == [{"code": "INVALID"}]
    assert unchanged["data"]["updateMentor"]["errors"] == []
    assert (await audit_count(), await version()) == (entries, data_version)


async def test_admins_read_the_audit_log_by_entity_and_actor(
    gql: GraphQLClient, world: Directory
) -> None:
    mentor = await new_mentor(world, "community")
    await gql(
        UPDATE_MENTOR,
        {"input": {"mentorId": mentor_id(mentor), "name": "Nama Koordinator"}},
        headers=world.headers("coordinator"),
    )
    await gql(
        DEACTIVATE_MENTOR,
        {"input": {"mentorId": mentor_id(mentor)}},
        headers=world.headers("admin"),
    )
    coordinator = await Account.get(
        role="COORDINATOR", community_id=world.community.id, email__startswith="coordinator."
    )

    about = await gql(
        AUDIT_LOG,
        {"filter": {"entity": "Mentor", "entityId": mentor_id(mentor)}},
        headers=world.headers("admin"),
    )
    by = await gql(
        AUDIT_LOG,
        {"filter": {"actorId": encode_global_id("Account", coordinator.id)}},
        headers=world.headers("admin"),
    )

    nodes = [e["node"] for e in about["data"]["auditLog"]["edges"]]
    assert [n["action"] for n in nodes] == ["DEACTIVATE", "UPDATE"]  # newest first
    assert {n["entityId"] for n in nodes} == {mentor_id(mentor)}
    update = nodes[1]
    assert update["actorLabel"] == coordinator.email
    assert update["actor"] == {"name": coordinator.name, "role": "COORDINATOR"}
    assert (update["before"]["name"], update["after"]["name"]) == (mentor.name, "Nama Koordinator")
    by_nodes = [e["node"] for e in by["data"]["auditLog"]["edges"]]
    assert by_nodes
    assert {n["actorLabel"] for n in by_nodes} == {coordinator.email}
    assert by["data"]["auditLog"]["totalCount"] == len(by_nodes)


@pytest.mark.parametrize("who", [w for w in ROLES if w != "admin"], ids=lambda w: w or "anonymous")
async def test_only_admins_read_the_audit_log(
    gql: GraphQLClient, world: Directory, who: str | None
) -> None:
    body = await gql(AUDIT_LOG, {}, headers=world.headers(who))

    assert body["data"] is None
    assert errors_of(body) == [("FORBIDDEN", ["auditLog"])]


async def test_audit_log_statements_do_not_grow_with_entries(
    gql: GraphQLClient, world: Directory
) -> None:
    for _ in range(3):
        mentor = await new_mentor(world, "centre")
        await gql(
            DEACTIVATE_MENTOR,
            {"input": {"mentorId": mentor_id(mentor)}},
            headers=world.headers("staff"),
        )
    headers = world.headers("admin")
    await gql(AUDIT_LOG, {"first": 1}, headers=headers)

    counts = []
    sizes = []
    for first in [2, 30]:
        with count_statements() as counter:
            body = await gql(AUDIT_LOG, {"first": first}, headers=headers)
        counts.append(counter.count)
        sizes.append(len(body["data"]["auditLog"]["edges"]))

    assert sizes[1] > 5 * sizes[0]
    assert counts[0] == counts[1] <= 6
