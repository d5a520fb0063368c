"""The region API on both backends, with a hand-built slice of the hierarchy."""

from __future__ import annotations

import random
import shutil
import uuid
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import (
    CANDIDATES,
    FUZZY_CUTOFF,
    VERSION_KEY,
    _NameIndex,
    name_key,
    region_path,
    search_regions,
)
from bot.db import repo
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


def test_pair_index_finds_what_a_full_scan_finds() -> None:
    """The letter-pair pre-selection keeps the best fuzzy matches of a scan over every name."""
    rng = random.Random(5)
    syllables = ["ka", "ba", "su", "ma", "jo", "ra", "ng", "ti", "se", "lo", "wa", "di", "an", "re"]
    words = {
        " ".join(
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
            for _ in range(rng.randint(1, 2))
        )
        for _ in range(8000)
    }
    index = _NameIndex.build("v1", [(w, "kelurahan", i) for i, w in enumerate(sorted(words))])
    assert len(index.by_length) > 5 * CANDIDATES  # the pre-selection path, not a plain scan
    letters = "abcdefghijklmnopqrstuvwxyz"
    for word in rng.sample(sorted(words), 300):
        i = rng.randrange(len(word))
        query = rng.choice(
            [
                rng.choice(letters) + word[1:],  # first letter
                word[:i] + word[i + 1 :],  # missing letter
                word[:i] + rng.choice(letters) + word[i:],  # extra letter
                word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],  # swap
            ]
        )
        scan = process.extract(
            query, index.by_length, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        )
        found = index.fuzzy(query)
        assert found[0][1] == max(score for _, score, _ in scan), query
        if fuzz.ratio(query, word) == found[0][1]:
            assert word in [name for name, score in found if score == found[0][1]], query


async def test_index_follows_a_regions_reimport(db_url: str) -> None:
    """Another process's import bumps the version stamp; this process's index follows."""
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            kel = await add_path(s)
            await repo.set_meta(s, VERSION_KEY, uuid.uuid4().hex)
        async with db.transaction() as s:
            assert [r.name for r in await search_regions(s, "kundn")] == ["Kunden"]
        async with db.transaction() as s:  # what `votebot regions import` elsewhere would do
            await s.execute(
                update(Region)
                .where(Region.id == kel.id)
                .values(name="Sumberejo", name_key="sumberejo")
            )
            await repo.set_meta(s, VERSION_KEY, uuid.uuid4().hex)
        async with db.transaction() as s:
            assert await search_regions(s, "kundn") == []
            assert [r.name for r in await search_regions(s, "sumberjo")] == ["Sumberejo"]
    finally:
        await db.close()


async def test_two_databases_keep_their_own_index(
    db_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    other_path = tmp_path / "other.sqlite3"
    shutil.copy(sqlite_template, other_path)
    first, other = Database(db_url), Database(f"sqlite+aiosqlite:///{other_path}")
    try:
        async with first.transaction() as s:
            await add_path(s)
        async with other.transaction() as s:
            s.add(Region(level="kelurahan", source_id=9, name="Sukamaju", name_key="sukamaju"))
        for _ in range(2):  # back and forth: neither answers from the other's index
            async with first.transaction() as s:
                assert [r.name for r in await search_regions(s, "kundn")] == ["Kunden"]
                assert await search_regions(s, "sukamaj") == []
            async with other.transaction() as s:
                assert [r.name for r in await search_regions(s, "sukamaj")] == ["Sukamaju"]
                assert await search_regions(s, "kundn") == []
    finally:
        await first.close()
        await other.close()
