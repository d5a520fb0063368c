"""The region API on both backends, with a hand-built slice of the hierarchy."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import name_key, region_path, search_regions
from bot.db.engine import Database
from bot.db.models import Region


async def add_path(s: AsyncSession) -> Region:
    prov = Region(
        level="province", source_id=1, name="Jawa Tengah", name_key="jawa tengah", timezone="WIB"
    )
    s.add(prov)
    await s.flush()
    kab = Region(
        level="kabupaten",
        source_id=1,
        name="Kabupaten Blora",
        name_key=name_key("Kabupaten Blora"),
        parent_id=prov.id,
        province_id=prov.id,
    )
    s.add(kab)
    await s.flush()
    kec = Region(
        level="kecamatan",
        source_id=1,
        name="Blora",
        name_key="blora",
        parent_id=kab.id,
        province_id=prov.id,
        kabupaten_id=kab.id,
    )
    s.add(kec)
    await s.flush()
    kel = Region(
        level="kelurahan",
        source_id=1,
        name="Kunden",
        name_key="kunden",
        parent_id=kec.id,
        province_id=prov.id,
        kabupaten_id=kab.id,
        kecamatan_id=kec.id,
        postcode="58219",
    )
    s.add(kel)
    await s.flush()
    return kel


def test_name_key_drops_prefixes_and_punctuation() -> None:
    assert name_key("Kab. Blora") == "blora"
    assert name_key("KOTA  Jakarta   Selatan") == "jakarta selatan"
    assert name_key("Kabupaten Kepulauan Seribu") == "kepulauan seribu"
    assert name_key("Désa Sukamaju") == "sukamaju"


async def test_path_and_search(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            kel = await add_path(s)
            path = await region_path(s, kel.id)
            assert path is not None
            assert path.label() == "Kunden, Blora, Kabupaten Blora, Jawa Tengah"
            assert path.timezone == "WIB"
            assert path.kabupaten is not None and path.kabupaten.name == "Kabupaten Blora"
            found = await search_regions(s, "kab blora", levels=["kabupaten"])
            assert [r.name for r in found] == ["Kabupaten Blora"]
            assert [r.name for r in await search_regions(s, "kund")] == ["Kunden"]
            assert await search_regions(s, "   ") == []
    finally:
        await db.close()
