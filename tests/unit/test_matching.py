"""The rules of complementarity (DESIGN section 3) on hand-computed numbers.

Each rule is checked twice: on the definitions one candidate at a time (`hub.matching.scoring`)
and on the vectorised blocks the API runs (`hub.matching.blocks`)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import pytest

from hub.matching import blocks, scoring
from hub.matching.scoring import (
    CentreNeeds,
    Coalition,
    Complement,
    KecamatanRef,
    Offer,
    Reach,
    SectorNeed,
    SectorRef,
)

KULINER = SectorRef(1, "KULINER", "Kuliner", "Culinary", 0)
KRIYA = SectorRef(3, "KRIYA", "Kriya", "Crafts", 2)
JASA = SectorRef(4, "JASA", "Jasa", "Services", 3)
SECTORS = {s.code: s for s in (KULINER, KRIYA, JASA)}

GAMBIR = KecamatanRef(id=3, code="31.71.01", name="Gambir", kota_id=2)


def centre(kecamatan: KecamatanRef, demand: dict[str, int], supply: dict[str, int]) -> CentreNeeds:
    codes = [c for c in SECTORS if c in demand or c in supply]
    return CentreNeeds(
        kecamatan=kecamatan,
        centre_id=kecamatan.id,
        sectors=tuple(
            SectorNeed(SECTORS[c], demand=demand.get(c, 0), supply=supply.get(c, 0)) for c in codes
        ),
    )


def offer(community_id: int, name: str, areas: Sequence[str], **free: int) -> Offer:
    return Offer(
        community_id=community_id,
        name=name,
        area_codes=tuple(areas),
        free={SECTORS[code].id: n for code, n in free.items()},
    )


# The worked example: Gambir's mentors offer KULINER 15 + 10, KRIYA 4, JASA 5.
GAMBIR_NEEDS = centre(GAMBIR, {"KULINER": 40, "KRIYA": 10}, {"KULINER": 25, "KRIYA": 4, "JASA": 5})
A = offer(1, "A", ["31.71"], KULINER=12)
B = offer(2, "B", ["31.71.01"], KRIYA=8)
C = offer(3, "C", [], KULINER=20, JASA=10)
D = offer(4, "D", ["32"], KULINER=30)
WORKED = [A, B, C, D]


def _by_province(offers: Sequence[Offer]) -> dict[str, list[Offer]]:
    # Deliberately every offer for every province: the blocks must find reach 0 themselves.
    return {"31": list(offers), "32": list(offers)}


def rank_reference(
    needs: CentreNeeds, offers: Sequence[Offer], first: int, sector_ids: frozenset[int] | None
) -> list[Complement]:
    return scoring.complements(needs, offers, first=first, sector_ids=sector_ids)


def rank_blocks(
    needs: CentreNeeds, offers: Sequence[Offer], first: int, sector_ids: frozenset[int] | None
) -> list[Complement]:
    return blocks.rank_many([needs], _by_province(offers), first=first, sector_ids=sector_ids)[0]


def coalition_reference(needs: CentreNeeds, offers: Sequence[Offer], size: int) -> Coalition:
    return scoring.coalition(needs, offers, max_communities=size)


def coalition_blocks(needs: CentreNeeds, offers: Sequence[Offer], size: int) -> Coalition:
    return blocks.coalitions_many([needs], _by_province(offers), max_communities=size)[0]


Rank = Callable[[CentreNeeds, Sequence[Offer], int, frozenset[int] | None], list[Complement]]
Build = Callable[[CentreNeeds, Sequence[Offer], int], Coalition]

rank_impls = pytest.mark.parametrize("rank", [rank_reference, rank_blocks], ids=["ref", "numpy"])
coalition_impls = pytest.mark.parametrize(
    "build", [coalition_reference, coalition_blocks], ids=["ref", "numpy"]
)


def _fills(c: Complement) -> list[tuple[str, int, int, int]]:
    return [(s.sector.code, s.gap, s.free, s.filled) for s in c.sectors]


def test_gaps_of_the_worked_example() -> None:
    assert [(n.sector.code, n.demand, n.supply, n.gap) for n in GAMBIR_NEEDS.sectors] == [
        ("KULINER", 40, 25, 15),
        ("KRIYA", 10, 4, 6),
        ("JASA", 0, 5, 0),
    ]
    assert (GAMBIR_NEEDS.demand, GAMBIR_NEEDS.supply, GAMBIR_NEEDS.gap) == (50, 34, 21)


@rank_impls
def test_worked_example_ranks_a_c_b_and_leaves_out_d(rank: Rank) -> None:
    ranked = rank(GAMBIR_NEEDS, WORKED, 5, None)

    assert [(c.name, c.reach, c.filled) for c in ranked] == [
        ("A", Reach.KOTA, 12),
        ("C", Reach.ANYWHERE, 15),
        ("B", Reach.KECAMATAN, 6),
    ]
    assert [c.score for c in ranked] == pytest.approx([0.75 * 12 / 21, 0.5 * 15 / 21, 6 / 21])
    assert [round(c.score, 4) for c in ranked] == [0.4286, 0.3571, 0.2857]
    assert _fills(ranked[0]) == [("KULINER", 15, 12, 12), ("KRIYA", 6, 0, 0)]
    assert _fills(ranked[1]) == [("KULINER", 15, 20, 15), ("KRIYA", 6, 0, 0)]
    assert _fills(ranked[2]) == [("KULINER", 15, 0, 0), ("KRIYA", 6, 8, 6)]


@coalition_impls
def test_worked_example_coalition_is_a_then_b_then_c(build: Build) -> None:
    found = build(GAMBIR_NEEDS, WORKED, 5)

    # Gains: A 0.75 * 12 = 9; then B 1.0 * 6 = 6 against C's 0.5 * 3 = 1.5; then C 1.5.
    assert [(m.name, m.filled) for m in found.members] == [("A", 12), ("B", 6), ("C", 3)]
    assert [m.score for m in found.members] == pytest.approx([12 * 0.75 / 21, 6 / 21, 7.5 / 21])
    assert _fills(found.members[1]) == [("KULINER", 3, 0, 0), ("KRIYA", 6, 8, 6)]
    assert _fills(found.members[2]) == [("KULINER", 3, 20, 3), ("KRIYA", 0, 0, 0)]
    assert (found.gap, found.covered, found.coverage) == (21, 21, 1.0)


@pytest.mark.parametrize(
    ("areas", "expected"),
    [
        (["31.71.01"], Reach.KECAMATAN),
        (["31.71.01", "32"], Reach.KECAMATAN),
        (["31.71"], Reach.KOTA),
        (["31.71.02"], Reach.KOTA),  # another kecamatan of the same kota lies in the kota
        (["31.71.01.1001"], Reach.KOTA),  # a kelurahan is not the kecamatan itself
        (["31"], Reach.PROVINCE),
        (["31.72"], Reach.PROVINCE),
        (["31.72.05", "32.01"], Reach.PROVINCE),
        ([], Reach.ANYWHERE),
        (["32"], None),
        (["32.71.01", "33"], None),
        (["3"], None),
        (["310"], None),  # codes nest by whole segments, not by characters
        (["31.710"], Reach.PROVINCE),  # in province 31, not in kota 31.71
    ],
)
def test_reach_from_the_areas_served(areas: list[str], expected: Reach | None) -> None:
    assert scoring.reach(areas, "31.71.01") == expected


@pytest.mark.parametrize(
    ("areas", "weight"),
    [(["31.71.01"], 1.0), (["31.72.01", "31.71"], 0.75), (["31"], 0.5), ([], 0.5)],
)
@rank_impls
def test_every_reach_level_weighs_the_score(rank: Rank, areas: list[str], weight: float) -> None:
    needs = centre(GAMBIR, {"KULINER": 10}, {})
    [found] = rank(needs, [offer(9, "K", areas, KULINER=4)], 5, None)
    assert found.score == pytest.approx(weight * 4 / 10)


@rank_impls
def test_communities_reaching_nowhere_near_are_no_candidates(rank: Rank) -> None:
    needs = centre(GAMBIR, {"KULINER": 10}, {})
    assert rank(needs, [offer(9, "K", ["32"], KULINER=4)], 5, None) == []


@rank_impls
def test_no_gap_gives_score_zero(rank: Rank) -> None:
    needs = centre(GAMBIR, {"KULINER": 10}, {"KULINER": 12})
    ranked = rank(needs, [A, C], 5, None)
    assert [(c.name, c.score, c.filled, c.sectors) for c in ranked] == [
        ("A", 0.0, 0, ()),
        ("C", 0.0, 0, ()),
    ]


@coalition_impls
def test_no_gap_gives_an_empty_coalition_with_full_coverage(build: Build) -> None:
    needs = centre(GAMBIR, {"KULINER": 10}, {"KULINER": 12})
    found = build(needs, [A, B, C], 5)
    assert (found.members, found.gap, found.covered, found.coverage) == ((), 0, 0, 1.0)


@rank_impls
def test_sector_filter_restricts_every_sum_the_total_gap_included(rank: Rank) -> None:
    only_kriya = rank(GAMBIR_NEEDS, WORKED, 5, frozenset({KRIYA.id}))
    assert [(c.name, c.score, c.filled) for c in only_kriya] == [
        ("B", 1.0, 6),  # 6 of the 6 KRIYA places
        ("A", 0.0, 0),
        ("C", 0.0, 0),
    ]
    assert _fills(only_kriya[0]) == [("KRIYA", 6, 8, 6)]

    only_kuliner = rank(GAMBIR_NEEDS, WORKED, 5, frozenset({KULINER.id}))
    assert [(c.name, c.filled) for c in only_kuliner] == [("A", 12), ("C", 15), ("B", 0)]
    assert [c.score for c in only_kuliner] == pytest.approx([0.75 * 12 / 15, 0.5 * 15 / 15, 0])


@rank_impls
def test_first_limits_the_list(rank: Rank) -> None:
    assert [c.name for c in rank(GAMBIR_NEEDS, WORKED, 2, None)] == ["A", "C"]
    assert rank(GAMBIR_NEEDS, WORKED, 0, None) == []


@coalition_impls
def test_the_coalition_stops_at_its_size_limit(build: Build) -> None:
    one = build(GAMBIR_NEEDS, WORKED, 1)
    assert [(m.name, m.filled) for m in one.members] == [("A", 12)]
    assert (one.gap, one.covered, one.coverage) == (21, 12, pytest.approx(12 / 21))

    none = build(GAMBIR_NEEDS, WORKED, 0)
    assert (none.members, none.covered, none.coverage) == ((), 0, 0.0)


@coalition_impls
def test_the_coalition_stops_when_nobody_adds_anything(build: Build) -> None:
    needs = centre(GAMBIR, {"KULINER": 40, "KRIYA": 10}, {})  # gaps 40 and 10
    found = build(needs, [A, B, offer(5, "E", [], JASA=9)], 5)
    assert [(m.name, m.filled) for m in found.members] == [("A", 12), ("B", 8)]
    assert (found.gap, found.covered, found.coverage) == (50, 20, 0.4)


@rank_impls
def test_ties_go_to_more_places_filled_then_to_the_name(rank: Rank) -> None:
    needs = centre(GAMBIR, {"KULINER": 30}, {})
    offers = [
        offer(1, "Near", ["31.71.01"], KULINER=6),  # 1.0 * 6 = 6
        offer(2, "Kota wide", ["31.71"], KULINER=8),  # 0.75 * 8 = 6, fills more
        offer(3, "beta", [], KULINER=12),  # 0.5 * 12 = 6, fills most
        offer(4, "Alpha", [], KULINER=12),  # same as beta: A before b, whatever the case
    ]
    ranked = rank(needs, offers, 5, None)
    assert [c.name for c in ranked] == ["Alpha", "beta", "Kota wide", "Near"]
    assert [c.score for c in ranked] == pytest.approx([0.2] * 4)


@coalition_impls
def test_coalition_ties_follow_the_same_order(build: Build) -> None:
    needs = centre(GAMBIR, {"KULINER": 30}, {})
    offers = [offer(1, "Near", ["31.71.01"], KULINER=6), offer(3, "beta", [], KULINER=12)]
    found = build(needs, offers, 1)
    assert [m.name for m in found.members] == ["beta"]


def test_score_and_coverage_when_nothing_is_missing() -> None:
    assert scoring.score(Reach.KECAMATAN, 0, 0) == 0.0
    assert scoring.coverage(0, 0) == 1.0


def test_a_kecamatan_without_centre_needs_nothing() -> None:
    bare = CentreNeeds(kecamatan=GAMBIR, centre_id=None)
    assert (bare.gap, bare.gaps()) == (0, {})
    assert blocks.coverage_many([bare], {"31": [A]}, max_communities=5)[0].coalition_coverage == 1.0


def _random_case(rng: random.Random) -> tuple[list[CentreNeeds], list[Offer]]:
    kecamatans = [
        KecamatanRef(id=i, code=f"{p}.{k:02d}.{n:02d}", kota_id=k)
        for i, (p, k, n) in enumerate(
            {(rng.choice(["31", "32"]), rng.randint(1, 3), rng.randint(1, 4)) for _ in range(12)}
        )
    ]
    areas = [k.code for k in kecamatans] + ["31", "32", "31.01", "31.02", "32.03", "33"]
    needs = [
        centre(
            k,
            {c: rng.choice([0, 3, 8, 20]) for c in SECTORS},
            {c: rng.choice([0, 2, 5]) for c in SECTORS},
        )
        for k in kecamatans
    ]
    offers = [
        offer(
            i,
            rng.choice(["Kopi", "kopi", "Batik", "Tani", "Jasa"]) + f" {i % 7}",
            rng.sample(areas, k=rng.choice([0, 1, 1, 2, 3])),
            **{c: rng.choice([0, 1, 3, 6]) for c in SECTORS},
        )
        for i in range(30)
    ]
    return needs, offers


@pytest.mark.parametrize("seed", range(25))
def test_vectorised_blocks_agree_with_the_definitions(seed: int) -> None:
    rng = random.Random(seed)
    needs, offers = _random_case(rng)
    by_province = _by_province(offers)
    only = frozenset({KULINER.id, JASA.id}) if seed % 3 == 0 else None
    size = rng.choice([1, 3, 5])

    ranked = blocks.rank_many(needs, by_province, first=40, sector_ids=only)
    built = blocks.coalitions_many(needs, by_province, max_communities=size)
    rows = blocks.coverage_many(needs, by_province, max_communities=size)

    for n, r, c, row in zip(needs, ranked, built, rows, strict=True):
        assert r == scoring.complements(n, offers, first=40, sector_ids=only)
        assert c == scoring.coalition(n, offers, max_communities=size)
        assert row == scoring.coverage_row(n, offers, max_communities=size)


@pytest.mark.parametrize("impl", ["ref", "numpy"])
def test_huge_gaps_still_rank_exactly(impl: str) -> None:
    # Keys of quarters * filled * (max filled + 1) would overflow 64 bits here.
    needs = centre(GAMBIR, {"KULINER": 2_000_000_000, "KRIYA": 2_000_000_000}, {})
    offers = [
        offer(1, "Near", ["31.71.01"], KULINER=1_500_000_000),  # 1.5e9 weighted
        offer(2, "Wide", [], KULINER=1_999_999_999, KRIYA=1_000_000_000),  # 1.4999999995e9
    ]
    rank = rank_reference if impl == "ref" else rank_blocks
    build = coalition_reference if impl == "ref" else coalition_blocks
    assert [c.name for c in rank(needs, offers, 5, None)] == ["Near", "Wide"]
    found = build(needs, offers, 2)
    assert [(m.name, m.filled) for m in found.members] == [
        ("Near", 1_500_000_000),
        ("Wide", 500_000_000 + 1_000_000_000),
    ]
