"""CSV import and export of communities, mentors and demand, on the test database."""

from __future__ import annotations

import pytest

from hub.core import dataversion
from hub.directory import export_csv, import_csv
from models.audit import AuditEntry
from models.directory import Community, Demand, Mentor, MentorSkill

pytestmark = pytest.mark.usefixtures("demo_data")

MENTORS_HEADER = "name,email,phone,kecamatan_code,community,skills\n"


async def _state() -> tuple[int, int, int, int]:
    """What an import may change: mentors, communities, audit entries, the data version."""
    return (
        await Mentor.all().count(),
        await Community.all().count(),
        await AuditEntry.all().count(),
        await dataversion.current(),
    )


def _lines(report_problems: list) -> list[int]:  # type: ignore[type-arg]
    return [p.line for p in report_problems]


async def test_a_bad_row_in_the_middle_writes_nothing() -> None:
    data = (
        MENTORS_HEADER
        + "Ayu Lestari,ayu.csv1@example.org,0812-1111-0001,31.71.01,,KULINER:8 JASA:2\n"
        + "Bayu Saputra,bayu.csv1@example.org,0812-1111-0002,31.71.99,,KULINER:5\n"
        + "Citra Dewi,citra.csv1@example.org,,,Komunitas Kopi Jakarta,KULINER:4\n"
    ).encode()
    before = await _state()

    report = await import_csv("mentors", data)

    assert [str(p) for p in report.problems] == [
        "line 3: kecamatan_code: no centre in kecamatan '31.71.99'"
    ]
    assert not report.written
    assert await _state() == before
    assert not await Mentor.exists(email="ayu.csv1@example.org")


async def test_every_bad_row_is_listed_with_its_spreadsheet_line() -> None:
    data = (
        MENTORS_HEADER
        + "Dimas Pratama,dimas.csv2@example.org,,31.71.01,,KULINER:8\n"
        + ',bukan-email,123,31.71.01,Komunitas Kopi Jakarta,"KULINER:200 MASAK:1 JASA"\n'
        + '"Eko\nHadi",eko.csv2@example.org,,31.71.01,,KULINER:3\n'
        + "Fajar,dimas.csv2@example.org,,31.71.01,,\n"
        + "\n"
        + "Gita,gita.csv2@example.org,,,,KULINER:1\n"
    ).encode()

    report = await import_csv("mentors", data)

    by_line: dict[int, list[str]] = {}
    for problem in report.problems:
        by_line.setdefault(problem.line, []).append(problem.message)
    assert sorted(by_line) == [3, 5, 7]  # line 4 spans two text lines but is one row
    assert sorted(by_line[3]) == sorted(
        [
            "name: name must not be empty",
            "email: 'bukan-email' is not a valid email address: An email address must have "
            "an @-sign.",
            "phone: '123' is not a valid phone number; write it as 0812-3456-7890 or "
            "+62 812 3456 7890",
            "kecamatan_code: give exactly one of the centre (its kecamatan code) or the community",
            "skills, item 1: capacity must be between 0 and 100, not 200",
            "skills, item 2: unknown sector code 'MASAK'",
            "skills, item 3: 'JASA' is not SECTOR:capacity (e.g. KULINER:8)",
        ]
    )
    assert by_line[5] == ["the same mentor as line 2"]
    assert by_line[7] == [
        "kecamatan_code: give exactly one of the centre (its kecamatan code) or the community"
    ]
    assert not await Mentor.exists(email="dimas.csv2@example.org")


async def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    data = (
        MENTORS_HEADER
        + "Hendra Wijaya,hendra.csv3@example.org,0812-1111-0003,31.71.01,,KULINER:8 JASA:2\n"
        + "Indah Sari,,+62 812 1111 0004,,Komunitas Kopi Jakarta,KULINER:6\n"
    ).encode()

    first = await import_csv("mentors", data)
    after_first = await _state()
    second = await import_csv("mentors", data)

    assert (first.created, first.updated, first.problems) == (2, 0, [])
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert await _state() == after_first
    hendra = await Mentor.get(email="hendra.csv3@example.org")
    assert hendra.phone == "+6281211110003"
    skills = await MentorSkill.filter(mentor_id=hendra.id).values_list("sector__code", "capacity")
    assert sorted(skills) == [("JASA", 2), ("KULINER", 8)]
    entries = await AuditEntry.filter(entity="Mentor", entity_id=hendra.id)
    assert [(e.action, e.actor_label, e.actor_id) for e in entries] == [
        ("CREATE", "cli import", None)
    ]


async def test_a_changed_row_updates_the_mentor_matched_by_email() -> None:
    await import_csv(
        "mentors", (MENTORS_HEADER + "Joko,joko.csv4@example.org,,31.71.01,,KULINER:8\n").encode()
    )
    version = await dataversion.current()

    report = await import_csv(
        "mentors",
        (MENTORS_HEADER + "Joko Susilo,JOKO.csv4@example.org,,31.71.01,,FESYEN:3\n").encode(),
    )

    assert (report.created, report.updated) == (0, 1)
    joko = await Mentor.get(email="joko.csv4@example.org")
    assert joko.name == "Joko Susilo"
    assert await MentorSkill.filter(mentor_id=joko.id).values_list("sector__code", flat=True) == [
        "FESYEN"
    ]
    assert await dataversion.current() > version


