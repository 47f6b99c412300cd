"""Kota and kecamatan over GraphQL, on the Jakarta reference data."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient, errors_of

pytestmark = pytest.mark.usefixtures("reference_data")

KOTAS = """
query { kotas { id code name officialName kecamatans(first: 100) { totalCount } } }
"""

KECAMATAN = """
query ($code: String!) {
  kecamatan(code: $code) {
    __typename id code name lat lon
    kota { code name }
    centre { name address kecamatan { code } }
  }
}
"""

KECAMATANS = """
query ($filter: KecamatanFilter, $first: Int, $after: String) {
  kecamatans(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { code name } }
  }
}
"""

KOTA_BY_CODE = """
query ($code: String!) { kota(code: $code) { code name officialName } }
"""

NODE = """
query ($id: ID!) { node(id: $id) { __typename id ... on Kecamatan { code } ... on Kota { code } } }
"""

NODES = """
query ($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Kecamatan { code } ... on Kota { code } } }
"""


async def test_the_six_kota_of_jakarta_with_short_and_official_names(gql: GraphQLClient) -> None:
    body = await gql(KOTAS)

    kotas = body["data"]["kotas"]
    assert [(k["code"], k["name"], k["kecamatans"]["totalCount"]) for k in kotas] == [
        ("31.01", "Kepulauan Seribu", 2),
        ("31.71", "Jakarta Pusat", 8),
        ("31.72", "Jakarta Utara", 6),
        ("31.73", "Jakarta Barat", 8),
        ("31.74", "Jakarta Selatan", 10),
        ("31.75", "Jakarta Timur", 10),
    ]
    assert kotas[1]["officialName"] == "Kota Administrasi Jakarta Pusat"


async def test_a_kecamatan_by_code_with_its_kota_and_centre(gql: GraphQLClient) -> None:
    body = await gql(KECAMATAN, {"code": "31.71.01"})

    gambir = body["data"]["kecamatan"]
    assert gambir["__typename"] == "Kecamatan"
    assert gambir["name"] == "Gambir"
    assert gambir["kota"] == {"code": "31.71", "name": "Jakarta Pusat"}
    assert gambir["centre"]["name"] == "Pusat OK OCE Kecamatan Gambir"
    assert gambir["centre"]["kecamatan"] == {"code": "31.71.01"}
    assert gambir["lat"] == pytest.approx(-6.17145)


async def test_unknown_codes_are_null_not_errors(gql: GraphQLClient) -> None:
    assert (await gql(KECAMATAN, {"code": "99.99.99"}))["data"]["kecamatan"] is None
    # A kota's code is not a kecamatan's.
    assert (await gql(KECAMATAN, {"code": "31.71"}))["data"]["kecamatan"] is None
    assert (await gql(KOTA_BY_CODE, {"code": "31.71.01"}))["data"]["kota"] is None
    assert (await gql(KOTA_BY_CODE, {"code": "31.74"}))["data"]["kota"]["name"] == (
        "Jakarta Selatan"
    )


async def test_kecamatans_page_forward_with_cursors(gql: GraphQLClient) -> None:
    first = (await gql(KECAMATANS, {"first": 20}))["data"]["kecamatans"]
    assert first["totalCount"] == 44
    assert len(first["edges"]) == 20
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False

    after = first["pageInfo"]["endCursor"]
    rest = (await gql(KECAMATANS, {"first": 100, "after": after}))["data"]["kecamatans"]

    codes = [e["node"]["code"] for e in first["edges"] + rest["edges"]]
    assert len(codes) == 44
    assert codes == sorted(codes)
    assert len(set(codes)) == 44
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True


async def test_kecamatans_filter_by_kota_and_name(gql: GraphQLClient) -> None:
    body = await gql(KECAMATANS, {"filter": {"kotaCode": "31.71"}, "first": 100})
    assert [e["node"]["name"] for e in body["data"]["kecamatans"]["edges"]] == [
        "Gambir",
        "Sawah Besar",
        "Kemayoran",
        "Senen",
        "Cempaka Putih",
        "Menteng",
        "Tanah Abang",
        "Johar Baru",
    ]

    body = await gql(KECAMATANS, {"filter": {"search": "kebayoran"}})
    assert sorted(e["node"]["name"] for e in body["data"]["kecamatans"]["edges"]) == [
        "Kebayoran Baru",
        "Kebayoran Lama",
    ]


async def test_first_is_capped_at_one_hundred(gql: GraphQLClient) -> None:
    body = await gql(KECAMATANS, {"first": 101})

    assert body["data"] is None
    assert errors_of(body) == [("INVALID", ["kecamatans"])]
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_a_bad_cursor_is_an_invalid_error(gql: GraphQLClient) -> None:
    body = await gql(KECAMATANS, {"after": "not-a-cursor"})

    assert errors_of(body) == [("INVALID", ["kecamatans"])]


async def test_node_and_nodes_resolve_global_ids(gql: GraphQLClient) -> None:
    gambir = (await gql(KECAMATAN, {"code": "31.71.01"}))["data"]["kecamatan"]
    kota = (await gql(KOTAS))["data"]["kotas"][1]

    node = (await gql(NODE, {"id": gambir["id"]}))["data"]["node"]
    assert node == {"__typename": "Kecamatan", "id": gambir["id"], "code": "31.71.01"}

    nodes = (await gql(NODES, {"ids": [kota["id"], gambir["id"]]}))["data"]["nodes"]
    assert nodes == [
        {"__typename": "Kota", "code": "31.71"},
        {"__typename": "Kecamatan", "code": "31.71.01"},
    ]


KECAMATANS_BY_FRAGMENT = """
query { kecamatans(first: 3) { ...Counted } }
fragment Counted on KecamatanConnection { totalCount ... on KecamatanConnection { pageInfo { hasNextPage } } }
"""


async def test_total_count_asked_in_a_fragment_is_the_whole_list(gql: GraphQLClient) -> None:
    body = await gql(KECAMATANS_BY_FRAGMENT)

    assert body["data"]["kecamatans"] == {"totalCount": 44, "pageInfo": {"hasNextPage": True}}
