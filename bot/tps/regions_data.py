"""Load Indonesia's administrative hierarchy from the ``areaid`` package into ``regions``.

``areaid`` (MIT) ships one JSON file per province: ``provinsi`` → ``kabupaten`` (``kab_kota``) →
``kecamatan`` (``kec``) → ``kelurahan`` (``kelu``, ``pos`` = postcode). Its ids are unique within
each level, so ``(level, source_id)`` is the upsert key. It predates the 2022 split of Papua:
Papua Selatan, Papua Tengah, Papua Pegunungan and Papua Barat Daya are not separate provinces.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import VERSION_KEY, fold, name_key, reset_name_index
from bot.db import repo
from bot.db.models import Region

# Time zones follow Keputusan Presiden No. 41 Tahun 1987 (Pembagian Wilayah Republik Indonesia
# menjadi 3 Wilayah Waktu): WIB = Sumatra, Java, Kalimantan Barat and Tengah; WITA = Bali, Nusa
# Tenggara, Kalimantan Selatan and Timur, Sulawesi; WIT = Maluku and Papua. Provinces created
# since then keep the zone of the province they were split from (Banten ← Jawa Barat, Bangka
# Belitung ← Sumatra Selatan, Kepulauan Riau ← Riau, Gorontalo ← Sulawesi Utara, Sulawesi Barat ←
# Sulawesi Selatan, Kalimantan Utara ← Kalimantan Timur, Maluku Utara ← Maluku, Papua Barat ←
# Papua). Keys are areaid's province names, folded.
_ZONES = {
    "WIB": (
        "aceh",
        "sumatra utara",
        "sumatra barat",
        "riau",
        "jambi",
        "sumatra selatan",
        "bengkulu",
        "lampung",
        "kepulauan bangka belitung",
        "kepulauan riau",
        "daerah khusus ibukota jakarta",
        "jawa barat",
        "jawa tengah",
        "daerah istimewa yogyakarta",
        "jawa timur",
        "banten",
        "kalimantan barat",
        "kalimantan tengah",
    ),
    "WITA": (
        "bali",
        "nusa tenggara barat",
        "nusa tenggara timur",
        "kalimantan selatan",
        "kalimantan timur",
        "kalimantan utara",
        "sulawesi utara",
        "sulawesi tengah",
        "sulawesi selatan",
        "sulawesi tenggara",
        "gorontalo",
        "sulawesi barat",
    ),
    "WIT": ("maluku", "maluku utara", "papua", "papua barat"),
}
TIMEZONES: dict[str, str] = {prov: zone for zone, provs in _ZONES.items() for prov in provs}

#: Other spellings of province names (KPU writes "DKI JAKARTA", "SUMATERA UTARA", ...).
PROVINCE_ALIASES = {
    "dki jakarta": "daerah khusus ibukota jakarta",
    "daerah khusus jakarta": "daerah khusus ibukota jakarta",
    "jakarta": "daerah khusus ibukota jakarta",
    "di yogyakarta": "daerah istimewa yogyakarta",
    "diy": "daerah istimewa yogyakarta",
    "yogyakarta": "daerah istimewa yogyakarta",
    "bangka belitung": "kepulauan bangka belitung",
    "babel": "kepulauan bangka belitung",
    "kepri": "kepulauan riau",
    "ntb": "nusa tenggara barat",
    "ntt": "nusa tenggara timur",
}


def province_key(name: str) -> str:
    """The folded areaid name of a province however it is written."""
    key = name_key(name, "province").replace("sumatera", "sumatra")
    return PROVINCE_ALIASES.get(key, key)


def load_provinces(only: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """areaid's provinces (all, or those named in ``only``), one parsed JSON tree at a time."""
    wanted = {province_key(n) for n in only} if only else None
    data = resources.files("areaid") / "data"
    files = sorted((f for f in data.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    for f in files:
        if wanted is not None and province_key(f.name.removesuffix(".json")) not in wanted:
            continue
        yield from json.loads(f.read_text(encoding="utf-8"))


def count_provinces(only: Sequence[str] | None = None) -> int:
    wanted = {province_key(n) for n in only} if only else None
    data = resources.files("areaid") / "data"
    names = [f.name.removesuffix(".json") for f in data.iterdir() if f.name.endswith(".json")]
    return sum(1 for n in names if wanted is None or province_key(n) in wanted)


@dataclass
class RegionImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


_FIELDS = ("name", "name_key", "parent_id", "province_id", "kabupaten_id", "kecamatan_id")


async def import_regions(
    session: AsyncSession,
    *,
    provinces: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RegionImportResult:
    """Upsert areaid's hierarchy on ``(level, source_id)``; only new or changed rows are written.

    ``provinces`` limits the import to some provinces (tests use it); ``progress`` is called with
    1 after each province.
    """
    result = RegionImportResult()
    rows = await session.execute(
        select(
            Region.level,
            Region.source_id,
            Region.id,
            Region.name,
            Region.name_key,
            Region.parent_id,
            Region.province_id,
            Region.kabupaten_id,
            Region.kecamatan_id,
            Region.postcode,
            Region.timezone,
        )
    )
    existing: dict[tuple[str, int], tuple[Any, ...]] = {
        (level, sid): tuple(rest) for level, sid, *rest in rows.all()
    }
    ids: dict[tuple[str, int], int] = {key: row[0] for key, row in existing.items()}

    async def write(level: str, batch: list[dict[str, Any]]) -> None:
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for values in batch:
            old = existing.get((level, values["source_id"]))
            compare = (*(values[f] for f in _FIELDS), values["postcode"], values["timezone"])
            if old is None:
                new.append({"level": level, **values})
            elif old[1:] != compare:
                changed.append({"id": old[0], **values})
            else:
                result.unchanged += 1
        if new:
            table = Region.__table__
            await session.execute(repo.insert_ignore(session, table, ["level", "source_id"]), new)
            result.added += len(new)
            found = await session.execute(
                select(Region.source_id, Region.id).where(
                    Region.level == level,
                    Region.source_id.in_([v["source_id"] for v in new]),
                )
            )
            for sid, region_id in found.all():
                ids[(level, sid)] = region_id
        if changed:
            await session.execute(update(Region), changed)
            result.updated += len(changed)

    def row(
        sid: int,
        name: str,
        level: str,
        parent: int | None,
        prov: int | None = None,
        kab: int | None = None,
        kec: int | None = None,
        postcode: str | None = None,
        timezone: str | None = None,
    ) -> dict[str, Any]:
        name = " ".join(name.split())
        return {
            "source_id": sid,
            "name": name[:128],
            "name_key": name_key(name, level)[:128],
            "parent_id": parent,
            "province_id": prov,
            "kabupaten_id": kab,
            "kecamatan_id": kec,
            "postcode": postcode,
            "timezone": timezone,
        }

    for province in load_provinces(provinces):
        tz = TIMEZONES.get(fold(province["provinsi"]))
        await write(
            "province", [row(province["id"], province["provinsi"], "province", None, timezone=tz)]
        )
        prov_id = ids[("province", province["id"])]
        kabs = province.get("kabupaten", [])
        await write(
            "kabupaten", [row(k["id"], k["kab_kota"], "kabupaten", prov_id, prov_id) for k in kabs]
        )
        kecs = [(kab, kec) for kab in kabs for kec in kab.get("kecamatan", [])]
        kec_rows = []
        for kab, kec in kecs:
            kab_id = ids[("kabupaten", kab["id"])]
            kec_rows.append(row(kec["id"], kec["kec"], "kecamatan", kab_id, prov_id, kab_id))
        await write("kecamatan", kec_rows)
        kel_rows = []
        for kab, kec in kecs:
            kab_id, kec_id = ids[("kabupaten", kab["id"])], ids[("kecamatan", kec["id"])]
            for kel in kec.get("kelurahan", []):
                pos = kel.get("pos")
                postcode = f"{int(pos):05d}" if pos not in (None, "") else None
                kel_rows.append(
                    row(
                        kel["id"],
                        kel["kelu"],
                        "kelurahan",
                        kec_id,
                        prov_id,
                        kab_id,
                        kec_id,
                        postcode=postcode,
                    )
                )
        await write("kelurahan", kel_rows)
        if progress is not None:
            progress(1)
    if result.added or result.updated:
        await repo.set_meta(session, VERSION_KEY, uuid.uuid4().hex)
        reset_name_index()
    return result
