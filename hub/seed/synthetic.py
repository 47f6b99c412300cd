"""A deterministic dataset of Indonesia's size, for benchmarks and tests at national scale.

38 provinces, 514 kabupaten/kota and 7,285 kecamatan, each kecamatan with its centre and four
mentors; 5,000 communities serving areas at every level (a kecamatan or several, a kota or
several, a province, mixes of levels, anywhere) with 60,000 mentors; demand for every centre
and sector, a few hundred to a few thousand entrepreneurs per centre, far beyond what its four
mentors offer; and 3,000 joint plans in every status, whose allocations hold and add places.
Residents in the loop: 375,000 participants (with their consent), the trainings of active and
completed plans (past ones done, with attendance; upcoming ones filled, some beyond capacity
with a waitlist), and 100,000 interests of the last 120 days. Training and interest dates are
counted from the day of the load (`today`), so upcoming trainings stay upcoming.

Province 31 is Jakarta with its real codes and names (the reference data); the other provinces
carry the real Kemendagri province codes and synthetic kota and kecamatan in the same format
(`PP.KK`, `PP.KK.NN`; kabupaten from 01, kota from 71) with made-up names. People, addresses and
phone numbers are fictional. Every region has a position (lat/lon): Jakarta's are real, the
other provinces sit at their capital's and their kota and kecamatan around it, drawn from a
random stream of their own. The same seed gives the same data, row for row (and, in a fresh
database, id for id).

The dataset goes into its own, empty database (or one holding only the reference data): the
loader refuses any other, so that benchmark data never mixes with real data.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace

from tortoise import connections
from tortoise.models import Model

from hub.core import InvalidState, dataversion, write_transaction
from hub.seed.demo import FIRST_NAMES, LAST_NAMES, SECTOR_WEIGHTS
from hub.seed.reference import centre_email, centre_name, jakarta_kecamatan, load_reference_data
from models.accounts import Account
from models.directory import (
    Centre,
    Community,
    CommunityArea,
    CommunitySector,
    Demand,
    Mentor,
    MentorSkill,
    Sector,
)
from models.enums import (
    CommunityKind,
    ConsentChannel,
    PartyStatus,
    PlanStatus,
    RegionLevel,
    RegistrationStatus,
    TrainingStatus,
)
from models.participation import Interest, Participant, Registration
from models.plans import Allocation, Plan, PlanEvent, PlanParty, Training, TrainingOrganiser
from models.regions import Region

DEFAULT_SEED = 2017
BATCH = 5000

PROVINCE_CODES = (
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35",
    "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "92", "93", "94", "95", "96",
)  # fmt: skip
"""Indonesia's 38 Kemendagri province codes."""

PROVINCE_SEATS: dict[str, tuple[float, float]] = {
    "11": (5.55, 95.32), "12": (3.59, 98.67), "13": (-0.95, 100.35), "14": (0.51, 101.45),
    "15": (-1.61, 103.61), "16": (-2.99, 104.76), "17": (-3.80, 102.27), "18": (-5.43, 105.26),
    "19": (-2.13, 106.11), "21": (0.92, 104.45), "31": (-6.18, 106.83), "32": (-6.92, 107.61),
    "33": (-6.99, 110.42), "34": (-7.80, 110.36), "35": (-7.25, 112.75), "36": (-6.12, 106.15),
    "51": (-8.65, 115.22), "52": (-8.58, 116.12), "53": (-10.18, 123.61), "61": (-0.03, 109.33),
    "62": (-2.21, 113.92), "63": (-3.44, 114.83), "64": (-0.50, 117.15), "65": (2.84, 117.37),
    "71": (1.47, 124.84), "72": (-0.90, 119.87), "73": (-5.15, 119.43), "74": (-3.97, 122.51),
    "75": (0.54, 123.06), "76": (-2.68, 118.89), "81": (-3.70, 128.18), "82": (0.79, 127.38),
    "91": (-2.53, 140.72), "92": (-0.86, 134.06), "93": (-8.49, 140.40), "94": (-3.37, 135.50),
    "95": (-4.10, 138.95), "96": (-0.88, 131.26),
}  # fmt: skip
"""Where each province's capital lies (lat, lon): the synthetic kota and kecamatan are placed
around it, so that a map of the national dataset looks like Indonesia."""

