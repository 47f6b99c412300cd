"""Reference data: Jakarta's province, kota, kecamatan and their centres, and the sectors."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

from hub.core import dataversion, write_transaction
from models.directory import Centre, Sector
from models.enums import RegionLevel
from models.regions import Region

JAKARTA_PROVINCE = ("31", "Daerah Khusus Ibukota Jakarta", "DKI Jakarta")

SECTORS: list[tuple[str, str, str]] = [
    ("KULINER", "Kuliner", "Culinary"),
    ("FESYEN", "Fesyen", "Fashion"),
    ("KRIYA", "Kriya", "Crafts"),
    ("JASA", "Jasa", "Services"),
    ("RITEL", "Ritel", "Retail"),
    ("PERTANIAN_PERIKANAN", "Pertanian dan Perikanan", "Agriculture and Fisheries"),
    ("EKONOMI_SYARIAH", "Ekonomi Syariah", "Sharia Economy"),
    ("DIGITAL", "Digital", "Digital"),
]

_OFFICIAL_PREFIXES = ("Kota Administrasi ", "Kabupaten Administrasi ", "Kota ", "Kabupaten ")


def short_name(official: str) -> str:
    """'Kota Administrasi Jakarta Pusat' -> 'Jakarta Pusat'."""
    for prefix in _OFFICIAL_PREFIXES:
        if official.startswith(prefix):
            return official.removeprefix(prefix)
    return official


@dataclass(frozen=True)
class KecamatanRow:
    code: str
    name: str
    kota_code: str
    kota_official_name: str
    lat: float
    lon: float


def jakarta_kecamatan() -> list[KecamatanRow]:
    """The 44 kecamatan of DKI Jakarta, shipped with the package."""
    text = resources.files("hub.seed").joinpath("data/jakarta_kecamatan.csv").read_text("utf-8")
    return [
        KecamatanRow(
            code=row["kecamatan_code"],
            name=row["kecamatan_name"],
            kota_code=row["kota_code"],
            kota_official_name=row["kota_name"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
        )
        for row in csv.DictReader(text.splitlines())
    ]


def centre_name(kecamatan_name: str) -> str:
    return f"Pusat OK OCE Kecamatan {kecamatan_name}"


def centre_email(kecamatan_code: str) -> str:
    return f"pusat.{kecamatan_code.replace('.', '')}@okoce.example.org"


async def load_sectors() -> None:
    await Sector.bulk_create(
        [
            Sector(code=code, name=name, name_en=name_en, position=i)
            for i, (code, name, name_en) in enumerate(SECTORS)
        ]
    )


async def load_reference_data() -> bool:
    """Load the reference data into an empty database; True when something was loaded."""
    if await Region.exists():
        return False
    rows = jakarta_kecamatan()
    async with write_transaction():
        code, official, name = JAKARTA_PROVINCE
        province = await Region.create(
            code=code, level=RegionLevel.PROVINCE, name=name, official_name=official
        )
        kotas: dict[str, Region] = {}
        for row in rows:
            if row.kota_code not in kotas:
                kotas[row.kota_code] = await Region.create(
                    code=row.kota_code,
                    level=RegionLevel.KOTA,
                    name=short_name(row.kota_official_name),
                    official_name=row.kota_official_name,
                    parent=province,
                )
        await Region.bulk_create(
            [
                Region(
                    code=row.code,
                    level=RegionLevel.KECAMATAN,
                    name=row.name,
                    official_name=f"Kecamatan {row.name}",
                    parent_id=kotas[row.kota_code].id,
                    lat=row.lat,
                    lon=row.lon,
                )
                for row in rows
            ]
        )
        ids = dict(await Region.filter(level=RegionLevel.KECAMATAN).values_list("code", "id"))
        kota_names = {k.code: k.name for k in kotas.values()}
        await Centre.bulk_create(
            [
                Centre(
                    kecamatan_id=ids[row.code],
                    name=centre_name(row.name),
                    address=f"Kantor Kecamatan {row.name}, {kota_names[row.kota_code]}",
                    contact_email=centre_email(row.code),
                )
                for row in rows
            ]
        )
        await load_sectors()
        await dataversion.bump()
    return True
