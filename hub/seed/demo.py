"""The Jakarta demo: mentors, communities, demand, plans with upcoming trainings, accounts.

Deterministic (a fixed random seed); names are realistic, contact data fictional: addresses at
example.org and phone numbers in the 0812-0000-xxxx range, which no operator assigns."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hub.core import dataversion, write_transaction
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
from models.enums import CommunityKind, PartyStatus, PlanStatus, RegionLevel, Role, TrainingStatus
from models.plans import (
    Allocation,
    Plan,
    PlanEvent,
    PlanParty,
    Training,
    TrainingMentor,
    TrainingOrganiser,
)
from models.regions import Region

SEED = 2017  # the year OK OCE began

FIRST_NAMES = [
    "Siti",
    "Dewi",
    "Rina",
    "Ayu",
    "Nur",
    "Fitri",
    "Wulan",
    "Indah",
    "Putri",
    "Sri",
    "Budi",
    "Agus",
    "Andi",
    "Rizky",
    "Dimas",
    "Fajar",
    "Hendra",
    "Joko",
    "Bayu",
    "Yusuf",
    "Ratna",
    "Lestari",
    "Maya",
    "Novi",
    "Tuti",
    "Arif",
    "Eko",
    "Hadi",
    "Iwan",
    "Teguh",
]
LAST_NAMES = [
    "Rahmawati",
    "Setiawan",
    "Hidayat",
    "Saputra",
    "Wijaya",
    "Kusuma",
    "Pratama",
    "Susanti",
    "Nugroho",
    "Siregar",
    "Lubis",
    "Nasution",
    "Simanjuntak",
    "Harahap",
    "Sembiring",
    "Permana",
    "Gunawan",
    "Hasibuan",
    "Kurniawan",
    "Purnamasari",
    "Syahputra",
    "Maulana",
    "Fauzi",
    "Ramadhan",
    "Anggraini",
    "Handayani",
    "Utami",
    "Wibowo",
    "Santoso",
    "Halim",
]


@dataclass(frozen=True)
class DemoCommunity:
    name: str
    kind: CommunityKind
    sectors: tuple[str, ...]
    areas: tuple[str, ...]  # region codes; empty means anywhere
    audiences: tuple[str, ...]
    description: str


COMMUNITIES: list[DemoCommunity] = [
    # By sector
    DemoCommunity(
        "Komunitas Kuliner Nusantara",
        CommunityKind.SECTOR,
        ("KULINER",),
        ("31.71.01",),  # Gambir: the README's walkthrough
        ("umum",),
        "Pelaku usaha makanan dan minuman rumahan di Gambir.",
    ),
    DemoCommunity(
        "Asosiasi Pedagang Kaki Lima Jakarta",
        CommunityKind.SECTOR,
        ("KULINER", "RITEL"),
        ("31",),
        ("pedagang",),
        "Pedagang kaki lima se-Jakarta.",
    ),
    DemoCommunity(
        "Perajin Kriya Betawi",
        CommunityKind.SECTOR,
        ("KRIYA",),
        ("31",),
        ("umum",),
        "Kerajinan tangan dan suvenir khas Betawi.",
    ),
    DemoCommunity(
        "Komunitas Fesyen Muslim Jakarta",
        CommunityKind.SECTOR,
        ("FESYEN", "EKONOMI_SYARIAH"),
        ("31",),
        ("perempuan",),
        "Busana muslim dan modest fashion.",
    ),
    DemoCommunity(
        "Ikatan Pedagang Pasar Tradisional",
        CommunityKind.SECTOR,
        ("RITEL",),
        ("31.72", "31.75"),
        ("pedagang",),
        "Pedagang pasar tradisional.",
    ),
    DemoCommunity(
        "Komunitas Kopi Jakarta",
        CommunityKind.SECTOR,
        ("KULINER",),
        ("31.74",),
        ("pemuda",),
        "Kedai kopi dan roastery kecil.",
    ),
    DemoCommunity(
        "Komunitas Batik Jakarta",
        CommunityKind.SECTOR,
        ("FESYEN", "KRIYA"),
        ("31.71", "31.73"),
        ("perempuan",),
        "Perajin dan penjual batik Betawi.",
    ),
    DemoCommunity(
        "Komunitas Digitalpreneur Jakarta",
        CommunityKind.SECTOR,
        ("DIGITAL",),
        (),
        ("pemuda",),
        "Pemasaran digital dan toko daring.",
    ),
    DemoCommunity(
        "Asosiasi Bengkel dan Jasa Servis",
        CommunityKind.SECTOR,
        ("JASA",),
        ("31",),
        ("umum",),
        "Bengkel, servis elektronik dan jasa rumah tangga.",
    ),
    DemoCommunity(
        "Komunitas Tani Kota Jakarta",
        CommunityKind.SECTOR,
        ("PERTANIAN_PERIKANAN",),
        ("31",),
        ("umum",),
        "Pertanian perkotaan, hidroponik dan budidaya ikan.",
    ),
    DemoCommunity(
        "Nelayan Mandiri Teluk Jakarta",
        CommunityKind.SECTOR,
        ("PERTANIAN_PERIKANAN", "KULINER"),
        ("31.72", "31.01"),
        ("nelayan",),
        "Nelayan dan pengolah hasil laut.",
    ),
    DemoCommunity(
        "Komunitas Kue dan Roti Rumahan",
        CommunityKind.SECTOR,
        ("KULINER",),
        ("31.73", "31.74"),
        ("ibu rumah tangga",),
        "Usaha kue dan roti rumahan.",
    ),
    DemoCommunity(
        "Komunitas Reparasi Gawai",
        CommunityKind.SECTOR,
        ("JASA", "DIGITAL"),
        ("31.75",),
        ("pemuda",),
        "Servis telepon genggam dan komputer.",
    ),
    DemoCommunity(
        "Komunitas Daur Ulang Kreatif",
        CommunityKind.SECTOR,
        ("KRIYA",),
        (),
        ("umum",),
        "Produk kriya dari bahan daur ulang.",
    ),
    # By organisational background
    DemoCommunity(
        "Koperasi UMKM Jaya",
        CommunityKind.ORGANISATION,
        ("KULINER", "RITEL"),
        ("31",),
        ("anggota koperasi",),
        "Koperasi simpan pinjam dan usaha bersama.",
    ),
    DemoCommunity(
        "Masyarakat Ekonomi Syariah Jakarta",
        CommunityKind.ORGANISATION,
        ("EKONOMI_SYARIAH", "KULINER"),
        ("31",),
        ("umum",),
        "Penguatan usaha berbasis ekonomi syariah.",
    ),
    DemoCommunity(
        "Ibu-Ibu PKK Berdaya",
        CommunityKind.ORGANISATION,
        ("KULINER", "FESYEN"),
        ("31",),
        ("ibu rumah tangga",),
        "Pemberdayaan keluarga melalui usaha rumahan.",
    ),
    DemoCommunity(
        "Himpunan Pengusaha Muda Jakarta",
        CommunityKind.ORGANISATION,
        ("DIGITAL", "JASA"),
        (),
        ("pemuda",),
        "Pengusaha muda lintas sektor.",
    ),
    DemoCommunity(
        "Forum Wirausaha Masjid",
        CommunityKind.ORGANISATION,
        ("EKONOMI_SYARIAH", "RITEL"),
        ("31.71", "31.75"),
        ("jamaah",),
        "Wirausaha berbasis komunitas masjid.",
    ),
    DemoCommunity(
        "Perempuan Wirausaha Indonesia",
        CommunityKind.ORGANISATION,
        ("FESYEN", "KULINER", "KRIYA"),
        (),
        ("perempuan",),
        "Jejaring perempuan pelaku usaha.",
    ),
    DemoCommunity(
        "Ikatan Alumni Pelatihan Kerja",
        CommunityKind.ORGANISATION,
        ("JASA",),
        ("31",),
        ("pencari kerja",),
        "Alumni balai latihan kerja.",
    ),
    DemoCommunity(
        "Koperasi Karyawan Mandiri",
        CommunityKind.ORGANISATION,
        ("RITEL",),
        ("31.73",),
        ("karyawan",),
        "Koperasi konsumen karyawan.",
    ),
    DemoCommunity(
        "Komunitas Disabilitas Berkarya",
        CommunityKind.ORGANISATION,
        ("KRIYA", "DIGITAL"),
        (),
        ("penyandang disabilitas",),
        "Wirausaha inklusif penyandang disabilitas.",
    ),
    DemoCommunity(
        "Gerakan Santri Wirausaha",
        CommunityKind.ORGANISATION,
        ("EKONOMI_SYARIAH", "PERTANIAN_PERIKANAN"),
        ("31.74", "31.75"),
        ("santri",),
        "Kewirausahaan di lingkungan pesantren.",
    ),
    # By region
    DemoCommunity(
        "UMKM Jakarta Pusat Bersatu",
        CommunityKind.REGION,
        ("KULINER", "JASA"),
        ("31.71",),
        ("umum",),
        "Pelaku UMKM Jakarta Pusat.",
    ),
    DemoCommunity(
        "UMKM Jakarta Utara Maju",
        CommunityKind.REGION,
        ("KULINER", "RITEL"),
        ("31.72",),
        ("umum",),
        "Pelaku UMKM Jakarta Utara.",
    ),
    DemoCommunity(
        "Wirausaha Jakarta Barat",
        CommunityKind.REGION,
        ("FESYEN", "KULINER"),
        ("31.73",),
        ("umum",),
        "Pelaku UMKM Jakarta Barat.",
    ),
    DemoCommunity(
        "Sahabat UMKM Jakarta Selatan",
        CommunityKind.REGION,
        ("DIGITAL", "KULINER"),
        ("31.74",),
        ("umum",),
        "Pelaku UMKM Jakarta Selatan.",
    ),
    DemoCommunity(
        "Komunitas Usaha Jakarta Timur",
        CommunityKind.REGION,
        ("KULINER", "KRIYA"),
        ("31.75",),
        ("umum",),
        "Pelaku UMKM Jakarta Timur.",
    ),
    DemoCommunity(
        "Warga Usaha Kepulauan Seribu",
        CommunityKind.REGION,
        ("PERTANIAN_PERIKANAN", "JASA"),
        ("31.01",),
        ("nelayan",),
        "Usaha wisata bahari dan hasil laut.",
    ),
    DemoCommunity(
        "Kampung Wirausaha Tanah Abang",
        CommunityKind.REGION,
        ("FESYEN", "RITEL"),
        ("31.71.07",),
        ("pedagang",),
        "Pedagang tekstil Tanah Abang.",
    ),
    DemoCommunity(
        "Sentra Kuliner Senen",
        CommunityKind.REGION,
        ("KULINER",),
        ("31.71.04",),
        ("pedagang",),
        "Pedagang kuliner sekitar Pasar Senen.",
    ),
    DemoCommunity(
        "Komunitas Gambir Kreatif",
        CommunityKind.REGION,
        ("KRIYA", "KULINER"),
        ("31.71.01",),
        ("pemuda",),
        "Pelaku ekonomi kreatif di Gambir.",
    ),
]

# Weight of each sector in a centre's mentors and demand: culinary dominates, as in the programme.
SECTOR_WEIGHTS = {
    "KULINER": 10,
    "FESYEN": 4,
    "KRIYA": 3,
    "JASA": 3,
    "RITEL": 3,
    "PERTANIAN_PERIKANAN": 1,
    "EKONOMI_SYARIAH": 2,
    "DIGITAL": 2,
}

SHOWCASE_DEMAND = {"31.71.01": {"KULINER": 60, "KRIYA": 12}}
"""Gambir, the README's walkthrough: a clear culinary gap that communities can fill."""

