"""Complements, coalitions and coverage of many kecamatan at once, vectorised with NumPy.

The answers are those of `hub.matching.scoring` (tests hold the two together); the work is
arranged for the national size instead. Kecamatan are grouped by province, because every
community with an area in a province, and every community serving anywhere, is a candidate for
each kecamatan of that province (reach at least 0.5) and for no other. One province is one
*block*: a matrix of remaining gaps (kecamatan * sector), one of free places (candidate *
sector) and one of reach in quarters (kecamatan * candidate). Only sectors with a gap somewhere
in the block are columns; candidates that have no free place in any of them are pruned.

A candidate's place in the block is its alphabetical place, so that among equal scores and
equal fills `argmax`/stable sorting pick the name that comes first, as the ranking requires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hub.matching.scoring import (
    CentreNeeds,
    Coalition,
    Complement,
    CoverageRow,
    Offer,
    Reach,
    coverage,
    explain,
    score,
)
from hub.regions import lies_in, parent_code

Matrix = npt.NDArray[np.int64]

_REACH_OF_QUARTERS = {4: Reach.KECAMATAN, 3: Reach.KOTA, 2: Reach.PROVINCE}


@dataclass
class Block:
    """The kecamatan of one province (rows) against its candidates (columns)."""

    rows: list[int]  # positions of the kecamatan in the caller's list
    needs: list[CentreNeeds]
    offers: list[Offer]  # alphabetical
    gaps: list[dict[int, int]]  # per row, positive gaps by sector id
    sector_ids: list[int]
    gap: Matrix  # rows * sectors
    free: Matrix  # offers * sectors
    quarters: Matrix  # rows * offers: 4, 3, 2, or 0 for no candidate

    def reach(self, row: int, column: int) -> Reach:
        quarters = int(self.quarters[row, column])
        if quarters == 2 and not self.offers[column].area_codes:
            return Reach.ANYWHERE
        return _REACH_OF_QUARTERS[quarters]


def _reach_quarters(needs: Sequence[CentreNeeds], offers: Sequence[Offer]) -> Matrix:
    """Reach in quarters of every candidate for every kecamatan of one province: 2 for the
    whole province, then 3 over the kota served, then 4 on the kecamatan served (each level
    written after the one below, so the highest stays)."""
    province = needs[0].kecamatan.province_code
    index = {n.kecamatan.code: i for i, n in enumerate(needs)}
    by_kota: dict[str, list[int]] = defaultdict(list)
    for i, n in enumerate(needs):
        by_kota[parent_code(n.kecamatan.code) or ""].append(i)
    province_wide: list[int] = []
    kota_rows: list[int] = []
    kota_columns: list[int] = []
    own_rows: list[int] = []
    own_columns: list[int] = []
    for column, offer in enumerate(offers):
        inside = [a for a in offer.area_codes if lies_in(a, province)]
        if inside or not offer.area_codes:
            province_wide.append(column)
        for area in inside:
            parts = area.split(".")
            rows = by_kota.get(".".join(parts[:2]), []) if len(parts) >= 2 else []
            kota_rows += rows
            kota_columns += [column] * len(rows)
            if area in index:
                own_rows.append(index[area])
                own_columns.append(column)
    quarters = np.zeros((len(needs), len(offers)), dtype=np.int64)
    quarters[:, province_wide] = 2
    quarters[kota_rows, kota_columns] = 3
    quarters[own_rows, own_columns] = 4
    return quarters


def build_blocks(
    needs: Sequence[CentreNeeds],
    offers_by_province: Mapping[str, Sequence[Offer]],
    *,
    sector_ids: frozenset[int] | None = None,
    prune: bool = True,
) -> list[Block]:
    """One block per province of `needs`. With `prune`, candidates that cannot fill anything
    in the block are left out (right for coalitions; rankings also list those that add 0)."""
    rows_by_province: dict[str, list[int]] = defaultdict(list)
    for position, n in enumerate(needs):
        rows_by_province[n.kecamatan.province_code].append(position)
    blocks = []
    for province, rows in rows_by_province.items():
        block_needs = [needs[r] for r in rows]
        gaps = [n.gaps(sector_ids) for n in block_needs]
        columns = sorted({s for g in gaps for s in g})
        gap = np.array([[g.get(s, 0) for s in columns] for g in gaps], dtype=np.int64).reshape(
            len(rows), len(columns)
        )
        offers = sorted(offers_by_province.get(province, ()), key=lambda o: o.order)
        free = np.array(
            [[o.free.get(s, 0) for s in columns] for o in offers], dtype=np.int64
        ).reshape(len(offers), len(columns))
        quarters = _reach_quarters(block_needs, offers)
        useful = np.asarray(quarters.any(axis=0), dtype=bool)
        if prune:
            useful &= free.any(axis=1)
        blocks.append(
            Block(
                rows=rows,
                needs=block_needs,
                offers=[o for o, keep in zip(offers, useful.tolist(), strict=True) if keep],
                gaps=gaps,
                sector_ids=columns,
                gap=gap,
                free=free[useful],
                quarters=quarters[:, useful],
            )
        )
    return blocks


def _fills(gap: Matrix, free: Matrix) -> Matrix:
    """fill[k, c] = Σ_s min(gap[k, s], free[c, s]), one sector at a time (a 2-D pass per
    sector is several times faster than a 3-D temporary summed over its short last axis), in
    32-bit integers when no kecamatan misses 2**31 places or more, as no fill can exceed them."""
    small = int(gap.sum(axis=1).max(initial=0)) < 2**31
    kind = np.int32 if small else np.int64
    rows, columns = gap.shape[0], free.shape[0]
    total = np.zeros((rows, columns), dtype=kind)
    part = np.empty((rows, columns), dtype=kind)
    gap_, free_t = gap.astype(kind), np.ascontiguousarray(free.T, dtype=kind)
    for sector in range(gap.shape[1]):
        np.minimum(gap_[:, sector, None], free_t[sector][None, :], out=part)
        total += part
    result: Matrix = total.astype(np.int64)
    return result


def _ranking_keys(quarters: Matrix, filled: Matrix) -> Matrix:
    """One integer per (kecamatan, candidate) ordering by quarters * filled, then filled;
    -1 where the community is no candidate. In 64 bits while no fill reaches 2**30 places
    (about a billion), in Python's integers beyond."""
    base = int(filled.max(initial=0)) + 1
    if base >= 2**30:
        quarters, filled = quarters.astype(object), filled.astype(object)
    keys: Matrix = np.where(quarters > 0, quarters * filled * base + filled, -1)
    return keys


