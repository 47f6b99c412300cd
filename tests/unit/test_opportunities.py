"""Opportunities, the pairs of DESIGN section 3 seen from the community: the worked example with
hand-computed numbers, and random cases against the vectorised complements."""

from __future__ import annotations

import random

import pytest

from hub.matching import blocks, scoring
from hub.matching.scoring import KecamatanRef, Reach
from tests.unit.test_matching import (
    GAMBIR,
    GAMBIR_NEEDS,
    A,
    B,
    C,
    D,
    _by_province,
    _random_case,
    centre,
)

MENTENG = KecamatanRef(id=4, code="31.71.06", name="Menteng", kota_id=2)
CIPAYUNG = KecamatanRef(id=5, code="31.75.10", name="Cipayung", kota_id=5)
BOGOR = KecamatanRef(id=6, code="32.01.01", name="Bogor", kota_id=6)


def _seen(found: list[scoring.Opportunity]) -> list[tuple[str, Reach, float, int]]:
    return [(o.kecamatan.code, o.reach, round(o.score, 4), o.filled) for o in found]


def test_community_a_is_needed_most_in_gambir() -> None:
    menteng = centre(MENTENG, {"KULINER": 10}, {})  # gap 10, A fills 10 of 10 at 0.75
    cipayung = centre(CIPAYUNG, {"KULINER": 5, "KRIYA": 5}, {})  # A fills 5 of 10 at 0.5
    bogor = centre(BOGOR, {"KULINER": 50}, {})  # another province: out of A's reach

    found = scoring.opportunities(A, [GAMBIR_NEEDS, menteng, cipayung, bogor], first=5)

    assert _seen(found) == [
        ("31.71.06", Reach.KOTA, 0.75, 10),
        ("31.71.01", Reach.KOTA, 0.4286, 12),
        ("31.75.10", Reach.PROVINCE, 0.25, 5),
    ]
    gambir = found[1]
    assert gambir.score == 0.75 * 12 / 21
    assert [(s.sector.code, s.gap, s.free, s.filled) for s in gambir.sectors] == [
        ("KULINER", 15, 12, 12),
        ("KRIYA", 6, 0, 0),
    ]


def test_the_worked_example_seen_from_each_community() -> None:
    seen = {o.community_id: scoring.opportunities(o, [GAMBIR_NEEDS], first=5) for o in (A, B, C, D)}

    assert _seen(seen[A.community_id]) == [("31.71.01", Reach.KOTA, 0.4286, 12)]
    assert _seen(seen[B.community_id]) == [("31.71.01", Reach.KECAMATAN, 0.2857, 6)]
    assert _seen(seen[C.community_id]) == [("31.71.01", Reach.ANYWHERE, 0.3571, 15)]
    assert seen[D.community_id] == []


def test_equal_scores_go_by_filled_then_code() -> None:
    # C has no KRIYA free: three kecamatan at score 0 and nothing filled, ordered by code,
    # after the one where it fills all 8 missing KULINER places (0.5 anywhere).
    small = centre(KecamatanRef(id=7, code="31.74.02", kota_id=4), {"KRIYA": 2}, {})
    large = centre(KecamatanRef(id=8, code="31.74.09", kota_id=4), {"KULINER": 8}, {})
    twin = centre(KecamatanRef(id=9, code="31.74.01", kota_id=4), {"KRIYA": 2}, {})
    nothing = centre(GAMBIR, {}, {})

    found = scoring.opportunities(C, [small, nothing, large, twin], first=10)

    assert _seen(found) == [
        ("31.74.09", Reach.ANYWHERE, 0.5, 8),
        ("31.71.01", Reach.ANYWHERE, 0.0, 0),
        ("31.74.01", Reach.ANYWHERE, 0.0, 0),
        ("31.74.02", Reach.ANYWHERE, 0.0, 0),
    ]
    assert _seen(scoring.opportunities(C, [small, large], first=1)) == [
        ("31.74.09", Reach.ANYWHERE, 0.5, 8)
    ]
    assert scoring.opportunities(C, [small, large], first=0) == []


def test_equal_scores_with_other_denominators_go_by_filled() -> None:
    # 3 of 6 and 2 of 4 missing places: both 0.5 * 1/2 = 0.25; the larger fill first, though
    # its code comes later.
    three = centre(KecamatanRef(id=10, code="31.73.05", kota_id=3), {"KULINER": 6}, {})
    one = centre(KecamatanRef(id=11, code="31.73.01", kota_id=3), {"KULINER": 2, "KRIYA": 2}, {})
    near = scoring.Offer(20, "Near", ("31",), {1: 3})

    found = scoring.opportunities(near, [one, three], first=5)

    assert _seen(found) == [
        ("31.73.05", Reach.PROVINCE, 0.25, 3),
        ("31.73.01", Reach.PROVINCE, 0.25, 2),
    ]
    assert found[0].score == found[1].score


@pytest.mark.parametrize("seed", range(25))
def test_both_sides_of_every_pair_agree(seed: int) -> None:
    rng = random.Random(seed)
    needs, offers = _random_case(rng)
    only = frozenset({1, 4}) if seed % 3 == 0 else None

    ranked = blocks.rank_many(needs, _by_province(offers), first=100, sector_ids=only)
    from_kecamatan = {
        (c.community_id, n.kecamatan.code): (c.reach, c.score, c.filled, c.sectors)
        for n, found in zip(needs, ranked, strict=True)
        for c in found
    }
    from_community = {
        (o.community_id, p.kecamatan.code): (p.reach, p.score, p.filled, p.sectors)
        for o in offers
        for p in scoring.opportunities(o, needs, first=100, sector_ids=only)
    }

    assert from_community == from_kecamatan
    assert len(from_kecamatan) > 50