_PLACE_HEADS = (
    "Suka", "Tanjung", "Sungai", "Bukit", "Karang", "Pasir", "Teluk", "Muara", "Air", "Batu",
    "Rawa", "Sumber", "Gunung", "Padang", "Lubuk", "Pulau", "Kuala", "Tanah", "Kampung", "Rantau",
    "Sei", "Ujung", "Lembah", "Talang",
)  # fmt: skip
_PLACE_TAILS = (
    "Jaya", "Makmur", "Indah", "Baru", "Raya", "Sari", "Mulya", "Asri", "Damai", "Harapan",
    "Tengah", "Timur", "Barat", "Utara", "Selatan", "Permai", "Lestari", "Mekar", "Agung",
    "Sejahtera", "Merdeka", "Kencana",
)  # fmt: skip
_COMMUNITY_HEADS = {
    CommunityKind.SECTOR: ("Komunitas", "Asosiasi", "Paguyuban", "Himpunan"),
    CommunityKind.ORGANISATION: ("Koperasi", "Ikatan", "Forum", "Perkumpulan"),
    CommunityKind.REGION: ("UMKM", "Wirausaha", "Sahabat UMKM", "Kampung Wirausaha"),
}
_AUDIENCES = ("umum", "pemuda", "perempuan", "ibu rumah tangga", "pedagang", "santri", "nelayan")
_PLAN_STATUSES = (
    (PlanStatus.PROPOSED, 20),
    (PlanStatus.ACTIVE, 40),
    (PlanStatus.DECLINED, 10),
    (PlanStatus.CANCELLED, 10),
    (PlanStatus.COMPLETED, 20),
)
_FIRST_DAY = dt.date(2026, 1, 5)
_EVENT_VERSIONS = {
    "PROPOSED": 1,
    "ACCEPTED": 2,
    "ACTIVATED": 2,
    "DECLINED": 2,
    "CANCELLED": 3,
    "COMPLETED": 3,
}


@dataclass(frozen=True)
class Size:
    """How much to generate; `NATIONAL` is Indonesia's size."""

    provinces: int = 38
    kotas: int = 514
    kecamatans: int = 7285
    communities: int = 5000
    community_mentors: int = 60000
    mentors_per_centre: int = 4
    plans: int = 3000
    participants: int = 375_000
    interests: int = 100_000

    def scaled(self, factor: float) -> Size:
        """A smaller (or larger) dataset of the same shape; Jakarta is always whole."""
        if factor <= 0:
            raise ValueError("the scale must be positive")
        provinces = min(len(PROVINCE_CODES), max(2, round(self.provinces * factor)))
        kotas = max(6 + provinces - 1, round(self.kotas * factor))
        kecamatans = max(44 + kotas - 6, round(self.kecamatans * factor))
        communities = max(10, round(self.communities * factor))
        return replace(
            self,
            provinces=provinces,
            kotas=kotas,
            kecamatans=kecamatans,
            communities=communities,
            community_mentors=max(communities, round(self.community_mentors * factor)),
            plans=round(self.plans * factor),
            participants=max(200, round(self.participants * factor)),
            interests=max(50, round(self.interests * factor)),
        )


NATIONAL = Size()


@dataclass(frozen=True)
class Loaded:
    """What `load_national` wrote, table by table."""

    provinces: int
    kotas: int
    kecamatans: int
    centres: int
    mentors: int
    skills: int
    demand: int
    communities: int
    community_areas: int
    plans: int
    allocations: int
    trainings: int
    participants: int
    registrations: int
    interests: int
    seconds: float

    def summary(self) -> str:
        counts = ", ".join(
            f"{f.name.replace('_', ' ')} {getattr(self, f.name):,}"
            for f in fields(self)
            if f.name != "seconds"
        )
        return f"{counts} in {self.seconds:.1f} s"


@dataclass
class _Place:
    id: int
    code: str
    name: str
    parent: _Place | None = None
    lat: float = 0.0
    lon: float = 0.0

    @property
    def province(self) -> _Place:
        return self.parent.province if self.parent else self


