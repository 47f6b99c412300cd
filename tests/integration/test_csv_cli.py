"""`hub import` and `hub export` as operators run them, in separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HUB = [sys.executable, "-m", "hub.cli"]


def hub(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*HUB, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _env(folder: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {**clean, "HUB_DATA_DIR": str(folder), "HUB_WORKER": "off"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A hub with the Jakarta demo; the tests leave its data as they found it."""
    env = _env(tmp_path_factory.mktemp("demo"))
    hub(env, "seed", "--demo")
    return env


def test_export_then_import_into_an_empty_hub_reproduces_the_directory(
    demo: dict[str, str], tmp_path: Path
) -> None:
    files = {kind: tmp_path / f"{kind}.csv" for kind in ["communities", "mentors", "demand"]}
    for kind, path in files.items():
        hub(demo, "export", kind, str(path))
    assert hub(demo, "export", "mentors").stdout == files["mentors"].read_text("utf-8")
    empty = _env(tmp_path / "empty")
    hub(empty, "migrate")

    outputs = [hub(empty, "import", kind, str(path)).stdout for kind, path in files.items()]

    mentors = len(files["mentors"].read_text("utf-8").splitlines()) - 1
    assert f"mentors: {mentors} created, 0 updated, 0 unchanged" in outputs[1]
    for kind, path in files.items():
        assert hub(empty, "export", kind).stdout == path.read_text("utf-8"), kind
    again = hub(empty, "import", "mentors", str(files["mentors"])).stdout
    assert again.strip() == f"mentors: 0 created, 0 updated, {mentors} unchanged"


def test_a_failed_import_exits_non_zero_names_each_bad_line_and_writes_nothing(
    demo: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "mentors.csv"
    path.write_bytes(
        "\ufeffnama;email;phone;kecamatan_code;community;skills\r\n".replace(
            "nama", "name"
        ).encode()
        + b"Rina;rina.cli@example.org;0812-2222-0001;31.71.01;;KULINER:8\r\n"
        + b"Sari;sari.cli@example.org;;31.71.01;Komunitas Kopi Jakarta;KULINER:8\r\n"
        + b"Tono;tono.cli@example.org;;;Komunitas Tidak Ada;KULINER:x\r\n"
    )
    before = hub(demo, "export", "mentors").stdout

    dry = hub(demo, "import", "mentors", str(path), "--dry-run", check=False)
    failed = hub(demo, "import", "mentors", str(path), check=False)

    for result in [dry, failed]:
        assert result.returncode == 1
        database, *lines = result.stderr.splitlines()
        assert database.startswith("hub: database SQLite ") or database.startswith(
            "hub: database postgres://"
        )
        assert lines[0] == f"hub: {path}: nothing imported; fix these lines:"
        assert lines[1:] == [
            "  line 3: kecamatan_code: give exactly one of the centre (its kecamatan code) or "
            "the community",
            "  line 4: skills, item 1: 'KULINER:x' is not SECTOR:capacity (e.g. KULINER:8)",
            "  line 4: community: no community named 'Komunitas Tidak Ada'",
        ]
    assert hub(demo, "export", "mentors").stdout == before

    path.write_text("name,email,phone,kecamatan_code,community,skills\nRina,,,31.71.01,,\n")
    dry_ok = hub(demo, "import", "mentors", str(path), "--dry-run").stdout
    assert "line 2: would be created mentor Rina" in dry_ok
    assert "(dry run: nothing written)" in dry_ok
    assert hub(demo, "export", "mentors").stdout == before


def test_formula_like_cells_leave_with_an_apostrophe_and_come_back_as_they_were(
    tmp_path: Path,
) -> None:
    # given a hub whose directory holds values a spreadsheet would compute
    source = _env(tmp_path / "source")
    hub(source, "migrate")
    communities = tmp_path / "in-communities.csv"
    communities.write_text(
        "name,kind,description,sectors,areas,audiences,member_count\n"
        '"=HYPERLINK(""http://evil.example"",""klik"")",SECTOR,@SUM(1+1),KULINER,,,\n'
        "''=Komunitas Kutip,SECTOR,,KULINER,,,\n",  # a name that starts with an apostrophe
        "utf-8",
    )
    mentors = tmp_path / "in-mentors.csv"
    mentors.write_text(
        "name,email,phone,kecamatan_code,community,skills\n"
        "-Rina,rina.formula@example.org,0812-3456-7890,31.71.01,,KULINER:3\n"
        '+Budi,,+62 812 3456 7891,,"=HYPERLINK(""http://evil.example"",""klik"")",KULINER:2\n',
        "utf-8",
    )
    hub(source, "import", "communities", str(communities))
    hub(source, "import", "mentors", str(mentors))

    # when it exports
    exported = {kind: hub(source, "export", kind).stdout for kind in ["communities", "mentors"]}

    # then no cell starts a formula
    assert sorted(exported["communities"].splitlines()[1:]) == [
        '"\'=HYPERLINK(""http://evil.example"",""klik"")",SECTOR,\'@SUM(1+1),KULINER,,,',
        "''=Komunitas Kutip,SECTOR,,KULINER,,,",
    ]
    assert sorted(exported["mentors"].splitlines()[1:]) == [
        '\'+Budi,,\'+6281234567891,,"\'=HYPERLINK(""http://evil.example"",""klik"")",KULINER:2',
        "'-Rina,rina.formula@example.org,'+6281234567890,31.71.01,,KULINER:3",
    ]

    # and importing the export into an empty hub reproduces the same data
    copy = _env(tmp_path / "copy")
    hub(copy, "migrate")
    for kind, text in exported.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, "utf-8")
        hub(copy, "import", kind, str(path))
    for kind, text in exported.items():
        assert hub(copy, "export", kind).stdout == text, kind