async def test_a_semicolon_file_with_a_bom_and_crlf_imports() -> None:
    data = (
        "\ufeffName;Email;Phone;Kecamatan_Code;Community;Skills\r\n"
        "Kartika Putri;kartika.csv5@example.org;0812-1111-0005;31.71.01;;KULINER:8 JASA:2\r\n"
        '"Lestari; S.E.";lestari.csv5@example.org;;;Komunitas Kopi Jakarta;KULINER:4\r\n'
        ";;;;;\r\n"
    ).encode("utf-8")

    report = await import_csv("mentors", data)

    assert (report.problems, report.created) == ([], 2)
    lestari = await Mentor.get(email="lestari.csv5@example.org").select_related("community")
    assert lestari.name == "Lestari; S.E."
    assert lestari.community is not None
    assert lestari.community.name == "Komunitas Kopi Jakarta"


async def test_a_dry_run_reports_what_would_change_and_writes_nothing() -> None:
    data = (MENTORS_HEADER + "Maya,maya.csv6@example.org,,31.71.01,,KULINER:2\n").encode()
    before = await _state()

    report = await import_csv("mentors", data, dry_run=True)

    assert (report.created, report.updated, report.written) == (1, 0, False)
    assert report.changes[0].line == 2
    assert await _state() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email\nX,x@example.org\n", "missing column(s) phone, kecamatan_code, community"),
        (
            b"name,email,phone,kecamatan_code,community,skills,notes\n",
            "unknown column(s) 'notes'",
        ),
        (b"", "the header is missing"),
        (MENTORS_HEADER.encode() + "Nur,,,31.71.01,,\n".encode("cp1252") + b"\xff\n", "UTF-8"),
    ],
)
async def test_a_file_that_is_not_the_expected_table_is_refused_at_line_one(
    data: bytes, message: str
) -> None:
    report = await import_csv("mentors", data)

    assert _lines(report.problems) == [1]
    assert message in report.problems[0].message


async def test_communities_import_creates_updates_and_checks_codes() -> None:
    header = "name,kind,description,sectors,areas,audiences,member_count\n"
    good = (
        header
        + 'Komunitas Rajut Jakarta,sector,"Perajin rajut, sulam.",KRIYA FESYEN,31.71 31.72.01,'
        + '"ibu rumah tangga, pemuda",45\n'
        + "Komunitas Kopi Jakarta,SECTOR,Penyangrai dan kedai kopi.,KULINER,31.74,pemuda,999\n"
    ).encode()

    report = await import_csv("communities", good)

    assert ([c.line for c in report.changes], report.created, report.updated) == ([2, 3], 1, 1)
    rajut = await Community.get(name="Komunitas Rajut Jakarta")
    assert (rajut.kind.value, rajut.audiences, rajut.member_count) == (
        "SECTOR",
        ["ibu rumah tangga", "pemuda"],
        45,
    )
    assert (await Community.get(name="Komunitas Kopi Jakarta")).member_count == 999
    again = await import_csv("communities", good)
    assert (again.changes, again.unchanged) == ([], 2)

    bad = (
        header + "Komunitas X,KLUB,,MASAK,31.71.01.1001 77,,-3\nKomunitas Y,REGION,,,,,banyak\n"
    ).encode()
    refused = await import_csv("communities", bad)
    assert [str(p) for p in refused.problems] == [
        "line 2: kind: kind must be one of SECTOR, ORGANISATION, REGION, not 'KLUB'",
        "line 2: sectors, item 1: unknown sector code 'MASAK'",
        "line 2: areas, item 1: unknown area code '31.71.01.1001': give the code of a province, "
        "kota or kecamatan",
        "line 2: areas, item 2: unknown area code '77': give the code of a province, kota or "
        "kecamatan",
        "line 2: member_count: member count must be 0 or more, not -3",
        "line 3: member_count: 'banyak' is not a whole number",
    ]


async def test_demand_import_sets_figures_and_names_bad_lines() -> None:
    header = "kecamatan_code,sector,demand\n"
    kriya = await Demand.get(centre__kecamatan__code="31.71.02", sector__code="KRIYA")

    report = await import_csv(
        "demand", (header + f"31.71.02,KRIYA,{kriya.demand + 5}\n31.71.02,kriya,1\n").encode()
    )
    assert [str(p) for p in report.problems] == ["line 3: the same kecamatan and sector as line 2"]

    report = await import_csv(
        "demand",
        (
            header + f"31.71.02,KRIYA,{kriya.demand + 5}\n31.99.01,KRIYA,1\n31.71.02,JASA,-2\n"
        ).encode(),
    )
    assert [str(p) for p in report.problems] == [
        "line 3: kecamatan_code: no centre in kecamatan '31.99.01'",
        "line 4: demand: demand must be 0 or more, not -2",
    ]
    assert (await Demand.get(id=kriya.id)).demand == kriya.demand

    report = await import_csv("demand", (header + f"31.71.02,KRIYA,{kriya.demand + 5}\n").encode())
    assert (report.updated, report.problems) == (1, [])
    assert (await Demand.get(id=kriya.id)).demand == kriya.demand + 5


async def test_export_then_import_reproduces_the_same_data() -> None:
    for kind in ["communities", "mentors", "demand"]:
        exported = await export_csv(kind)
        before = await _state()

        report = await import_csv(kind, exported.encode())

        assert (report.problems, report.changes) == ([], []), kind
        assert report.unchanged == len(exported.strip().splitlines()) - 1
        assert await _state() == before
        assert await export_csv(kind) == exported