class _Ids:
    """Explicit primary keys, continuing after the rows already there, so that the same seed
    gives the same ids and children can point at parents before anything is written."""

    def __init__(self, start: int) -> None:
        self.next = start

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


async def _next_id(model: type[Model]) -> int:
    row = await model.all().order_by("-id").first()
    return int(row.pk) + 1 if row else 1


async def _check_for_national_data() -> None:
    """Only an empty database, or one with nothing but the reference data, will do."""
    reference = len(jakarta_kecamatan()) + len({k.kota_code for k in jakarta_kecamatan()}) + 1
    found = {
        "regions beyond the reference data": max(0, await Region.all().count() - reference),
        "communities": await Community.all().count(),
        "mentors": await Mentor.all().count(),
        "demand rows": await Demand.all().count(),
        "plans": await Plan.all().count(),
        "trainings": await Training.all().count(),
        "accounts": await Account.all().count(),
    }
    held = [f"{n:,} {what}" for what, n in found.items() if n]
    if held:
        raise InvalidState(
            "the national dataset is loaded into its own, empty database, and this one already "
            f"holds {', '.join(held)}. Point HUB_DATABASE_URL (or HUB_DATA_DIR) at a new "
            "database and run the command again."
        )


class _Generator:
    """Draws every row from one seeded random stream, in a fixed order."""

    def __init__(self, seed: int, size: Size, sectors: list[Sector]) -> None:
        self.rng = random.Random(seed)
        # Positions come from a stream of their own: the rest of the data stays as it was.
        self.positions = random.Random(f"{seed}:positions")
        self.size = size
        self.sectors = sectors
        self.weights = [SECTOR_WEIGHTS.get(s.code, 1) for s in sectors]
        self.people = 0

    def near(self, lat: float, lon: float, spread: float) -> tuple[float, float]:
        """A position around (lat, lon), `spread` degrees apart on average, rounded as the
        reference data is."""
        return (
            round(lat + self.positions.gauss(0, spread), 5),
            round(lon + self.positions.gauss(0, spread), 5),
        )

    def place_name(self) -> str:
        return f"{self.rng.choice(_PLACE_HEADS)} {self.rng.choice(_PLACE_TAILS)}"

    def person(self) -> dict[str, str]:
        self.people += 1
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return {
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{self.people}@example.org".lower(),
            "phone": f"+62812{self.people:08d}",
        }

    def spread(self, total: int, buckets: int) -> list[int]:
        """`total` items over `buckets`, at least one each, unevenly."""
        weights = [self.rng.uniform(0.4, 1.6) for _ in range(buckets)]
        counts = [1] * buckets
        for bucket in self.rng.choices(range(buckets), weights=weights, k=total - buckets):
            counts[bucket] += 1
        return counts

    def sector(self) -> Sector:
        return self.rng.choices(self.sectors, weights=self.weights)[0]


async def _insert(
    model: type[Model],
    rows: Iterable[Model],
    *,
    say: Callable[[str], None] | None = None,
    what: str = "",
    total: int = 0,
) -> int:
    """Bulk inserts of BATCH rows; `say` hears the count every 50,000 rows and at the end."""
    batch: list[Model] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            await model.bulk_create(batch)
            count += len(batch)
            batch = []
            if say and count % 50_000 == 0:
                say(f"{what} {count:,}/{total:,}")
    if batch:
        await model.bulk_create(batch)
        count += len(batch)
    if say and (batch or count % 50_000):
        say(f"{what} {count:,}/{total:,}")
    return count


NATIONAL_STEPS = (
    "regions",
    "centres",
    "centre mentors",
    "demand",
    "communities",
    "plans",
    "residents",
)
"""The steps of `load_national`, in order, as its `step` callback names them."""


def _no_progress(step: str) -> None:
    return None


