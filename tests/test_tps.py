"""TPS: regions import, CSV import, nearest search and the lookup dialogs, on every backend.

Only four provinces are imported (DKI Jakarta, Jawa Tengah, Bali, Maluku: about 11,000 regions),
which covers the sample file and all three time zones while keeping each test quick.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import ROOT
from bot.core.regions import name_key, search_regions
from bot.db.engine import Database
from bot.db.models import ConversationState, EngagementEvent, Region, User
from bot.db.models_tps import Tps
from bot.runtime import Runtime
from bot.tps.geo import haversine_m
from bot.tps.importer import TpsFileError, import_tps_file
from bot.tps.regions_data import import_regions
from bot.tps.store import TpsRow, nearest_tps, upsert_tps
from tests.dialog import Dialog

PROVINCES = ["DKI Jakarta", "Jawa Tengah", "Bali", "Maluku"]
SAMPLE = ROOT / "content" / "tps" / "sample.csv"
HEADER = "province,kabupaten,kecamatan,kelurahan,tps,address,lat,lon,accessibility,voters\n"


async def load(db: Database, sample: bool = True) -> None:
    async with db.transaction() as s:
        await import_regions(s, provinces=PROVINCES)
    if sample:
        async with db.transaction() as s:
            report = await import_tps_file(s, SAMPLE)
        assert report.errors == [] and report.result.added == 12


@pytest.fixture
async def tps_runtime(runtime: Runtime) -> Runtime:
    await load(runtime.db)
    return runtime


async def english(runtime: Runtime, user: str = "u1") -> Dialog:
    d = Dialog(runtime.core, user=user)
    await d.say("/start")
    await d.press("English")
    await d.press("Not now")
    return d


async def events(runtime: Runtime, name: str) -> list[EngagementEvent]:
    async with runtime.db.transaction() as s:
        rows = await s.scalars(
            select(EngagementEvent).where(EngagementEvent.name == name).order_by(EngagementEvent.id)
        )
        return list(rows.all())


# --------------------------------------------------------------------------- regions


async def test_regions_import_a_slice_with_time_zones_and_is_idempotent(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            first = await import_regions(s, provinces=["DKI Jakarta", "Maluku", "Bali"])
        assert first.added > 1500 and first.updated == 0
        async with db.transaction() as s:
            again = await import_regions(s, provinces=["DKI Jakarta", "Maluku", "Bali"])
            assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
            zones = dict(
                (
                    await s.execute(
                        select(Region.name, Region.timezone).where(Region.level == "province")
                    )
                ).all()
            )
            assert zones == {
                "Daerah Khusus Ibukota Jakarta": "WIB",
                "Bali": "WITA",
                "Maluku": "WIT",
            }
            selong = await s.scalar(
                select(Region).where(Region.name == "Selong", Region.postcode == "12110")
            )
            assert selong is not None and selong.kecamatan_id is not None
            seribu = await s.scalar(
                select(Region).where(Region.name == "Kabupaten Administrasi Kepulauan Seribu")
            )
            assert seribu is not None and seribu.name_key == "kepulauan seribu"
    finally:
        await db.close()


def test_name_keys_keep_kota_inside_lower_level_names() -> None:
    assert name_key("Kota Adm. Jakarta Selatan", "kabupaten") == "jakarta selatan"
    assert name_key("Kota Baru", "kecamatan") == "kota baru"
    assert name_key("KAB.  BLORA") == "blora"


async def test_search_tolerates_typos_and_prefixes(db_url: str) -> None:
    db = Database(db_url)
    try:
        await load(db, sample=False)
        async with db.transaction() as s:
            found = await search_regions(s, "kebayoran bru")
            assert (found[0].name, found[0].level) == ("Kebayoran Baru", "kecamatan")
            found = await search_regions(s, "kab blora")
            assert (found[0].name, found[0].level) == ("Kabupaten Blora", "kabupaten")
            assert "Kunden" in [r.name for r in await search_regions(s, "kundn")]
            selong = await search_regions(s, "selong", levels=["kelurahan"])
            assert selong[0].name == "Selong" and {r.level for r in selong} == {"kelurahan"}
            assert await search_regions(s, "qqqqzzzz") == []
    finally:
        await db.close()


@pytest.mark.parametrize(
    ("query", "name", "level"),
    [
        ("bebayoran baru", "Kebayoran Baru", "kecamatan"),  # first letter wrong
        ("debayoran baru", "Kebayoran Baru", "kecamatan"),
        ("funden", "Kunden", "kelurahan"),  # first letter wrong, short name
        ("kebayoarn baru", "Kebayoran Baru", "kecamatan"),  # transposition
        ("jakarta seltaan", "Kota Administrasi Jakarta Selatan", "kabupaten"),
        ("kebayoran bru", "Kebayoran Baru", "kecamatan"),  # missing letter
        ("ebayoran baru", "Kebayoran Baru", "kecamatan"),  # missing first letter
        ("kundenn", "Kunden", "kelurahan"),  # extra letter
        ("kebayorran baru", "Kebayoran Baru", "kecamatan"),
        ("jakarta selatn", "Kota Administrasi Jakarta Selatan", "kabupaten"),  # multi-word
        ("kota jakrta selatan", "Kota Administrasi Jakarta Selatan", "kabupaten"),
        ("kec kebayoran bru", "Kebayoran Baru", "kecamatan"),  # level hint plus a typo
    ],
)
async def test_search_tolerates_each_typo_class(
    db_url: str, query: str, name: str, level: str
) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            await import_regions(s, provinces=["DKI Jakarta", "Jawa Tengah"])
        async with db.transaction() as s:
            found = await search_regions(s, query)
            assert (found[0].name, found[0].level) == (name, level), [r.name for r in found]
    finally:
        await db.close()


# --------------------------------------------------------------------------- CSV import


async def import_text(db: Database, tmp_path: Path, text: str, name: str = "tps.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    async with db.transaction() as s:
        return await import_tps_file(s, path)


async def test_import_twice_changes_nothing_and_name_variants_match(
    db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    try:
        await load(db, sample=False)
        text = HEADER + "\n".join(
            [
                "DKI JAKARTA,KOTA ADM. JAKARTA SELATAN,kebayoran  baru,SELONG,TPS 001,"
                "Jl. A,-6.23,106.80,,100",
                "Daerah Khusus Ibukota Jakarta,Kota Jakarta Selatan,Kebayoran Baru,Selong,2,"
                "Jl. B,,,,",
                "jawa tengah,Kab. Blora,Kec. Blora,Desa Kunden,7,Jl. C,-6.97,111.41,Ramp,1.234",
                "Jawa Tengah,Kabupaten Blora,CEPU,cabean,1,Jl. D,,,,",
            ]
        )
        first = await import_text(db, tmp_path, text)
        assert first.errors == []
        assert (first.result.added, first.result.updated, first.result.unchanged) == (4, 0, 0)
        again = await import_text(db, tmp_path, text)
        assert (again.result.added, again.result.updated, again.result.unchanged) == (0, 0, 4)
        changed = await import_text(db, tmp_path, text.replace("Jl. A", "Jl. A baru"))
        assert (changed.result.added, changed.result.updated, changed.result.unchanged) == (0, 1, 3)
        async with db.transaction() as s:
            assert await s.scalar(select(func.count()).select_from(Tps)) == 4
            kunden = await s.scalar(select(Tps).where(Tps.number == 7))
            assert kunden is not None and kunden.voters == 1234 and kunden.cell_fine is not None
    finally:
        await db.close()


async def test_bad_rows_are_reported_with_line_and_reason(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    try:
        await load(db, sample=False)
        rows = [
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Selong,1,Jl. Baik,-6.23,106.80,,",  # 2 good
            "Atlantis,Kota X,Y,Z,1,Jl. A,,,,",  # 3
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Selongg,1,Jl. A,,,,",  # 4
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Senayan,abc,Jl. A,,,,",  # 5
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Senayan,2,Jl. A,-6.2,,,",  # 6
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Senayan,3,NIK 3171234567890001,,,,",  # 7
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Selong,001,Jl. Lagi,,,,",  # 8 duplicate
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Senayan,4,,,,,",  # 9
            "DKI Jakarta,Jakarta Selatan,Kebayoran Baru,Senayan,5,Jl. A,51.5,-0.1,,",  # 10
        ]
        report = await import_text(db, tmp_path, HEADER + "\n".join(rows) + "\n")
        assert report.result.added == 1
        reasons = {e.line: e.reason for e in report.errors}
        assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
        assert "province 'Atlantis' not found" in reasons[3]
        assert "did you mean 'Selong'" in reasons[4]
        assert "not a number" in reasons[5]
        assert "both lat and lon" in reasons[6]
        assert "NIK" in reasons[7] and "3171" not in reasons[7]
        assert "already on line 2" in reasons[8]
        assert "empty address" in reasons[9]
        assert "outside Indonesia" in reasons[10]
        async with db.transaction() as s:
            addresses = (await s.scalars(select(Tps.address))).all()
            assert list(addresses) == ["Jl. Baik"]
    finally:
        await db.close()


async def test_unreadable_files_raise_a_clear_error(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(TpsFileError, match="cannot read"):
            await import_text_missing(db, tmp_path / "nope.csv")
        with pytest.raises(TpsFileError, match=r"missing column\(s\) tps, address"):
            await import_text(db, tmp_path, "province,kabupaten,kecamatan,kelurahan\n")
        with pytest.raises(TpsFileError, match="empty"):
            await import_text(db, tmp_path, "")
    finally:
        await db.close()


async def import_text_missing(db: Database, path: Path) -> None:
    async with db.transaction() as s:
        await import_tps_file(s, path)


# --------------------------------------------------------------------------- nearest


async def test_nearest_matches_brute_force_on_random_data(db_url: str) -> None:
    db = Database(db_url)
    rng = random.Random(5)
    try:
        await load(db, sample=False)
        async with db.transaction() as s:
            kel_ids = list(
                (
                    await s.scalars(select(Region.id).where(Region.level == "kelurahan").limit(50))
                ).all()
            )
            centres = [(-6.2, 106.8), (-7.0, 111.4), (-3.7, 128.2)]
            rows = []
            for i in range(400):
                lat0, lon0 = centres[i % 3]
                lat, lon = lat0 + rng.gauss(0, 0.15), lon0 + rng.gauss(0, 0.15)
                rows.append(TpsRow(kel_ids[i % 50], i + 1, f"T{i}", lat, lon))
            await upsert_tps(s, rows)
            points = [
                (c[0] + rng.uniform(-0.8, 0.8), c[1] + rng.uniform(-0.8, 0.8)) for c in centres * 20
            ]
            points.append((0.0, 120.0))  # far from everything
            for lat, lon in points:
                brute = min(
                    (haversine_m(lat, lon, r.latitude or 0, r.longitude or 0), r.address)
                    for r in rows
                )
                found = await nearest_tps(s, lat, lon, limit=3)
                if not found:
                    assert brute[0] > 100_000, (lat, lon, brute)
                    continue
                assert found[0][0].address == brute[1]
                assert found[0][1] == pytest.approx(brute[0])
                assert [d for _, d in found] == sorted(d for _, d in found)
    finally:
        await db.close()


# --------------------------------------------------------------------------- dialogs


async def test_postcode_leads_to_tps_details(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.press("📍 Find your TPS")
    assert "postcode" in d.text and d.replies[-1].request_location
    await d.say("12110")
    assert "Selong" in d.text and "2 TPS here" in d.text
    await d.press("TPS 001")
    assert "CONTOH – alamat fiktif" in d.text
    assert "07.00–13.00 local time" in d.text and "(here: WIB)" in d.text
    assert "PKPU No. 25 Tahun 2023" in d.text  # the hours cite the ledger's sources
    assert "KTP-el" in d.text and "DPTb" in d.text and "DPK" in d.text
    assert "wheelchair" not in d.text and "kursi roda" in d.text  # accessibility notes as given
    urls = [b.url for r in d.replies for b in r.all_buttons() if b.url]
    assert any(u.startswith("https://www.openstreetmap.org/?mlat=-6.233100") for u in urls)
    assert any(
        u.startswith("https://www.google.com/maps/search/?api=1&query=-6.2331") for u in urls
    )
    assert "https://cekdptonline.kpu.go.id" in urls
    assert "page:what-to-bring" in d.payloads
    lookups = await events(tps_runtime, "tps_lookup")
    assert [e.properties for e in lookups] == [{"method": "postcode", "found": True}]
    assert len(await events(tps_runtime, "tps_viewed")) == 1


async def test_unknown_and_malformed_postcodes(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps 99999")
    assert "don't know the postcode 99999" in d.text
    await d.say("123")
    assert "exactly 5 digits" in d.text


async def test_misspelt_kelurahan_is_found(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps")
    await d.say("kundenn")
    await d.press("Kunden (Blora,")
    assert "Kunden" in d.text and "2 TPS here" in d.text
    await d.press("TPS 002")
    assert "07.00–13.00 local time" in d.text and "(here: WIB)" in d.text
    await d.say("/tps kab blora")
    assert d.buttons[0].startswith("Kabupaten Blora")
    await d.press("Kabupaten Blora")
    assert "Pick your kecamatan in Kabupaten Blora" in d.text
    lookups = [e.properties for e in await events(tps_runtime, "tps_lookup")]
    assert lookups == [{"method": "name", "found": True}]


async def test_region_picker_walks_down_with_pages(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps")
    await d.press("Pick my area")
    assert "Pick your province" in d.text
    await d.press("Daerah Khusus Ibukota Jakarta")
    await d.press("Kota Administrasi Jakarta Selatan")
    assert "page 1 of 2" in d.text
    await d.press("Next")
    assert "page 2 of 2" in d.text and "Tebet" in d.buttons
    await d.press("Previous")
    await d.press("Kebayoran Baru")
    await d.press("Next")
    await d.press("Senayan")
    assert "1 TPS here" in d.text
    assert all(len(p.encode()) <= 64 for p in d.payloads)
    await d.press("TPS 003")
    assert "ramp" in d.text
    lookups = [e.properties for e in await events(tps_runtime, "tps_lookup")]
    assert lookups == [{"method": "region", "found": True}]


async def test_kelurahan_without_tps_data_still_helps(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps gunung")
    await d.press("Gunung (Kebayoran Baru")
    assert "don't have TPS data" in d.text
    assert "(here: WIB)" in d.text and "Formulir Model C Pemberitahuan" in d.text
    assert any(
        b.url == "https://cekdptonline.kpu.go.id" for r in d.replies for b in r.all_buttons()
    )
    await d.say("/tps batu meja")  # one place has exactly this name: straight to it
    await d.press("TPS 001")
    assert "07.00–13.00 local time on voting day (here: WIT)" in d.text
    await d.say("/tps ubud")
    await d.press("Ubud (Ubud")
    await d.press("TPS 001")
    assert "(here: WITA)" in d.text


async def test_shared_location_names_the_nearest_tps(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.location(-6.2335, 106.8031)  # outside any flow
    assert "nearest TPS I know is TPS 001 Selong, about 50 m away" in d.text
    assert "TPS 002 Selong" in d.text and "registered" in d.text
    await d.press("TPS 001 Selong")
    assert "CONTOH" in d.text
    await d.location(-3.0, 140.0)
    assert "within about 100 km" in d.text
    lookups = [e.properties for e in await events(tps_runtime, "tps_lookup")]
    assert lookups == [
        {"method": "location", "found": True},
        {"method": "location", "found": False},
    ]


async def test_save_area_sets_the_users_region(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps 58212")  # Kunden's postcode
    await d.press("Save as my area")
    assert "Kunden, Blora, Kabupaten Blora, Jawa Tengah" in d.text
    async with tps_runtime.db.transaction() as s:
        user = await s.scalar(select(User))
        kunden = await s.scalar(select(Region).where(Region.postcode == "58212"))
        assert user is not None and kunden is not None and user.region_id == kunden.id
    assert len(await events(tps_runtime, "region_saved")) == 1
    await d.say("/tps")
    await d.press("My area: Kunden")
    assert "2 TPS here" in d.text


async def test_a_nik_inside_the_tps_flow_is_never_stored(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    await d.say("/tps")
    await d.say("3171 2345 6789 0001")
    assert "NIK" in d.text
    await d.say("/tps 3171234567890001")
    assert "NIK" in d.text and "postcode" in d.text
    await d.say("kelurahan 3171234567890001")
    assert "NIK" in d.text
    async with tps_runtime.db.transaction() as s:
        props = [repr(e.properties) for e in (await s.scalars(select(EngagementEvent))).all()]
        states = [repr(st.data) for st in (await s.scalars(select(ConversationState))).all()]
    assert not any("3171" in p or "0001" in p for p in props + states)
    assert len(await events(tps_runtime, "nik_warning")) == 3
    await d.say("12110")  # still in the flow afterwards
    assert "Selong" in d.text


async def test_stale_tps_buttons(tps_runtime: Runtime) -> None:
    d = await english(tps_runtime)
    for bad in ("tps:v:999999", "tps:k:abc:0:p", "tps:pick:0:99", "tps:nope", "tps:save:1"):
        await d.tap(bad)
        assert "no longer works" in d.text, bad
