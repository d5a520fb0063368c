"""``votebot tps import FILE.csv``: read TPS rows, match them to kelurahan by name, upsert them.

The CSV has a header row; column names (any order, case-insensitive; Indonesian names in
brackets are accepted too):

province (provinsi), kabupaten (kabupaten_kota, kab_kota), kecamatan, kelurahan (desa,
kelurahan_desa), tps (no_tps, number), address (alamat), and optionally lat (latitude), lon
(longitude, lng), accessibility (aksesibilitas), voters (dpt, jumlah_pemilih).

Comma- or semicolon-separated, UTF-8 (with or without a BOM). Names are matched case- and
spacing-insensitively, with prefixes such as "Kab.", "Kabupaten", "Kota" and "Kota Adm."
tolerated; the parent chain resolves names that occur in several places.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.engine import looks_like_nik
from bot.core.regions import kabupaten_kind, name_key
from bot.db.models import Region
from bot.tps.regions_data import province_key
from bot.tps.store import TpsRow, UpsertResult, upsert_tps

COLUMNS: dict[str, tuple[str, ...]] = {
    "province": ("province", "provinsi"),
    "kabupaten": ("kabupaten", "kabupaten_kota", "kab_kota", "kabkota"),
    "kecamatan": ("kecamatan",),
    "kelurahan": ("kelurahan", "desa", "kelurahan_desa"),
    "tps": ("tps", "no_tps", "number"),
    "address": ("address", "alamat"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "longitude"),
    "accessibility": ("accessibility", "aksesibilitas"),
    "voters": ("voters", "dpt", "jumlah_pemilih"),
}
REQUIRED = ("province", "kabupaten", "kecamatan", "kelurahan", "tps", "address")
#: Indonesia's bounding box, with a margin: coordinates outside it are a mistake.
LAT_RANGE, LON_RANGE = (-11.5, 6.5), (94.5, 141.5)
MAX_TEXT = 255
BATCH = 5000


class TpsFileError(Exception):
    """The file cannot be read at all (missing, not text, no usable header)."""


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class TpsImportReport:
    rows: int = 0
    result: UpsertResult = field(default_factory=UpsertResult)
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.result.added + self.result.updated + self.result.unchanged


class RowProblem(Exception):
    pass


@dataclass(frozen=True)
class _Named:
    id: int
    name: str
    kind: str | None = None


def _alias_keys(name: str, level: str) -> list[str]:
    key = name_key(name, level)
    bare = name_key(re.sub(r"\(.*?\)", " ", name), level)
    return [key] if bare in ("", key) else [key, bare]


class RegionMatcher:
    """Finds a kelurahan from its four names; built once per import from the regions table."""

    def __init__(self) -> None:
        self.provinces: dict[str, _Named] = {}
        self.children: dict[int, dict[str, list[_Named]]] = {}
        #: "Cabeyan" for "Cabeyan (Cabean)": used only when no name matches exactly.
        self.aliases: dict[int, dict[str, list[_Named]]] = {}
        self._cache: dict[tuple[str, str, str, str], int | str] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> RegionMatcher:
        m = cls()
        rows = await session.execute(select(Region.id, Region.level, Region.name, Region.parent_id))
        for region_id, level, name, parent_id in rows.all():
            if level == "province":
                m.provinces[province_key(name)] = _Named(region_id, name)
                continue
            kind = kabupaten_kind(name) if level == "kabupaten" else None
            key, *aliases = _alias_keys(name, level)
            named = _Named(region_id, name, kind)
            m.children.setdefault(parent_id or 0, {}).setdefault(key, []).append(named)
            for alias in aliases:
                m.aliases.setdefault(parent_id or 0, {}).setdefault(alias, []).append(named)
        return m

    def match(self, province: str, kabupaten: str, kecamatan: str, kelurahan: str) -> int:
        """The kelurahan's region id; raises :class:`RowProblem` saying what did not match."""
        raw = (province, kabupaten, kecamatan, kelurahan)
        hit = self._cache.get(raw)
        if hit is None:
            try:
                hit = self._match(*raw)
            except RowProblem as exc:
                hit = str(exc)
            self._cache[raw] = hit
        if isinstance(hit, str):
            raise RowProblem(hit)
        return hit

    def _match(self, province: str, kabupaten: str, kecamatan: str, kelurahan: str) -> int:
        prov = self.provinces.get(province_key(province))
        if prov is None:
            raise RowProblem(
                f"province {province!r} not found" + self._hint(self.provinces, province)
            )
        kab = self._child(prov, kabupaten, "kabupaten", "kabupaten/kota")
        kec = self._child(kab, kecamatan, "kecamatan", "kecamatan")
        kel = self._child(kec, kelurahan, "kelurahan", "kelurahan/desa")
        return kel.id

    def _child(self, parent: _Named, name: str, level: str, label: str) -> _Named:
        siblings = self.children.get(parent.id, {})
        key = name_key(name, level)
        found = siblings.get(key) or self.aliases.get(parent.id, {}).get(key, [])
        if level == "kabupaten" and len(found) > 1:
            kind = kabupaten_kind(name)
            found = [f for f in found if kind is None or f.kind == kind] if kind else found
        if not found:
            raise RowProblem(
                f"{label} {name!r} not found in {parent.name}" + self._hint(siblings, name)
            )
        if len(found) > 1:
            names = " and ".join(sorted({f.name for f in found}))
            hint = ' (write "Kab." or "Kota")' if level == "kabupaten" else ""
            raise RowProblem(f"{label} {name!r} is ambiguous in {parent.name}: {names}{hint}")
        return found[0]

    @staticmethod
    def _hint(options: Mapping[str, _Named | list[_Named]], name: str) -> str:
        best = process.extractOne(name_key(name), list(options), scorer=fuzz.ratio, score_cutoff=75)
        if best is None:
            return ""
        value = options[best[0]]
        first = value if isinstance(value, _Named) else value[0]
        return f" (did you mean {first.name!r}?)"


