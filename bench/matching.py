"""Benchmark: complements, coverage of one kota and coverage of the country, at national size.

    python bench/matching.py --database-url URL [--samples 200] [--load]

URL names a database holding the national dataset (`hub seed --synthetic national`); with
`--load`, an empty one is loaded first and the loading is timed. Everything runs in this one
process: GraphQL operations go through `schema.execute` with a fresh context (fresh loaders)
each time, the way the HTTP view runs them, without HTTP. The response cache is not involved:
every figure is a computation from the database.

Each measurement is compared, in the same run, against a baseline a reader can reproduce:

- complements: the straightforward implementation, the ORM loading the centre and every
  candidate community with its mentors, skills and allocations, then the definitions of
  `hub.matching.scoring` one candidate at a time;
- coverage (a kota, the country): the same aggregated rows as the hub loads, then the
  definitions one kecamatan and one candidate at a time (no NumPy, no pruning).

The baselines' answers are checked equal to the hub's. Peak memory is tracemalloc's peak of
Python allocations (NumPy's included) during the country's coverage report, and the process's
maximum resident set size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

import schema
from hub import matching
from hub.core import Settings, open_database
from hub.directory import queries as directory
from hub.matching import blocks, loading, scoring
from hub.seed import load_national
from models.directory import Centre, Demand, MentorSkill, Sector
from models.enums import OPEN_PLAN_STATUSES, PlanStatus, RegionLevel
from models.plans import Allocation
from models.regions import Region
from schema.context import Context

COMPLEMENTS = """
query ($code: String!) {
  kecamatan(code: $code) {
    complements {
      community { name } score reach filled sectors { sector { code } gap free filled }
    }
  }
}
"""

COVERAGE = """
query ($kota: String) {
  coverage(kotaCode: $kota) { kecamatan { code name } demand supply gap coalitionCoverage }
}
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
        with open("/proc/meminfo") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        memory = "unknown RAM"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


