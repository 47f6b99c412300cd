"""The worked example of DESIGN section 3 over GraphQL, on the Jakarta reference data.

Gambir (31.71.01) wants KULINER 40 and KRIYA 10; its mentors offer KULINER 15 + 10, KRIYA 4 and
JASA 5: gaps KULINER 15, KRIYA 6, G = 21. Community A serves kota 31.71 with KULINER 12 free,
B serves Gambir with KRIYA 8, C serves anywhere with KULINER 20 and JASA 10."""

from __future__ import annotations

from typing import Any

import pytest

from hub.core import dataversion
from models.directory import (
    Centre,
    Community,
    CommunityArea,
    Demand,
    Mentor,
    MentorSkill,
    Sector,
)
from models.enums import CommunityKind
from models.regions import Region
from tests.conftest import GraphQLClient, errors_of

NEEDS = """
query ($code: String!) {
  kecamatan(code: $code) { needs { sector { code name nameEn } demand supply gap } }
}
"""

COMPLEMENTS = """
query ($code: String!, $first: Int, $sectors: [String!]) {
  kecamatan(code: $code) {
    complements(first: $first, sectors: $sectors) {
      community { name kind } score reach filled
      sectors { sector { code } gap free filled }
    }
  }
}
"""

COALITION = """
query ($code: String!, $size: Int) {
  kecamatan(code: $code) {
    coalition(maxCommunities: $size) {
      gap covered coverage
      members { community { name } score reach filled sectors { sector { code } gap free filled } }
    }
  }
}
"""

COVERAGE = """
query ($kota: String) {
  coverage(kotaCode: $kota) { kecamatan { code name kota { code } } demand supply gap coalitionCoverage }
}
"""


@pytest.fixture(scope="module", autouse=True)
async def worked_example(reference_data: None) -> None:
    sectors = {s.code: s for s in await Sector.all()}
    gambir = await Centre.get(kecamatan__code="31.71.01")
    for code, capacity in [("KULINER", 15), ("KULINER", 10), ("KRIYA", 4), ("JASA", 5)]:
        mentor = await Mentor.create(name=f"Pendamping {code} {capacity}", centre=gambir)
        await MentorSkill.create(mentor=mentor, sector=sectors[code], capacity=capacity)
    for code, demand in [("KULINER", 40), ("KRIYA", 10)]:
        await Demand.create(centre=gambir, sector=sectors[code], demand=demand)
    communities: list[tuple[str, list[str], dict[str, int]]] = [
        ("A", ["31.71"], {"KULINER": 12}),
        ("B", ["31.71.01"], {"KRIYA": 8}),
        ("C", [], {"KULINER": 20, "JASA": 10}),
    ]
    for name, areas, skills in communities:
        community = await Community.create(name=name, kind=CommunityKind.SECTOR)
        for area in areas:
            region = await Region.get(code=area)
            await CommunityArea.create(community=community, region=region)
        mentor = await Mentor.create(name=f"Mentor {name}", community=community)
        for code, capacity in skills.items():
            await MentorSkill.create(mentor=mentor, sector=sectors[code], capacity=capacity)
    await dataversion.bump()