async def load_national(
    *,
    seed: int = DEFAULT_SEED,
    size: Size = NATIONAL,
    today: dt.date | None = None,
    step: Callable[[str], None] = _no_progress,
    progress: Callable[[str], None] | None = None,
) -> Loaded:
    """Generate the national dataset into an empty database (reference data is loaded first
    when missing). All in one transaction: on any error nothing stays. `step` is called with
    each of `NATIONAL_STEPS` as it begins (a progress bar); `progress`, when given, also hears
    how far each table of residents has come."""
    started = time.perf_counter()
    await _check_for_national_data()
    await load_reference_data()
    sectors = list(await Sector.all().order_by("position", "code"))
    gen = _Generator(seed, size, sectors)
    async with write_transaction():
        step("regions")
        provinces, kota_count, kecamatans = await _regions(gen)
        step("centres")
        centres = await _centres(kecamatans)
        step("centre mentors")
        mentors, skills = await _centre_mentors(gen, centres)
        step("demand")
        demand = await _insert(
            Demand,
            (
                Demand(
                    centre_id=centre_id,
                    sector_id=sector.id,
                    demand=gen.rng.randint(w * 40, w * 160) if gen.rng.random() < 0.9 else 0,
                )
                for centre_id in centres.values()
                for sector, w in zip(sectors, gen.weights, strict=True)
            ),
        )
        step("communities")
        communities, areas, community_mentors = await _communities(gen, provinces, kecamatans)
        mentors += sum(len(m) for m in community_mentors.values())
        skills += sum(len(s) for m in community_mentors.values() for _, s in m)
        step("plans")
        plans, allocations = await _plans(gen, centres, kecamatans, community_mentors)
        step("residents")
        say = progress or (lambda line: None)
        say(f"directory and plans written ({time.perf_counter() - started:.0f} s)")
        residents = await _residents(
            gen, kecamatans, centres, today or dt.datetime.now(dt.UTC).date(), say
        )
        await _reset_sequences()
        await dataversion.bump()
    return Loaded(
        provinces=len(provinces),
        kotas=kota_count,
        kecamatans=len(kecamatans),
        centres=len(centres),
        mentors=mentors,
        skills=skills,
        demand=demand,
        communities=communities,
        community_areas=areas,
        plans=plans,
        allocations=allocations,
        trainings=residents.trainings,
        participants=residents.participants,
        registrations=residents.registrations,
        interests=residents.interests,
        seconds=time.perf_counter() - started,
    )