def _text(row: dict[str, str], column: str) -> str:
    return " ".join((row.get(column) or "").split())


def _number(value: str, what: str, *, lo: float, hi: float) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise RowProblem(f"{what} {value!r} is not a number") from None
    if not lo <= number <= hi:
        raise RowProblem(f"{what} {value} is outside Indonesia ({lo} to {hi})")
    return number


def parse_row(row: dict[str, str], matcher: RegionMatcher) -> TpsRow:
    """One CSV row as a :class:`TpsRow`; raises :class:`RowProblem` with a clear reason."""
    for column, value in row.items():
        if value and looks_like_nik(value):
            raise RowProblem(f"{column} contains a 16-digit number that looks like a NIK")
    missing = [c for c in REQUIRED if not _text(row, c)]
    if missing:
        raise RowProblem("empty " + ", ".join(missing))
    tps = _text(row, "tps")
    digits = re.fullmatch(r"(?:tps\s*)?0*(\d{1,4})", tps, re.IGNORECASE)
    if digits is None or int(digits.group(1)) == 0:
        raise RowProblem(f"TPS number {tps!r} is not a number from 1 to 9999")
    address = _text(row, "address")
    if len(address) > MAX_TEXT:
        raise RowProblem(f"address longer than {MAX_TEXT} characters")
    lat_s, lon_s = _text(row, "lat"), _text(row, "lon")
    lat = lon = None
    if lat_s or lon_s:
        if not (lat_s and lon_s):
            raise RowProblem("give both lat and lon, or neither")
        lat = _number(lat_s, "lat", lo=LAT_RANGE[0], hi=LAT_RANGE[1])
        lon = _number(lon_s, "lon", lo=LON_RANGE[0], hi=LON_RANGE[1])
    access = _text(row, "accessibility") or None
    if access is not None and len(access) > MAX_TEXT:
        raise RowProblem(f"accessibility longer than {MAX_TEXT} characters")
    voters_s = _text(row, "voters").replace(".", "").replace(",", "").replace(" ", "")
    voters = None
    if voters_s:
        if not voters_s.isdigit() or int(voters_s) > 100_000:
            raise RowProblem(f"voters {_text(row, 'voters')!r} is not a whole number")
        voters = int(voters_s)
    region_id = matcher.match(
        _text(row, "province"),
        _text(row, "kabupaten"),
        _text(row, "kecamatan"),
        _text(row, "kelurahan"),
    )
    return TpsRow(region_id, int(digits.group(1)), address, lat, lon, access, voters)