def _fills(complement: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    return [(s["sector"]["code"], s["gap"], s["free"], s["filled"]) for s in complement["sectors"]]


async def test_gambir_needs_kuliner_15_and_kriya_6(gql: GraphQLClient) -> None:
    body = await gql(NEEDS, {"code": "31.71.01"})

    needs = body["data"]["kecamatan"]["needs"]
    assert [(n["sector"]["code"], n["demand"], n["supply"], n["gap"]) for n in needs] == [
        ("KULINER", 40, 25, 15),
        ("KRIYA", 10, 4, 6),
        ("JASA", 0, 5, 0),
    ]
    assert needs[0]["sector"] == {"code": "KULINER", "name": "Kuliner", "nameEn": "Culinary"}


async def test_complements_rank_a_then_c_then_b(gql: GraphQLClient) -> None:
    body = await gql(COMPLEMENTS, {"code": "31.71.01"})

    found = body["data"]["kecamatan"]["complements"]
    assert [(c["community"]["name"], c["reach"], c["filled"]) for c in found] == [
        ("A", "KOTA", 12),
        ("C", "ANYWHERE", 15),
        ("B", "KECAMATAN", 6),
    ]
    assert [c["score"] for c in found] == pytest.approx([0.4286, 0.3571, 0.2857], abs=5e-5)
    assert [c["score"] for c in found] == pytest.approx([0.75 * 12 / 21, 0.5 * 15 / 21, 6 / 21])
    assert _fills(found[0]) == [("KULINER", 15, 12, 12), ("KRIYA", 6, 0, 0)]
    assert _fills(found[1]) == [("KULINER", 15, 20, 15), ("KRIYA", 6, 0, 0)]
    assert _fills(found[2]) == [("KULINER", 15, 0, 0), ("KRIYA", 6, 8, 6)]


async def test_coalition_is_a_then_b_then_c_covering_21_of_21(gql: GraphQLClient) -> None:
    body = await gql(COALITION, {"code": "31.71.01"})

    coalition = body["data"]["kecamatan"]["coalition"]
    assert (coalition["gap"], coalition["covered"], coalition["coverage"]) == (21, 21, 1.0)
    members = coalition["members"]
    # Gains 9 (A: 0.75 * 12), then 6 (B) against 1.5 (C: 0.5 * 3), then 1.5 (C).
    assert [(m["community"]["name"], m["reach"], m["filled"]) for m in members] == [
        ("A", "KOTA", 12),
        ("B", "KECAMATAN", 6),
        ("C", "ANYWHERE", 3),
    ]
    assert [m["score"] for m in members] == pytest.approx([12 * 0.75 / 21, 6 / 21, 7.5 / 21])
    assert _fills(members[0]) == [("KULINER", 15, 12, 12), ("KRIYA", 6, 0, 0)]
    assert _fills(members[1]) == [("KULINER", 3, 0, 0), ("KRIYA", 6, 8, 6)]
    assert _fills(members[2]) == [("KULINER", 3, 20, 3), ("KRIYA", 0, 0, 0)]


async def test_a_smaller_coalition_covers_less(gql: GraphQLClient) -> None:
    body = await gql(COALITION, {"code": "31.71.01", "size": 2})

    coalition = body["data"]["kecamatan"]["coalition"]
    assert [m["community"]["name"] for m in coalition["members"]] == ["A", "B"]
    assert (coalition["gap"], coalition["covered"]) == (21, 18)
    assert coalition["coverage"] == pytest.approx(18 / 21)


async def test_the_sector_filter_restricts_the_total_gap_too(gql: GraphQLClient) -> None:
    body = await gql(COMPLEMENTS, {"code": "31.71.01", "sectors": ["KRIYA"], "first": 1})

    [best] = body["data"]["kecamatan"]["complements"]
    assert (best["community"]["name"], best["score"], best["filled"]) == ("B", 1.0, 6)
    assert _fills(best) == [("KRIYA", 6, 8, 6)]


async def test_a_kecamatan_with_nothing_missing_lists_candidates_at_zero(
    gql: GraphQLClient,
) -> None:
    complements = await gql(COMPLEMENTS, {"code": "31.71.02"})
    coalition = await gql(COALITION, {"code": "31.71.02"})

    # Sawah Besar lies in kota 31.71 beside Gambir: A and B reach it at kota level.
    found = complements["data"]["kecamatan"]["complements"]
    assert [(c["community"]["name"], c["reach"], c["score"], c["filled"]) for c in found] == [
        ("A", "KOTA", 0.0, 0),
        ("B", "KOTA", 0.0, 0),
        ("C", "ANYWHERE", 0.0, 0),
    ]
    assert coalition["data"]["kecamatan"]["coalition"] == {
        "gap": 0,
        "covered": 0,
        "coverage": 1.0,
        "members": [],
    }


async def test_coverage_of_a_kota(gql: GraphQLClient) -> None:
    body = await gql(COVERAGE, {"kota": "31.71"})

    rows = body["data"]["coverage"]
    assert [r["kecamatan"]["code"] for r in rows] == [f"31.71.0{i}" for i in range(1, 9)]
    assert {r["kecamatan"]["kota"]["code"] for r in rows} == {"31.71"}
    gambir = rows[0]
    assert gambir["kecamatan"]["name"] == "Gambir"
    assert (gambir["demand"], gambir["supply"], gambir["gap"]) == (50, 34, 21)
    assert gambir["coalitionCoverage"] == 1.0
    assert all((r["demand"], r["gap"], r["coalitionCoverage"]) == (0, 0, 1.0) for r in rows[1:])


async def test_coverage_of_every_kecamatan(gql: GraphQLClient) -> None:
    body = await gql(COVERAGE)

    rows = body["data"]["coverage"]
    assert len(rows) == 44
    assert [r["kecamatan"]["code"] for r in rows] == sorted(r["kecamatan"]["code"] for r in rows)
    assert [r["gap"] for r in rows if r["gap"]] == [21]


@pytest.mark.parametrize(
    ("query", "variables", "code", "path", "words"),
    [
        (
            COMPLEMENTS,
            {"code": "31.71.01", "sectors": ["KULINR"]},
            "INVALID",
            "complements",
            "KULINR",
        ),
        (COMPLEMENTS, {"code": "31.71.01", "first": 101}, "INVALID", "complements", "first"),
        (COMPLEMENTS, {"code": "31.71.01", "first": -1}, "INVALID", "complements", "first"),
        (COALITION, {"code": "31.71.01", "size": -1}, "INVALID", "coalition", "maxCommunities"),
        (COVERAGE, {"kota": "31.99"}, "NOT_FOUND", "coverage", "31.99"),
    ],
)
async def test_bad_input_gets_a_coded_error(
    gql: GraphQLClient,
    query: str,
    variables: dict[str, Any],
    code: str,
    path: str,
    words: str,
) -> None:
    body = await gql(query, variables)

    [(error_code, error_path)] = errors_of(body)
    assert error_code == code
    assert error_path is not None
    assert error_path[-1] == path
    assert words in body["errors"][0]["message"]
