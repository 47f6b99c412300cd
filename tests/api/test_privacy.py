"""Personal data (UU PDP 27/2022): who sees a mentor's and an account's email and phone."""

from __future__ import annotations

import pytest

from hub.access import create_token
from hub.core import dataversion, encode_global_id
from models.directory import Community, Mentor
from models.enums import PartyStatus, PlanStatus, Role
from models.plans import Allocation, Plan, PlanParty
from tests.conftest import GraphQLClient, Tokens, errors_of, make_tokens

pytestmark = pytest.mark.usefixtures("demo_data")

MENTOR_CONTACT = """
query ($id: ID!) { node(id: $id) { ... on Mentor { name email phone } } }
"""

MENTORS_CONTACT = """
query ($filter: MentorFilter) {
  mentors(filter: $filter, first: 100) { edges { node { name email } } }
}
"""

VIEWER = "query { viewer { __typename role email locale centre { name } community { name } } }"


@pytest.fixture(scope="module")
async def tokens(demo_data: None) -> Tokens:
    community = await Community.get(name="Komunitas Kuliner Nusantara")
    tokens = await make_tokens(staff_centre="31.71.01", community=community)
    other = await create_token(
        email="staf.tebet@test.example.org", role=Role.STAFF, centre_code="31.74.01"
    )
    tokens.secrets["other_staff"] = other.secret
    return tokens


async def _contact(gql: GraphQLClient, tokens: Tokens, mentor: Mentor, who: str | None) -> dict:
    return await gql(
        MENTOR_CONTACT, {"id": encode_global_id("Mentor", mentor.id)}, headers=tokens.headers(who)
    )


async def test_a_centre_mentors_contact_is_for_admin_and_own_centre_staff(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    mentor = await Mentor.filter(centre__kecamatan__code="31.71.01").order_by("id").first()
    assert mentor is not None

    for who in ["admin", "staff"]:
        body = await _contact(gql, tokens, mentor, who)
        assert body["data"]["node"] == {
            "name": mentor.name,
            "email": mentor.email,
            "phone": mentor.phone,
        }, who
        assert "errors" not in body

    for who in [None, "partner", "coordinator", "other_staff"]:
        body = await _contact(gql, tokens, mentor, who)
        assert body["data"]["node"] == {"name": mentor.name, "email": None, "phone": None}, who
        assert sorted(errors_of(body)) == [
            ("FORBIDDEN", ["node", "email"]),
            ("FORBIDDEN", ["node", "phone"]),
        ], who


async def test_a_community_mentors_contact_is_for_its_coordinator(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    mentor = await Mentor.filter(
        community__name="Komunitas Kuliner Nusantara", allocations__id__isnull=True
    ).first()
    assert mentor is not None  # works in no plan: only its own coordinator sees it

    coordinator = await _contact(gql, tokens, mentor, "coordinator")
    assert coordinator["data"]["node"]["email"] == mentor.email

    other_staff = await _contact(gql, tokens, mentor, "other_staff")
    assert other_staff["data"]["node"]["email"] is None


async def test_parties_of_an_open_plan_see_the_mentors_working_in_it(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    # The demo proposes a plan for Gambir, from its staff, with Komunitas Gambir Kreatif, whose
    # party has not answered yet, and one allocation of that community's mentor.
    plan = await Plan.get(centre__kecamatan__code="31.71.01", status=PlanStatus.PROPOSED)
    allocation = await Allocation.filter(plan=plan).select_related("mentor").first()
    assert allocation is not None
    mentor = allocation.mentor
    party = await PlanParty.get(plan=plan, community_id=mentor.community_id)
    assert party.status == PartyStatus.PENDING

    # a one-sided proposal reveals nothing of another party's mentor
    staff = await _contact(gql, tokens, mentor, "staff")
    assert staff["data"]["node"]["email"] is None
    assert ("FORBIDDEN", ["node", "email"]) in errors_of(staff)

    try:
        # once the mentor's own party has accepted, the plan's other parties see the contact
        party.status = PartyStatus.ACCEPTED
        await party.save()
        await dataversion.bump()  # direct writes move the version, as every service does
        staff = await _contact(gql, tokens, mentor, "staff")
        assert staff["data"]["node"]["email"] == mentor.email
        assert (await _contact(gql, tokens, mentor, "other_staff"))["data"]["node"]["email"] is None

        # and no longer once the plan is cancelled
        plan.status = PlanStatus.CANCELLED
        await plan.save()
        await dataversion.bump()
        staff = await _contact(gql, tokens, mentor, "staff")
        assert staff["data"]["node"]["email"] is None
        assert ("FORBIDDEN", ["node", "email"]) in errors_of(staff)
    finally:
        party.status = PartyStatus.PENDING
        await party.save()
        plan.status = PlanStatus.PROPOSED
        await plan.save()
        await dataversion.bump()


async def test_a_deactivated_mentors_contact_is_for_admin_only(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    mentor = await Mentor.filter(centre__kecamatan__code="31.71.01").order_by("-id").first()
    assert mentor is not None
    mentor.active = False
    await mentor.save()
    await dataversion.bump()
    try:
        staff = await _contact(gql, tokens, mentor, "staff")
        assert staff["data"]["node"]["email"] is None
        admin = await _contact(gql, tokens, mentor, "admin")
        assert admin["data"]["node"]["email"] == mentor.email
    finally:
        mentor.active = True
        await mentor.save()
        await dataversion.bump()


async def test_a_list_hides_each_mentor_it_must_and_shows_the_rest(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    body = await gql(
        MENTORS_CONTACT,
        {"filter": {"centreKecamatanCode": "31.71.01"}},
        headers=tokens.headers("coordinator"),
    )
    assert [e["node"]["email"] for e in body["data"]["mentors"]["edges"]] == [None] * 4
    assert len(body["errors"]) == 4

    body = await gql(
        MENTORS_CONTACT,
        {"filter": {"centreKecamatanCode": "31.71.01"}},
        headers=tokens.headers("staff"),
    )
    assert all("@" in e["node"]["email"] for e in body["data"]["mentors"]["edges"])
    assert "errors" not in body


async def test_viewer_is_the_signed_in_account_and_null_for_anonymous(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    assert (await gql(VIEWER))["data"]["viewer"] is None

    staff = (await gql(VIEWER, headers=tokens.headers("staff")))["data"]["viewer"]
    assert staff["role"] == "STAFF"
    assert staff["centre"] == {"name": "Pusat OK OCE Kecamatan Gambir"}
    assert staff["email"].startswith("staff.")
    assert staff["locale"] == "id"

    coordinator = (await gql(VIEWER, headers=tokens.headers("coordinator")))["data"]["viewer"]
    assert coordinator["community"] == {"name": "Komunitas Kuliner Nusantara"}