def _check(path: Path) -> None:
    """Raise :class:`TpsFileError` unless ``path`` is a readable text file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise TpsFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if b"\x00" in head:
        raise TpsFileError(f"{path}: not a text file")


def _header(path: Path, fieldnames: list[str] | None) -> dict[str, str]:
    if not fieldnames:
        raise TpsFileError(f"{path}:1: the file is empty (expected a header row)")
    by_alias = {alias: col for col, aliases in COLUMNS.items() for alias in aliases}
    mapping: dict[str, str] = {}
    for name in fieldnames:
        col = by_alias.get(re.sub(r"[\s/.-]+", "_", (name or "").strip().lower()))
        if col is not None and col not in mapping.values():
            mapping[name] = col
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        raise TpsFileError(
            f"{path}:1: missing column(s) {', '.join(missing)} "
            f"(the header needs {', '.join(REQUIRED)})"
        )
    return mapping


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row by our column names)`` for each data row, streamed from the file."""
    _check(path)
    handle = path.open(encoding="utf-8-sig", newline="")
    try:
        first = handle.readline()
        handle.seek(0)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.DictReader(handle, delimiter=delimiter)
        mapping = _header(path, list(reader.fieldnames or []))
    except UnicodeDecodeError as exc:
        handle.close()
        raise TpsFileError(f"{path}:1: not UTF-8 text (byte {exc.start})") from None
    except BaseException:
        handle.close()
        raise

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        line = 1
        try:
            for raw in reader:
                start, line = line + 1, reader.line_num
                yield (
                    start,
                    {mapping[k]: v for k, v in raw.items() if k in mapping and isinstance(v, str)},
                )
        except UnicodeDecodeError:
            raise TpsFileError(f"{path}:{line + 1}: not UTF-8 text") from None
        except csv.Error as exc:
            raise TpsFileError(f"{path}:{line + 1}: {exc}") from None
        finally:
            handle.close()

    return rows()


async def import_tps_file(
    session: AsyncSession,
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
    commit_batches: bool = False,
) -> TpsImportReport:
    """Import a TPS CSV file (see the module docstring); bad rows are reported, not fatal.

    With ``commit_batches`` (the CLI), every batch of ``BATCH`` rows is committed on its own,
    so a running ``serve`` never waits long for the database (on SQLite one writer at a time
    holds the whole file); an interrupted import is finished by running it again (upsert).
    """
    rows = read_rows(path)
    matcher = await RegionMatcher.load(session)
    report = TpsImportReport()
    seen: dict[int, int] = {}
    batch: list[TpsRow] = []
    done = 0
    for line, row in rows:
        report.rows += 1
        done += 1
        if not any(row.values()):
            report.rows -= 1
            continue
        try:
            tps = parse_row(row, matcher)
            key = tps.region_id * 10_000 + tps.number
            first = seen.get(key)
            if first is not None:
                raise RowProblem(f"TPS {tps.number} in this kelurahan is already on line {first}")
            seen[key] = line
            batch.append(tps)
        except RowProblem as exc:
            report.errors.append(RowError(line, str(exc)))
        if len(batch) >= BATCH:
            report.result += await upsert_tps(session, batch)
            batch = []
            if commit_batches:
                await session.commit()
            if progress is not None:
                progress(done)
                done = 0
    report.result += await upsert_tps(session, batch)
    if commit_batches:
        await session.commit()
    if progress is not None and done:
        progress(done)
    return report


def row_count(path: Path) -> int:
    """Data rows in the file, about (for a progress bar); raises :class:`TpsFileError`."""
    _check(path)
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)
