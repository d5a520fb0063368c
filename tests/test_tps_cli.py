"""The TPS features end to end through the ``votebot`` command (SQLite, fresh database)."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import votebot

HEADER = "province,kabupaten,kecamatan,kelurahan,tps,address,lat,lon,accessibility,voters\n"


def test_simulator_finds_a_tps_by_postcode_location_and_misspelt_name(tmp_path: Path) -> None:
    script = [
        "/start",
        "1",  # Bahasa Indonesia
        "Nanti dulu",
        "/tps",
        "12110",  # Selong, Kebayoran Baru
        "1",  # TPS 001
        "!location -6.2335 106.8031",
        "/tps kundenn",
    ]
    proc = votebot(["chat"], "\n".join(script) + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "First start: loaded 91,599 regions" in proc.stderr
    assert "Aku tahu 2 TPS di sini" in out
    assert "Alamat: CONTOH – alamat fiktif: Jl. Contoh Raya No. 1, Selong" in out
    assert "🗺️ OpenStreetMap → https://www.openstreetmap.org/?mlat=-6.233100" in out
    assert "Buka 07.00–13.00 waktu setempat di hari-H (di sini: WIB)" in out
    assert "TPS terdekat yang aku tahu: TPS 001 Selong, sekitar 50 m dari situ" in out
    assert "Kunden (Blora, Kabupaten Blora) · 2 TPS" in out
    assert "Traceback" not in proc.stderr


def test_tps_import_command_reports_rows_and_exit_codes(tmp_path: Path) -> None:
    regions = votebot(["regions", "import", "--province", "DKI Jakarta"], "", tmp_path)
    assert regions.returncode == 0, regions.stderr
    assert "Regions: 318 added, 0 updated, 0 unchanged" in regions.stdout
    good = tmp_path / "tps.csv"
    good.write_text(
        HEADER
        + "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Selong,1,Jl. A,-6.23,106.80,,\n"
        + "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Nowhere,1,Jl. B,,,,\n",
        encoding="utf-8",
    )
    first = votebot(["tps", "import", str(good)], "", tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"{good}:3: kelurahan/desa 'Nowhere' not found in Kebayoran Baru" in first.stderr
    assert "2 rows: 1 added, 0 updated, 0 unchanged, 1 bad" in first.stdout
    again = votebot(["tps", "import", str(good)], "", tmp_path)
    assert "2 rows: 0 added, 0 updated, 1 unchanged, 1 bad" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Atlantis,X,Y,Z,1,Jl. C,,,,\n", encoding="utf-8")
    nothing = votebot(["tps", "import", str(bad)], "", tmp_path)
    assert nothing.returncode == 1
    assert "nothing could be imported" in nothing.stderr
    missing = votebot(["tps", "import", str(tmp_path / "missing.csv")], "", tmp_path)
    assert missing.returncode == 2 and "cannot read the file" in missing.stderr