DEMO_ACCOUNTS = [
    ("admin@okoce.example.org", "Admin Provinsi", Role.ADMIN, None, None),
    ("staf.gambir@okoce.example.org", "Staf Pusat Gambir", Role.STAFF, "31.71.01", None),
    (
        "koordinator@okoce.example.org",
        "Koordinator Kuliner Nusantara",
        Role.COORDINATOR,
        None,
        "Komunitas Kuliner Nusantara",
    ),
    ("mitra@okoce.example.org", "Aplikasi Mitra", Role.PARTNER, None, None),
]
"""The demo's accounts, one per role: (email, name, role, centre kecamatan, community name)."""


class _People:
    """Deterministic fictional people with unique names, emails and phone numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def next(self) -> tuple[str, str, str]:
        self.count += 1
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{self.count}@example.org".lower()
        phone = f"+62812{self.count:08d}"
        return f"{first} {last}", email, phone


def _weighted_sector(rng: random.Random, codes: list[str]) -> str:
    return rng.choices(codes, weights=[SECTOR_WEIGHTS[c] for c in codes])[0]


async def demo_loaded() -> bool:
    return await Community.exists()


async def load_demo(*, today: date | None = None) -> bool:
    """Add the Jakarta demo to a database holding the reference data. Idempotent."""
    if await demo_loaded():
        return False
    rng = random.Random(SEED)
    people = _People(rng)
    today = today or datetime.now(UTC).date()
    sectors = {s.code: s for s in await Sector.all()}
    sector_codes = list(SECTOR_WEIGHTS)
    regions = {r.code: r for r in await Region.filter(level__not=RegionLevel.KELURAHAN)}
    centres = await Centre.all().select_related("kecamatan").order_by("kecamatan__code")
    async with write_transaction():
        await _load_centre_mentors(rng, people, centres, sectors, sector_codes)
        communities = await _load_communities(rng, people, regions, sectors)
        await _load_demand(rng, centres, sectors, sector_codes)
        accounts = await _load_accounts(centres, communities)
        await _load_plans(today, centres, communities, sectors, accounts)
        await dataversion.bump()
    return True


async def _load_centre_mentors(
    rng: random.Random,
    people: _People,
    centres: list[Centre],
    sectors: dict[str, Sector],
    sector_codes: list[str],
) -> None:
    for centre in centres:
        for _ in range(4):
            name, email, phone = people.next()
            mentor = await Mentor.create(name=name, email=email, phone=phone, centre=centre)
            first = _weighted_sector(rng, sector_codes)
            skills = {first: rng.randint(5, 15)}
            if rng.random() < 0.5:
                skills.setdefault(_weighted_sector(rng, sector_codes), rng.randint(2, 6))
            await MentorSkill.bulk_create(
                [
                    MentorSkill(mentor=mentor, sector=sectors[c], capacity=n)
                    for c, n in skills.items()
                ]
            )


async def _load_communities(
    rng: random.Random,
    people: _People,
    regions: dict[str, Region],
    sectors: dict[str, Sector],
) -> dict[str, Community]:
    communities: dict[str, Community] = {}
    for spec in COMMUNITIES:
        community = await Community.create(
            name=spec.name,
            kind=spec.kind,
            description=spec.description,
            audiences=list(spec.audiences),
            member_count=rng.randrange(40, 900, 10),
        )
        communities[spec.name] = community
        await CommunitySector.bulk_create(
            [CommunitySector(community=community, sector=sectors[c]) for c in spec.sectors]
        )
        await CommunityArea.bulk_create(
            [CommunityArea(community=community, region=regions[c]) for c in spec.areas]
        )
        for _ in range(rng.randint(3, 6)):
            name, email, phone = people.next()
            mentor = await Mentor.create(name=name, email=email, phone=phone, community=community)
            chosen = rng.sample(spec.sectors, k=min(len(spec.sectors), rng.randint(1, 2)))
            await MentorSkill.bulk_create(
                [
                    MentorSkill(mentor=mentor, sector=sectors[c], capacity=rng.randint(4, 12))
                    for c in chosen
                ]
            )
    return communities


async def _load_demand(
    rng: random.Random,
    centres: list[Centre],
    sectors: dict[str, Sector],
    sector_codes: list[str],
) -> None:
    rows = []
    for centre in centres:
        showcase = SHOWCASE_DEMAND.get(centre.kecamatan.code, {})
        for code in sector_codes:
            weight = SECTOR_WEIGHTS[code]
            demand = rng.randint(weight * 3, weight * 6)
            if code != "KULINER" and rng.random() < 0.1:
                demand = 0  # some centres have nobody waiting in a minor sector
            demand = showcase.get(code, demand)
            rows.append(Demand(centre=centre, sector=sectors[code], demand=demand))
    await Demand.bulk_create(rows)


async def _load_accounts(
    centres: list[Centre], communities: dict[str, Community]
) -> dict[Role, Account]:
    by_code = {c.kecamatan.code: c for c in centres}
    accounts: dict[Role, Account] = {}
    for email, name, role, centre_code, community_name in DEMO_ACCOUNTS:
        accounts[role] = await Account.create(
            email=email,
            name=name,
            role=role,
            centre=by_code[centre_code] if centre_code else None,
            community=communities[community_name] if community_name else None,
        )
    return accounts


async def _load_plans(
    today: date,
    centres: list[Centre],
    communities: dict[str, Community],
    sectors: dict[str, Sector],
    accounts: dict[Role, Account],
) -> None:
    """Three active plans with upcoming trainings, and one proposal of the Gambir centre
    waiting for a community's answer (not for Gambir's staff: the README's walkthrough has
    them find only the plan its coordinator proposes)."""
    by_code = {c.kecamatan.code: c for c in centres}
    specs = [
        ("31.71.04", "Sentra Kuliner Senen", "Pendampingan kuliner Senen", "KULINER", 8, True),
        (
            "31.75.03",
            "Komunitas Usaha Jakarta Timur",
            "Kriya Jatinegara naik kelas",
            "KRIYA",
            5,
            True,
        ),
        ("31.74.01", "Komunitas Kopi Jakarta", "Kedai kopi Tebet", "KULINER", 6, True),
        ("31.71.01", "Komunitas Gambir Kreatif", "Kuliner Gambir bersama", "KULINER", 6, False),
    ]
    for week, (code, community_name, title, sector_code, mentees, active) in enumerate(specs):
        centre = by_code[code]
        community = communities[community_name]
        skill = (
            await MentorSkill.filter(mentor__community=community, sector=sectors[sector_code])
            .order_by("-capacity", "id")
            .select_related("mentor")
            .first()
        )
        if skill is None:
            continue
        mentor = skill.mentor
        mentees = min(mentees, skill.capacity)
        proposer = accounts[Role.STAFF] if not active else accounts[Role.ADMIN]
        plan = await Plan.create(
            title=title,
            goals=f"Mendampingi {mentees} pelaku usaha {sectors[sector_code].name.lower()}.",
            status=PlanStatus.ACTIVE if active else PlanStatus.PROPOSED,
            version=2 if active else 1,
            starts_on=today,
            ends_on=today + timedelta(days=90),
            centre=centre,
            proposed_by=proposer,
        )
        await PlanParty.create(
            plan=plan,
            centre=centre,
            status=PartyStatus.ACCEPTED,
            responded_at=datetime.now(UTC),
        )
        await PlanParty.create(
            plan=plan,
            community=community,
            status=PartyStatus.ACCEPTED if active else PartyStatus.PENDING,
            responded_at=datetime.now(UTC) if active else None,
        )
        await Allocation.create(
            plan=plan, mentor=mentor, sector=sectors[sector_code], mentees=mentees
        )
        day = today + timedelta(days=7 * (week + 1))
        starts = datetime.combine(day, time(2, 0), tzinfo=UTC)  # 09:00 in Jakarta
        training = await Training.create(
            plan=plan,
            centre=centre,
            sector=sectors[sector_code],
            title=f"Pelatihan {sectors[sector_code].name}: {title}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue=centre.address,
            capacity=30,
            status=TrainingStatus.SCHEDULED if active else TrainingStatus.PLANNED,
        )
        await TrainingOrganiser.create(training=training, community=community)
        await TrainingMentor.create(training=training, mentor=mentor)
        await PlanEvent.create(plan=plan, kind="PROPOSED", actor=proposer, version=1)
        if active:
            await PlanEvent.create(plan=plan, kind="ACTIVATED", actor=None, version=2)


DEMO_TOKEN_NAME = "demo (printed by hub serve)"
DEMO_TOKENS_FILE = "demo-tokens.txt"
DEMO_TOKEN_DAYS = 30
RENEW_BEFORE = timedelta(days=1)
"""Tokens that expire within a day are renewed at the next start, so a header pasted into
GraphiQL does not stop working in the middle of a session."""


@dataclass(frozen=True)
class DemoToken:
    """One line of `demo-tokens.txt`."""

    role: str
    email: str
    secret: str
    expires_on: date

    def line(self) -> str:
        return f"{self.role:<12} {self.email:<34} {self.secret} {self.expires_on.isoformat()}"


@dataclass(frozen=True)
class DemoTokens:
    """The demo tokens and, when they were (re)issued at this call, why."""

    tokens: list[DemoToken]
    path: Path
    renewed: str | None = None


def demo_tokens_path(data_dir: Path) -> Path:
    return data_dir / DEMO_TOKENS_FILE


async def demo_tokens(data_dir: Path) -> DemoTokens:
    """The demo's tokens, kept in `<data folder>/demo-tokens.txt` (mode 0600) so that every
    start of `hub serve` prints the same ones (DESIGN section 8).

    The file is written once, with the demo. It is written anew (earlier demo tokens revoked)
    only when it is missing or unreadable, or when one of its tokens no longer opens the demo
    account it names in this database: expired or expiring within a day, revoked, or made for
    another database (a restore, a changed `HUB_DATABASE_URL`). No demo accounts, no tokens."""
    path = demo_tokens_path(data_dir)
    kept = _read_tokens(path)
    problem: str | None
    if kept is None:
        problem = "the file could not be read" if path.exists() else "no token file yet"
    else:
        problem = await _why_not_valid(kept)
    if problem is None and kept is not None:
        return DemoTokens(tokens=kept, path=path)
    issued = await _issue_demo_tokens()
    if issued:
        _write_tokens(path, issued)
    return DemoTokens(tokens=issued, path=path, renewed=problem if issued else None)


def _read_tokens(path: Path) -> list[DemoToken] | None:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    tokens = []
    for raw in text.splitlines():
        parts = raw.split()
        if not parts or raw.startswith("#"):
            continue
        if len(parts) != 4:
            return None
        role, email, secret, expires = parts
        try:
            tokens.append(DemoToken(role, email, secret, date.fromisoformat(expires)))
        except ValueError:
            return None
    return tokens or None


async def _why_not_valid(tokens: list[DemoToken]) -> str | None:
    from hub.access.auth import hash_secret
    from models.accounts import ApiToken

    stored = {
        t.secret_hash: t
        for t in await ApiToken.filter(
            secret_hash__in=[hash_secret(t.secret) for t in tokens]
        ).select_related("account")
    }
    soon = datetime.now(UTC) + RENEW_BEFORE
    for token in tokens:
        found = stored.get(hash_secret(token.secret))
        if found is None or found.account.email != token.email:
            return f"the {token.role} token is not one of this database's"
        if found.revoked_at is not None:
            return f"the {token.role} token was revoked"
        if found.expires_at is not None and found.expires_at <= soon:
            return f"the {token.role} token expires on {found.expires_at.date().isoformat()}"
    return None


def _write_tokens(path: Path, tokens: list[DemoToken]) -> None:
    """Written beside the target with mode 0600 from the start, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            "# The demo's tokens, printed by every start of `hub serve`; each is valid "
            f"{DEMO_TOKEN_DAYS} days.\n# role, account, token, last day. "
            "Delete this file to have new ones issued.\n"
        )
        handle.writelines(token.line() + "\n" for token in tokens)
    os.replace(partial, path)


async def _issue_demo_tokens() -> list[DemoToken]:
    """A fresh token per demo account, revoking every earlier demo token."""
    from hub.access import create_token, revoke_token
    from models.accounts import ApiToken

    issued: list[DemoToken] = []
    for email, _name, role, centre_code, _community in DEMO_ACCOUNTS:
        account = await Account.get_or_none(email=email)
        if account is None:
            continue
        for old in await ApiToken.filter(
            account=account, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
        ):
            await revoke_token(token_id=old.id)
        token = await create_token(
            email=email,
            role=role,
            centre_code=centre_code,
            community_id=account.community_id,
            name=DEMO_TOKEN_NAME,
            expires_days=DEMO_TOKEN_DAYS,
        )
        expires = token.token.expires_at
        assert expires is not None
        issued.append(DemoToken(role.value, email, token.secret, expires.date()))
    return issued