def rank_many(
    needs: Sequence[CentreNeeds],
    offers_by_province: Mapping[str, Sequence[Offer]],
    *,
    first: int,
    sector_ids: frozenset[int] | None = None,
) -> list[list[Complement]]:
    """The `first` best complements of each kecamatan, in the order of `needs`."""
    answers: list[list[Complement]] = [[] for _ in needs]
    for block in build_blocks(needs, offers_by_province, sector_ids=sector_ids, prune=False):
        if not block.offers or first == 0:
            continue
        filled = _fills(block.gap, block.free)
        keys = _ranking_keys(block.quarters, filled)
        top = np.argsort(-keys, axis=1, kind="stable")[:, :first]
        for row, columns in enumerate(top):
            n, gaps = block.needs[row], block.gaps[row]
            total = sum(gaps.values())
            found = []
            for column in columns.tolist():
                if keys[row, column] < 0:
                    break
                offer = block.offers[column]
                added, sectors = explain(n, gaps, offer)
                reach = block.reach(row, column)
                found.append(
                    Complement(
                        community_id=offer.community_id,
                        name=offer.name,
                        reach=reach,
                        score=score(reach, added, total),
                        filled=added,
                        sectors=sectors,
                    )
                )
            answers[block.rows[row]] = found
    return answers


def _greedy(block: Block, max_communities: int) -> tuple[Matrix, list[list[int]]]:
    """The greedy coalition of every row of a block: places covered and members' columns."""
    remaining = block.gap.copy()
    members: list[list[int]] = [[] for _ in block.rows]
    if not block.offers:
        return block.gap.sum(axis=1) - remaining.sum(axis=1), members
    chosen = np.zeros(block.quarters.shape, dtype=bool)
    active = np.flatnonzero(remaining.sum(axis=1) > 0)
    for _ in range(max_communities):
        if active.size == 0:
            break
        filled = _fills(remaining[active], block.free)
        keys = _ranking_keys(block.quarters[active], filled)
        keys[chosen[active]] = -1
        best = keys.argmax(axis=1)
        helps = keys[np.arange(active.size), best] > 0
        rows, columns = active[helps], best[helps]
        remaining[rows] -= np.minimum(remaining[rows], block.free[columns])
        chosen[rows, columns] = True
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            members[row].append(column)
        active = rows[remaining[rows].sum(axis=1) > 0]
    covered: Matrix = block.gap.sum(axis=1) - remaining.sum(axis=1)
    return covered, members


def coalitions_many(
    needs: Sequence[CentreNeeds],
    offers_by_province: Mapping[str, Sequence[Offer]],
    *,
    max_communities: int,
) -> list[Coalition]:
    """The greedy coalition of each kecamatan, members explained, in the order of `needs`."""
    answers: list[Coalition] = [Coalition(members=(), gap=0, covered=0) for _ in needs]
    for block in build_blocks(needs, offers_by_province):
        covered, members = _greedy(block, max_communities)
        for row, columns in enumerate(members):
            n, gaps = block.needs[row], block.gaps[row]
            total = sum(gaps.values())
            remaining = dict(gaps)
            explained = []
            for column in columns:
                offer = block.offers[column]
                reach = block.reach(row, column)
                alone, _ = explain(n, gaps, offer)
                added, sectors = explain(n, remaining, offer)
                explained.append(
                    Complement(
                        community_id=offer.community_id,
                        name=offer.name,
                        reach=reach,
                        score=score(reach, alone, total),
                        filled=added,
                        sectors=sectors,
                    )
                )
                for s in sectors:
                    remaining[s.sector.id] -= s.filled
            answers[block.rows[row]] = Coalition(
                members=tuple(explained), gap=total, covered=int(covered[row])
            )
    return answers


def coverage_many(
    needs: Sequence[CentreNeeds],
    offers_by_province: Mapping[str, Sequence[Offer]],
    *,
    max_communities: int,
) -> list[CoverageRow]:
    """The coverage report's rows, in the order of `needs`."""
    coverages = [1.0] * len(needs)
    for block in build_blocks(needs, offers_by_province):
        covered, _ = _greedy(block, max_communities)
        totals = block.gap.sum(axis=1)
        for row, position in enumerate(block.rows):
            coverages[position] = coverage(int(covered[row]), int(totals[row]))
    return [
        CoverageRow(
            kecamatan=n.kecamatan,
            demand=n.demand,
            supply=n.supply,
            gap=n.gap,
            coalition_coverage=c,
            waiting=n.waiting,
        )
        for n, c in zip(needs, coverages, strict=True)
    ]