async def _regions(
    gen: _Generator,
) -> tuple[list[_Place], int, list[_Place]]:
    """Jakarta as the reference data has it, then the other provinces, kota and kecamatan."""
    existing = {r.code: r for r in await Region.all().order_by("code")}
    places: dict[str, _Place] = {}
    for code, region in existing.items():
        parent = places.get(code.rpartition(".")[0]) if "." in code else None
        places[code] = _Place(region.id, code, region.name, parent)
    jakarta = [p for p in places.values() if p.code.count(".") == 1]
    others = [c for c in PROVINCE_CODES if c not in places][: gen.size.provinces - 1]
    kota_counts = gen.spread(gen.size.kotas - len(jakarta), len(others))
    next_id = _Ids(await _next_id(Region))
    new_provinces: list[_Place] = []
    new_kotas: list[_Place] = []
    rows: list[Region] = []
    for code, count in zip(others, kota_counts, strict=True):
        name = gen.place_name()
        province = _Place(next_id(), code, name)
        province.lat, province.lon = PROVINCE_SEATS[code]
        new_provinces.append(province)
        rows.append(
            Region(
                id=province.id,
                code=code,
                level=RegionLevel.PROVINCE,
                name=name,
                official_name=f"Provinsi {name}",
                lat=province.lat,
                lon=province.lon,
            )
        )
        cities = min(9, count // 5)
        if count - cities > 70:
            raise ValueError(f"{count} kota do not fit the codes of province {code}")
        numbers = [f"{n:02d}" for n in range(1, count - cities + 1)]
        numbers += [f"{n:02d}" for n in range(71, 71 + cities)]
        for number in numbers:
            name = gen.place_name()
            kota = _Place(next_id(), f"{code}.{number}", name, province)
            kota.lat, kota.lon = gen.near(province.lat, province.lon, 0.9)
            new_kotas.append(kota)
            official = f"Kota {name}" if number >= "71" else f"Kabupaten {name}"
            rows.append(
                Region(
                    id=kota.id,
                    code=kota.code,
                    level=RegionLevel.KOTA,
                    name=name,
                    official_name=official,
                    parent_id=province.id,
                    lat=kota.lat,
                    lon=kota.lon,
                )
            )
    jakarta_kecamatan_count = sum(1 for p in places.values() if p.code.count(".") == 2)
    kecamatan_counts = gen.spread(gen.size.kecamatans - jakarta_kecamatan_count, len(new_kotas))
    new_kecamatans: list[_Place] = []
    for kota, count in zip(new_kotas, kecamatan_counts, strict=True):
        if count > 99:
            raise ValueError(f"{count} kecamatan do not fit two-digit codes in kota {kota.code}")
        for n in range(1, count + 1):
            name = gen.place_name()
            kecamatan = _Place(next_id(), f"{kota.code}.{n:02d}", name, kota)
            kecamatan.lat, kecamatan.lon = gen.near(kota.lat, kota.lon, 0.12)
            new_kecamatans.append(kecamatan)
            rows.append(
                Region(
                    id=kecamatan.id,
                    code=kecamatan.code,
                    level=RegionLevel.KECAMATAN,
                    name=name,
                    official_name=f"Kecamatan {name}",
                    parent_id=kota.id,
                    lat=kecamatan.lat,
                    lon=kecamatan.lon,
                )
            )
    await _insert(Region, rows)
    provinces = [p for p in places.values() if "." not in p.code] + new_provinces
    kecamatans = [p for p in places.values() if p.code.count(".") == 2] + new_kecamatans
    return provinces, len(jakarta) + len(new_kotas), kecamatans


async def _centres(kecamatans: Sequence[_Place]) -> dict[int, int]:
    """The centre of every kecamatan (Jakarta's come with the reference data): region id ->
    centre id."""
    existing = dict(await Centre.all().values_list("kecamatan_id", "id"))
    next_id = _Ids(await _next_id(Centre))
    rows = []
    for k in kecamatans:
        if k.id in existing:
            continue
        existing[k.id] = next_id()
        kota = k.parent.name if k.parent else ""
        rows.append(
            Centre(
                id=existing[k.id],
                kecamatan_id=k.id,
                name=centre_name(k.name),
                address=f"Kantor Kecamatan {k.name}, {kota}",
                contact_email=centre_email(k.code),
            )
        )
    await _insert(Centre, rows)
    return {k.id: existing[k.id] for k in kecamatans}


async def _centre_mentors(gen: _Generator, centres: dict[int, int]) -> tuple[int, int]:
    next_mentor = _Ids(await _next_id(Mentor))
    mentors: list[Mentor] = []
    skills: list[MentorSkill] = []
    for centre_id in centres.values():
        for _ in range(gen.size.mentors_per_centre):
            mentor = Mentor(id=next_mentor(), centre_id=centre_id, **gen.person())
            mentors.append(mentor)
            chosen = {gen.sector().id: gen.rng.randint(5, 15)}
            if gen.rng.random() < 0.5:
                chosen.setdefault(gen.sector().id, gen.rng.randint(2, 6))
            skills += [
                MentorSkill(mentor_id=mentor.id, sector_id=s, capacity=c) for s, c in chosen.items()
            ]
    await _insert(Mentor, mentors)
    await _insert(MentorSkill, skills)
    return len(mentors), len(skills)


def _served_areas(
    gen: _Generator, home: _Place, provinces: Sequence[_Place], by_parent: dict[int, list[_Place]]
) -> list[_Place]:
    """The areas one community serves: every level, and mixes of them, around its home."""
    rng = gen.rng
    kota, province = home.parent, home.province
    assert kota is not None
    pattern = rng.choices(
        ["anywhere", "province", "kota", "kecamatan", "mixed"], weights=[6, 18, 30, 34, 12]
    )[0]
    if pattern == "anywhere":
        return []
    if pattern == "province":
        areas = [province]
        if rng.random() < 0.2:
            areas.append(rng.choice(provinces))
    elif pattern == "kota":
        siblings = by_parent[province.id]
        areas = [kota, *rng.sample(siblings, k=min(len(siblings), rng.randint(0, 2)))]
    elif pattern == "kecamatan":
        neighbours = by_parent[kota.id]
        areas = [home, *rng.sample(neighbours, k=min(len(neighbours), rng.randint(0, 3)))]
    else:
        other_kota = rng.choice(by_parent[province.id])
        areas = [kota, rng.choice(by_parent[other_kota.id])]
        if rng.random() < 0.3:
            areas.append(rng.choice(provinces))
    return list({a.id: a for a in areas}.values())


async def _communities(
    gen: _Generator, provinces: Sequence[_Place], kecamatans: Sequence[_Place]
) -> tuple[int, int, dict[int, list[tuple[int, dict[int, int]]]]]:
    """Communities with sectors, areas and mentors. Returns the counts and, per community, its
    mentors' skills (mentor id, {sector id: capacity})."""
    rng = gen.rng
    by_parent: dict[int, list[_Place]] = defaultdict(list)
    for k in kecamatans:
        assert k.parent is not None
        by_parent[k.parent.id].append(k)
        by_parent[k.parent.province.id].append(k.parent)
    by_parent = {key: list({p.id: p for p in value}.values()) for key, value in by_parent.items()}
    next_community = _Ids(await _next_id(Community))
    communities: list[Community] = []
    links: list[CommunitySector] = []
    areas: list[CommunityArea] = []
    offered: dict[int, list[int]] = {}
    for number in range(1, gen.size.communities + 1):
        kind = rng.choices(list(CommunityKind), weights=[5, 3, 2])[0]
        chosen = list({gen.sector().id: None for _ in range(rng.randint(1, 3))})
        home = rng.choice(kecamatans)
        first_sector = next(s for s in gen.sectors if s.id == chosen[0])
        community = Community(
            id=next_community(),
            name=(
                f"{rng.choice(_COMMUNITY_HEADS[kind])} {first_sector.name} {home.name} {number:04d}"
            ),
            kind=kind,
            description=f"Pelaku usaha {first_sector.name.lower()} di sekitar {home.name}.",
            audiences=[rng.choice(_AUDIENCES)],
            member_count=rng.randrange(20, 2000, 10),
        )
        communities.append(community)
        offered[community.id] = chosen
        links += [CommunitySector(community_id=community.id, sector_id=s) for s in chosen]
        areas += [
            CommunityArea(community_id=community.id, region_id=a.id)
            for a in _served_areas(gen, home, provinces, by_parent)
        ]
    await _insert(Community, communities)
    await _insert(CommunitySector, links)
    await _insert(CommunityArea, areas)

    next_mentor = _Ids(await _next_id(Mentor))
    mentors: list[Mentor] = []
    skills: list[MentorSkill] = []
    skills_of: dict[int, list[tuple[int, dict[int, int]]]] = defaultdict(list)
    counts = gen.spread(gen.size.community_mentors, len(communities))
    for community, count in zip(communities, counts, strict=True):
        for _ in range(count):
            mentor = Mentor(id=next_mentor(), community_id=community.id, **gen.person())
            mentors.append(mentor)
            own = offered[community.id]
            picked = rng.sample(own, k=min(len(own), rng.randint(1, 2)))
            capacity = {s: rng.randint(4, 12) for s in picked}
            skills_of[community.id].append((mentor.id, capacity))
            skills += [
                MentorSkill(mentor_id=mentor.id, sector_id=s, capacity=c)
                for s, c in capacity.items()
            ]
    await _insert(Mentor, mentors)
    await _insert(MentorSkill, skills)
    return len(communities), len(areas), skills_of


async def _plans(
    gen: _Generator,
    centres: dict[int, int],
    kecamatans: Sequence[_Place],
    community_mentors: dict[int, list[tuple[int, dict[int, int]]]],
) -> tuple[int, int]:
    """Plans of one centre and one community in every status. Open plans (proposed, active)
    never take more than a mentor's free places, as the plan rules require."""
    rng = gen.rng
    statuses = [s for s, _ in _PLAN_STATUSES]
    weights = [w for _, w in _PLAN_STATUSES]
    held: dict[tuple[int, int], int] = defaultdict(int)
    community_ids = sorted(community_mentors)
    next_plan, next_party = _Ids(await _next_id(Plan)), _Ids(await _next_id(PlanParty))
    next_allocation, next_event = _Ids(await _next_id(Allocation)), _Ids(await _next_id(PlanEvent))
    plans: list[Plan] = []
    parties: list[PlanParty] = []
    allocations: list[Allocation] = []
    events: list[PlanEvent] = []
    for number in range(1, gen.size.plans + 1):
        status = rng.choices(statuses, weights=weights)[0]
        community_id = rng.choice(community_ids)
        kecamatan = rng.choice(kecamatans)
        starts = _FIRST_DAY + dt.timedelta(days=rng.randint(-180, 180))
        version = {PlanStatus.PROPOSED: 1, PlanStatus.ACTIVE: 2, PlanStatus.DECLINED: 2}.get(
            status, 3
        )
        plan = Plan(
            id=next_plan(),
            title=f"Pendampingan bersama {kecamatan.name} {number:04d}",
            status=status,
            version=version,
            starts_on=starts,
            ends_on=starts + dt.timedelta(days=90),
            centre_id=centres[kecamatan.id],
        )
        plans.append(plan)
        centre_answer = {
            PlanStatus.PROPOSED: PartyStatus.PENDING,
            PlanStatus.DECLINED: PartyStatus.DECLINED,
        }.get(status, PartyStatus.ACCEPTED)
        parties += [
            PlanParty(
                id=next_party(), plan_id=plan.id, centre_id=plan.centre_id, status=centre_answer
            ),
            PlanParty(
                id=next_party(),
                plan_id=plan.id,
                community_id=community_id,
                status=PartyStatus.ACCEPTED,
            ),
        ]
        open_plan = status in (PlanStatus.PROPOSED, PlanStatus.ACTIVE)
        mentors = community_mentors[community_id]
        for mentor_id, capacity in rng.sample(mentors, k=min(len(mentors), rng.randint(1, 2))):
            sector_id = rng.choice(sorted(capacity))
            room = capacity[sector_id] - (held[mentor_id, sector_id] if open_plan else 0)
            mentees = min(rng.randint(1, 6), room)
            if mentees < 1:
                continue
            if open_plan:
                held[mentor_id, sector_id] += mentees
            allocations.append(
                Allocation(
                    id=next_allocation(),
                    plan_id=plan.id,
                    mentor_id=mentor_id,
                    sector_id=sector_id,
                    mentees=mentees,
                )
            )
        history = ["PROPOSED"]
        if status is PlanStatus.DECLINED:
            history.append("DECLINED")
        elif status is not PlanStatus.PROPOSED:
            history += ["ACCEPTED", "ACTIVATED"]
            if status in (PlanStatus.CANCELLED, PlanStatus.COMPLETED):
                history.append(status.value)
        events += [
            PlanEvent(id=next_event(), plan_id=plan.id, kind=kind, version=_EVENT_VERSIONS[kind])
            for kind in history
        ]
    await _insert(Plan, plans)
    await _insert(PlanParty, parties)
    await _insert(Allocation, allocations)
    await _insert(PlanEvent, events)
    return len(plans), len(allocations)


async def _reset_sequences() -> None:
    """PostgreSQL's id sequences do not see explicit ids: move them past the rows written;
    and the statistics are renewed."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    for model in (
        Region, Centre, Mentor, MentorSkill, Demand, Community, CommunitySector, CommunityArea,
        Plan, PlanParty, Allocation, PlanEvent, Training, TrainingOrganiser, Participant,
        Registration, Interest,
    ):  # fmt: skip
        table = model._meta.db_table
        await connection.execute_query(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
    # fresh statistics for the planner: before autovacuum gets to the new rows, it would
    # plan with an empty database's estimates (nested loops over tens of thousands of rows)
    await connection.execute_query("ANALYZE")


@dataclass(frozen=True)
class _Residents:
    trainings: int
    participants: int
    registrations: int
    interests: int


_CONSENT_CHANNELS = (
    (ConsentChannel.APP, 50),
    (ConsentChannel.WEB, 20),
    (ConsentChannel.PAPER, 15),
    (ConsentChannel.IN_PERSON, 10),
    (ConsentChannel.PHONE, 5),
)


async def _residents(
    gen: _Generator,
    kecamatans: Sequence[_Place],
    centres: dict[int, int],
    today: dt.date,
    say: Callable[[str], None],
) -> _Residents:
    """Participants, the trainings of active and completed plans with their registrations,
    and interests. Active plans have one past and two upcoming trainings, completed plans two
    past ones; past trainings are done, with most of the confirmed present; upcoming ones are
    filled from half their capacity to a quarter beyond it (the rest on the waitlist)."""
    rng = gen.rng
    midnight = dt.datetime(today.year, today.month, today.day, 2, 0, tzinfo=dt.UTC)
    first_participant = await _next_id(Participant)
    count = gen.size.participants
    channels = [c for c, _ in _CONSENT_CHANNELS]
    channel_weights = [w for _, w in _CONSENT_CHANNELS]
    consent_at = midnight - dt.timedelta(days=400)

    def participants() -> Iterator[Participant]:
        for n in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            number = first_participant + n
            yield Participant(
                id=number,
                name=f"{first} {last}",
                phone=f"+62857{number:08d}",
                email=f"peserta.{number}@example.org" if rng.random() < 0.7 else None,
                kecamatan_id=rng.choice(kecamatans).id,
                sector_id=gen.sector().id,
                consent_purpose="Pendaftaran dan kabar pelatihan OK OCE",
                consent_text_version="2026-01",
                consent_channel=rng.choices(channels, weights=channel_weights)[0],
                consent_at=consent_at,
            )

    written = await _insert(Participant, participants(), say=say, what="participants", total=count)
    last_participant = first_participant + written - 1

    plans = await Plan.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.COMPLETED]).order_by("id")
    communities = dict(
        await PlanParty.filter(
            plan_id__in=[p.id for p in plans], community_id__isnull=False
        ).values_list("plan_id", "community_id")
    )
    next_training = _Ids(await _next_id(Training))
    next_registration = _Ids(await _next_id(Registration))
    trainings: list[Training] = []
    organisers: list[TrainingOrganiser] = []
    registrations: list[Registration] = []
    for plan in plans:
        offsets = (
            [-rng.randint(5, 60), rng.randint(1, 30), rng.randint(31, 90)]
            if plan.status is PlanStatus.ACTIVE
            else [-rng.randint(100, 200), -rng.randint(30, 99)]
        )
        for offset in offsets:
            starts = midnight + dt.timedelta(days=offset, hours=rng.randint(0, 6))
            capacity = rng.choice((20, 25, 30, 40, 50))
            past = offset < 0
            training = Training(
                id=next_training(),
                plan_id=plan.id,
                centre_id=plan.centre_id,
                sector_id=gen.sector().id,
                title=f"Pelatihan {plan.title.removeprefix('Pendampingan bersama ')}",
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=3),
                venue="Aula pusat OK OCE",
                capacity=capacity,
                status=TrainingStatus.DONE if past else TrainingStatus.SCHEDULED,
                revision=1,
            )
            trainings.append(training)
            if plan.id in communities:
                organisers.append(
                    TrainingOrganiser(training_id=training.id, community_id=communities[plan.id])
                )
            wanted = (
                rng.randint(capacity * 6 // 10, capacity)
                if past
                else rng.randint(capacity // 2, capacity + capacity // 4)
            )
            people = rng.sample(range(first_participant, last_participant + 1), k=wanted)
            for index, person in enumerate(people):
                waiting = index >= capacity
                registrations.append(
                    Registration(
                        id=next_registration(),
                        training_id=training.id,
                        participant_id=person,
                        status=RegistrationStatus.WAITLISTED
                        if waiting
                        else RegistrationStatus.CONFIRMED,
                        position=index - capacity + 1 if waiting else None,
                        attended=past and rng.random() < 0.75,
                    )
                )
    await _insert(Training, trainings)
    await _insert(TrainingOrganiser, organisers)
    say(f"trainings {len(trainings):,}")
    await _insert(
        Registration, registrations, say=say, what="registrations", total=len(registrations)
    )

    def interests() -> Iterator[Interest]:
        for _ in range(gen.size.interests):
            yield Interest(
                participant_id=rng.randint(first_participant, last_participant),
                centre_id=centres[rng.choice(kecamatans).id],
                sector_id=gen.sector().id,
                created_at=midnight - dt.timedelta(days=rng.randint(0, 120)),
            )

    interest_count = await _insert(
        Interest, interests(), say=say, what="interests", total=gen.size.interests
    )
    return _Residents(
        trainings=len(trainings),
        participants=written,
        registrations=len(registrations),
        interests=interest_count,
    )
