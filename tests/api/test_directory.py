"""Sectors, communities and mentors over GraphQL, on the Jakarta demo."""

from __future__ import annotations

import pytest

from hub.seed.demo import COMMUNITIES
from models.directory import Community
from tests.conftest import GraphQLClient, errors_of

pytestmark = pytest.mark.usefixtures("demo_data")

SECTORS = "query { sectors { code name nameEn } }"

COMMUNITIES_QUERY = """
query ($filter: CommunityFilter, $first: Int) {
  communities(filter: $filter, first: $first) {
    totalCount
    edges { node { id name kind memberCount audiences servesAnywhere
                   sectors { code } areas { code level } } }
  }
}
"""

COMMUNITY_MENTORS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Community { name mentors(first: 100) { totalCount edges { node {
      name active community { name } centre { name } skills { sector { code } capacity free } } } } }
  }
}
"""

MENTORS = """
query ($filter: MentorFilter, $first: Int) {
  mentors(filter: $filter, first: $first) {
    totalCount
    edges { node { __typename name centre { kecamatan { code } } skills { sector { code } } } }
  }
}
"""

CENTRE_MENTORS = """
query { kecamatan(code: "31.71.01") { centre { id mentors { totalCount edges { node { name } } } } } }
"""


async def test_sectors_have_stable_codes_and_names_in_both_languages(gql: GraphQLClient) -> None:
    body = await gql(SECTORS)

    sectors = {s["code"]: (s["name"], s["nameEn"]) for s in body["data"]["sectors"]}
    assert set(sectors) == {
        "KULINER",
        "FESYEN",
        "KRIYA",
        "JASA",
        "RITEL",
        "PERTANIAN_PERIKANAN",
        "EKONOMI_SYARIAH",
        "DIGITAL",
    }
    assert sectors["KULINER"] == ("Kuliner", "Culinary")
    assert sectors["EKONOMI_SYARIAH"] == ("Ekonomi Syariah", "Sharia Economy")


async def test_the_demo_has_thirty_plus_communities_of_every_kind(gql: GraphQLClient) -> None:
    body = await gql(COMMUNITIES_QUERY, {"first": 100})

    nodes = [e["node"] for e in body["data"]["communities"]["edges"]]
    assert body["data"]["communities"]["totalCount"] == len(COMMUNITIES) >= 30
    assert {n["kind"] for n in nodes} == {"SECTOR", "ORGANISATION", "REGION"}
    assert [n["name"] for n in nodes] == sorted(n["name"] for n in nodes)
    digital = next(n for n in nodes if n["name"] == "Komunitas Digitalpreneur Jakarta")
    assert digital["servesAnywhere"] is True
    assert digital["areas"] == []
    assert digital["sectors"] == [{"code": "DIGITAL"}]


async def test_communities_filter_by_kind_sector_and_search(gql: GraphQLClient) -> None:
    body = await gql(COMMUNITIES_QUERY, {"filter": {"kind": "REGION"}, "first": 100})
    assert {e["node"]["kind"] for e in body["data"]["communities"]["edges"]} == {"REGION"}
    expected = sum(1 for c in COMMUNITIES if c.kind.value == "REGION")
    assert body["data"]["communities"]["totalCount"] == expected

    body = await gql(COMMUNITIES_QUERY, {"filter": {"sectorCode": "PERTANIAN_PERIKANAN"}})
    names = {e["node"]["name"] for e in body["data"]["communities"]["edges"]}
    assert names == {c.name for c in COMMUNITIES if "PERTANIAN_PERIKANAN" in c.sectors}

    body = await gql(COMMUNITIES_QUERY, {"filter": {"search": "batik"}})
    assert [e["node"]["name"] for e in body["data"]["communities"]["edges"]] == [
        "Komunitas Batik Jakarta"
    ]


async def test_communities_by_area_served(gql: GraphQLClient) -> None:
    # Gambir (31.71.01): communities serving Gambir itself, Jakarta Pusat, Jakarta, or anywhere.
    body = await gql(COMMUNITIES_QUERY, {"filter": {"areaCode": "31.71.01"}, "first": 100})
    names = {e["node"]["name"] for e in body["data"]["communities"]["edges"]}
    expected = {
        c.name
        for c in COMMUNITIES
        if not c.areas or any(a in {"31", "31.71", "31.71.01"} for a in c.areas)
    }
    assert names == expected
    assert "Komunitas Gambir Kreatif" in names
    assert "Sentra Kuliner Senen" not in names  # serves Senen only

    body = await gql(
        COMMUNITIES_QUERY,
        {"filter": {"areaCode": "31.71", "includeAnywhere": False}, "first": 100},
    )
    names = {e["node"]["name"] for e in body["data"]["communities"]["edges"]}
    # Serving Jakarta Pusat: the province, the kota, or a kecamatan in it.
    assert {
        "Sentra Kuliner Senen",
        "Komunitas Gambir Kreatif",
        "UMKM Jakarta Pusat Bersatu",
    } <= names
    assert "Komunitas Digitalpreneur Jakarta" not in names  # serves anywhere


async def test_a_communitys_mentors_with_skills_and_free_capacity(gql: GraphQLClient) -> None:
    community = await Community.get(name="Sentra Kuliner Senen")
    communities = await gql(COMMUNITIES_QUERY, {"filter": {"search": "Sentra Kuliner Senen"}})
    community_id = communities["data"]["communities"]["edges"][0]["node"]["id"]

    body = await gql(COMMUNITY_MENTORS, {"id": community_id})

    mentors = body["data"]["node"]["mentors"]
    assert mentors["totalCount"] == await community.mentors.all().count()
    for edge in mentors["edges"]:
        node = edge["node"]
        assert node["community"] == {"name": "Sentra Kuliner Senen"}
        assert node["centre"] is None
        for skill in node["skills"]:
            assert 0 <= skill["free"] <= skill["capacity"]
    # The demo's active plan in Senen allocates one of them, so someone has less free capacity.
    assert any(s["free"] < s["capacity"] for e in mentors["edges"] for s in e["node"]["skills"])


async def test_each_centre_has_four_mentors(gql: GraphQLClient) -> None:
    body = await gql(CENTRE_MENTORS)
    assert body["data"]["kecamatan"]["centre"]["mentors"]["totalCount"] == 4

    body = await gql(MENTORS, {"filter": {"centreKecamatanCode": "31.71.01"}})
    assert body["data"]["mentors"]["totalCount"] == 4
    assert {e["node"]["centre"]["kecamatan"]["code"] for e in body["data"]["mentors"]["edges"]} == {
        "31.71.01"
    }


async def test_mentors_filter_by_sector_and_community(gql: GraphQLClient) -> None:
    body = await gql(MENTORS, {"filter": {"sectorCode": "DIGITAL"}, "first": 100})
    for edge in body["data"]["mentors"]["edges"]:
        assert "DIGITAL" in {s["sector"]["code"] for s in edge["node"]["skills"]}
    assert body["data"]["mentors"]["totalCount"] > 0

    body = await gql(MENTORS, {"filter": {"communityId": "bm90LWFuLWlk"}})
    assert errors_of(body) == [("INVALID", ["mentors"])]