@dataclass
class Timings:
    """Wall-clock and CPU milliseconds of repeated runs. CPU time is this process's: on SQLite
    it includes the database's work (it runs in-process), on PostgreSQL it does not."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    async def run(self, work: Callable[[], Awaitable[Any]]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = await work()
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)
        return result

    def p(self, q: int) -> float:
        """The q-th percentile of wall time (inclusive method)."""
        if len(self.wall) == 1:
            return self.wall[0]
        return statistics.quantiles(self.wall, n=100, method="inclusive")[q - 1]


def row(name: str, runs: Timings, target: str, baseline: Timings) -> str:
    p50, base = statistics.median(runs.wall), statistics.median(baseline.wall)
    return (
        f"| {name} | {p50:.1f} | {runs.p(99):.1f} | {max(runs.wall):.1f} "
        f"| {statistics.median(runs.cpu):.1f} | {target} | {base:.0f} | {base / p50:.0f}x |"
    )


async def graphql(settings: Settings, query: str, variables: dict[str, Any]) -> Any:
    result = await schema.schema.execute(
        query, variable_values=variables, context_value=Context(settings=settings)
    )
    if result.errors:
        raise RuntimeError(result.errors)
    return result.data


async def straightforward_complements(code: str, first: int = 5) -> list[scoring.Complement]:
    """The first thing one would write: the ORM, one query per relation, one candidate at a
    time. Candidates: communities serving the kecamatan's province or anywhere
    (`hub.directory.queries.community_query`)."""
    region = await Region.get(code=code)
    centre = await Centre.get(kecamatan_id=region.id)
    sectors = await Sector.all().order_by("position", "code")
    demand = {d.sector_id: d.demand for d in await Demand.filter(centre_id=centre.id)}
    supply: dict[int, int] = defaultdict(int)
    for skill in await MentorSkill.filter(mentor__centre_id=centre.id, mentor__active=True):
        supply[skill.sector_id] += skill.capacity
    for allocation in await Allocation.filter(
        plan__centre_id=centre.id,
        plan__status=PlanStatus.ACTIVE,
        mentor__community_id__isnull=False,
        mentor__active=True,
    ):
        supply[allocation.sector_id] += allocation.mentees
    needs = scoring.CentreNeeds(
        kecamatan=scoring.KecamatanRef(id=region.id, code=region.code),
        centre_id=centre.id,
        sectors=tuple(
            scoring.SectorNeed(
                scoring.SectorRef(s.id, s.code, s.name, s.name_en, s.position),
                demand=demand.get(s.id, 0),
                supply=supply.get(s.id, 0),
            )
            for s in sectors
            if demand.get(s.id, 0) > 0 or supply.get(s.id, 0) > 0
        ),
    )
    province = code.split(".")[0]
    candidates = await directory.community_query(area_code=province).prefetch_related(
        "areas__region", "mentors__skills", "mentors__allocations__plan"
    )
    offers = []
    for community in candidates:
        free: dict[int, int] = defaultdict(int)
        for mentor in community.mentors:
            if not mentor.active:
                continue
            for skill in mentor.skills:
                held = sum(
                    a.mentees
                    for a in mentor.allocations
                    if a.sector_id == skill.sector_id and a.plan.status in OPEN_PLAN_STATUSES
                )
                free[skill.sector_id] += max(0, skill.capacity - held)
        offers.append(
            scoring.Offer(
                community_id=community.id,
                name=community.name,
                area_codes=tuple(a.region.code for a in community.areas),
                free={s: n for s, n in free.items() if n > 0},
            )
        )
    return scoring.complements(needs, offers, first=first)


async def summed_complements(kecamatan_id: int) -> list[scoring.Complement]:
    """`hub.matching.complements` as it was before migration 0010: the candidates' free places
    summed from their mentors, skills and allocations on every request."""
    catalogue = await loading.sectors()
    needs = await loading.load_needs(loading.Scope(kecamatan_ids=[kecamatan_id]), catalogue)
    offers = await loading.load_offers({n.kecamatan.province_code for n in needs}, summed=True)
    return blocks.rank_many(needs, offers, first=matching.DEFAULT_COMPLEMENTS)[0]


async def needs_and_ranking(
    kecamatan_id: int,
    catalogue: dict[int, scoring.SectorRef],
    offers: dict[str, list[scoring.Offer]],
) -> list[list[scoring.Complement]]:
    """Complements with the candidates already in memory: what a cache of them would leave."""
    needs = await loading.load_needs(loading.Scope(kecamatan_ids=[kecamatan_id]), catalogue)
    return blocks.rank_many(needs, offers, first=matching.DEFAULT_COMPLEMENTS)


async def definitions_coverage(kota_code: str | None) -> list[scoring.CoverageRow]:
    """The coverage report from the hub's aggregated rows, computed by the definitions one
    kecamatan and one candidate at a time."""
    catalogue = await loading.sectors()
    scope = loading.Scope()
    if kota_code is not None:
        scope = loading.Scope(kota_id=await loading.kota_id(kota_code))
    needs = await loading.load_needs(scope, catalogue)
    provinces = {n.kecamatan.province_code for n in needs}
    offers = await loading.load_offers(provinces, whole_country=kota_code is None)
    return [
        scoring.coverage_row(
            n,
            offers[n.kecamatan.province_code],
            max_communities=matching.DEFAULT_COALITION_SIZE,
        )
        for n in needs
    ]


async def run(args: argparse.Namespace) -> None:
    settings = Settings(database_url=args.database_url)
    schema.configure(settings)
    async with open_database(settings):
        connection = connections.get("default")
        dialect = connection.capabilities.dialect
        if args.load:
            loaded = await load_national(seed=args.seed)
            print(f"loaded the national dataset: {loaded.summary()}", flush=True)
        kecamatans = await Region.filter(level=RegionLevel.KECAMATAN).order_by("code")
        kotas = await Region.filter(level=RegionLevel.KOTA).order_by("code")
        if len(kecamatans) < 7000:
            sys.exit(f"{len(kecamatans)} kecamatan: load the national dataset first (--load)")
        rng = random.Random(args.seed)
        load_before = os.getloadavg()

        # complements of one kecamatan
        codes = [k.code for k in rng.sample(kecamatans, args.samples)]
        ids = {k.code: k.id for k in kecamatans}
        for code in codes[:10]:  # warm up: imports, prepared statements, page cache
            await graphql(settings, COMPLEMENTS, {"code": code})
        api, service, summed, baseline = Timings(), Timings(), Timings(), Timings()
        for i, code in enumerate(codes):  # alternating, so all meet the same cache state
            runs = [
                (api, lambda c=code: graphql(settings, COMPLEMENTS, {"code": c})),
                (service, lambda c=code: matching.complements(kecamatan_ids=[ids[c]])),
                (summed, lambda c=code: summed_complements(ids[c])),
            ]
            for timings, work in runs if i % 2 else reversed(runs):
                await timings.run(work)
        for code in codes[: args.baseline_samples]:
            assert (
                await summed_complements(ids[code])
                == (await matching.complements(kecamatan_ids=[ids[code]]))[ids[code]]
            ), f"kept and summed free places rank {code} differently"
        for code in codes[: args.baseline_samples]:
            expected = await baseline.run(lambda c=code: straightforward_complements(c))
            found = (await matching.complements(kecamatan_ids=[ids[code]]))[ids[code]]
            assert found == expected, f"complements of {code} differ from the baseline"

        # what complements would cost if the candidates were kept in memory between requests
        catalogue = await loading.sectors()
        everywhere = await loading.load_offers(
            {k.code.split(".")[0] for k in kecamatans}, whole_country=True
        )
        in_memory = Timings()
        for code in codes:
            await in_memory.run(lambda c=code: needs_and_ranking(ids[c], catalogue, everywhere))
        if args.complements_only:
            load = os.getloadavg()
            print(
                f"\n### complements only, {dialect}; load {load_before[0]:.2f} -> {load[0]:.2f}\n"
            )
            print(
                "| operation (ms) | p50 | p99 | max | CPU p50 | target | baseline p50 | speed-up |"
            )
            print("|---|---|---|---|---|---|---|---|")
            name = f"`complements`, one kecamatan, GraphQL in-process ({len(api.wall)} kecamatan)"
            print(row(name, api, "p50 ≤ 20, p99 ≤ 50", baseline))
            print(row("same, service only", service, "", baseline))
            print(row("same, service, free places summed (before 0010)", summed, "", baseline))
            return

        # coverage of one kota
        kota_codes = [k.code for k in rng.sample(kotas, args.kota_samples)]
        kota_api, kota_baseline = Timings(), Timings()
        for code in kota_codes:
            await kota_api.run(lambda c=code: graphql(settings, COVERAGE, {"kota": c}))
        for code in kota_codes[: args.baseline_samples]:
            expected = await kota_baseline.run(lambda c=code: definitions_coverage(c))
            assert await matching.coverage(kota_code=code) == expected, code

        # coverage of every kecamatan
        country_api, country_service, country_baseline = Timings(), Timings(), Timings()
        for _ in range(args.rounds):
            data = await country_api.run(lambda: graphql(settings, COVERAGE, {"kota": None}))
            rows = await country_service.run(lambda: matching.coverage())
        expected = await country_baseline.run(lambda: definitions_coverage(None))
        assert rows == expected, "the country's coverage differs from the baseline"
        assert len(data["coverage"]) == len(kecamatans)

        tracemalloc.start()
        await matching.coverage()
        service_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        await graphql(settings, COVERAGE, {"kota": None})
        api_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        load_after = os.getloadavg()

    version = (
        f"SQLite {__import__('sqlite3').sqlite_version}" if dialect == "sqlite" else "PostgreSQL"
    )
    coverage_values = [r.coalition_coverage for r in rows]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\n### {version} ({dialect})\n")
    print(
        f"Machine: {machine()}. "
        f"Load average {load_before[0]:.2f} before, {load_after[0]:.2f} after."
    )
    print(
        f"Data: {len(kecamatans):,} kecamatan, {len(kotas)} kota; mean coalition coverage "
        f"{statistics.mean(coverage_values):.2f} (min {min(coverage_values):.2f}).\n"
    )
    print("| operation (ms) | p50 | p99 | max | CPU p50 | target | baseline p50 | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        row(
            f"`complements`, one kecamatan, GraphQL in-process ({len(api.wall)} kecamatan)",
            api,
            "p50 ≤ 20, p99 ≤ 50",
            baseline,
        )
    )
    print(
        row(
            "same, service only (`hub.matching.complements`)",
            service,
            "",
            baseline,
        )
    )
    print(
        row(
            "same, service with free places summed per request (before 0010)",
            summed,
            "",
            baseline,
        )
    )
    print(
        row(
            f"`coverage(kotaCode)`, GraphQL in-process ({len(kota_api.wall)} kota)",
            kota_api,
            "≤ 100",
            kota_baseline,
        )
    )
    print(
        row(
            f"`coverage`, all {len(kecamatans):,} kecamatan, GraphQL in-process "
            f"({args.rounds} runs)",
            country_api,
            "≤ 3000",
            country_baseline,
        )
    )
    print(
        row(
            "same, service only (`hub.matching.coverage`)",
            country_service,
            "",
            country_baseline,
        )
    )
    print(
        f"\nWith the candidates of every province kept in memory, the needs and the ranking of "
        f"one kecamatan would take {statistics.median(in_memory.wall):.1f} ms (p50), "
        f"{in_memory.p(99):.1f} ms (p99)."
    )
    print(
        f"Baselines: complements {len(baseline.wall)} kecamatan, kota coverage "
        f"{len(kota_baseline.wall)} "
        f"kota, country coverage 1 run; every baseline answer equals the hub's."
    )
    print(
        f"Peak Python memory (tracemalloc) during the country's coverage: "
        f"{service_peak / 2**20:.0f} MiB in the service, {api_peak / 2**20:.0f} MiB through "
        f"GraphQL; process maximum RSS {rss / 1024:.0f} MiB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--load", action="store_true", help="load the national dataset first")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--samples", type=int, default=200, help="kecamatan for complements")
    parser.add_argument("--kota-samples", type=int, default=50)
    parser.add_argument("--baseline-samples", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="runs of the country's coverage")
    parser.add_argument(
        "--complements-only", action="store_true", help="skip the coverage measurements"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
