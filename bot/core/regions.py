"""Regions: look-ups over Indonesia's administrative hierarchy stored in the ``regions`` table.

Used by TPS lookups, the pledge's regional counts, broadcast segments and reports.

Name search is typo-tolerant ("kebayoran bru", "kab blora"). It runs in memory with rapidfuzz over
the distinct folded names (about 67,000 for all 82,503 kelurahan plus kecamatan and kabupaten),
scoring names that share the query's first letter first (p50 ~1.5 ms); it needs no extra table
or extension and works the same on SQLite and PostgreSQL. A trigram table in the database
would need ~1M posting rows and still a Python re-ranking step. The index is built once per
process and rebuilt when ``votebot regions import`` bumps ``regions_version`` in ``app_meta``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repo
from bot.db.models import Region

LEVELS = ("province", "kabupaten", "kecamatan", "kelurahan")
#: ``app_meta`` key bumped by every regions import that changed something.
VERSION_KEY = "regions_version"

_LEVEL_PREFIXES = {
    "province": r"provinsi|prov",
    "kabupaten": (
        r"kabupaten administrasi|kabupaten adm|kab adm|kabupaten|kab|"
        r"kota administrasi|kota adm|kota"
    ),
    "kecamatan": r"kecamatan|kec",
    "kelurahan": r"kelurahan|kel|desa|ds",
}
_PREFIX_RE = {
    level: re.compile(rf"^(?:{alternatives})\s+") for level, alternatives in _LEVEL_PREFIXES.items()
}
_ANY_PREFIX_RE = re.compile(
    r"^(?:" + "|".join(_LEVEL_PREFIXES[lvl] for lvl in LEVELS[::-1]) + r")\s+"
)
#: The level a query's prefix asks for: "kab blora" → kabupaten.
_HINTS = [(level, re.compile(rf"^(?:{alt})\s+")) for level, alt in _LEVEL_PREFIXES.items()]

#: Fuzzy matches below this Levenshtein ratio (0–100) are not offered.
FUZZY_CUTOFF = 75.0
#: A match this good in the first-letter bucket ends the search there.
STRONG_MATCH = 85.0


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(name: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed."""
    if name.isascii():  # the fast path for nearly every name
        return " ".join(_NON_ALNUM.sub(" ", name.lower()).split())
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(folded.split())


def name_key(name: str, level: str | None = None) -> str:
    """Fold a place name for matching: ``"Kab. Blora"`` → ``"blora"``.

    With ``level``, only that level's prefixes are removed (a kecamatan called "Kota Baru" keeps
    its "kota"); without it, any administrative prefix is.
    """
    folded = fold(name)
    pattern = _PREFIX_RE.get(level, _ANY_PREFIX_RE) if level else _ANY_PREFIX_RE
    return pattern.sub("", folded, count=1) or folded


def kabupaten_kind(name: str) -> str | None:
    """``"kota"`` or ``"kabupaten"`` from a name's prefix (``"Kota Adm. …"``, ``"Kab. …"``)."""
    folded = fold(name)
    if re.match(r"^kota\s", folded):
        return "kota"
    if re.match(r"^kab(?:upaten)?\s", folded):
        return "kabupaten"
    return None


@dataclass(frozen=True)
class RegionPath:
    """A region with its ancestors (any of them may be missing above the region's own level)."""

    region: Region
    province: Region | None
    kabupaten: Region | None
    kecamatan: Region | None
    kelurahan: Region | None

    @property
    def timezone(self) -> str | None:
        return self.province.timezone if self.province else None

    def label(self) -> str:
        """``"Kebayoran Baru, Kota Jakarta Selatan, DKI Jakarta"`` style, most specific first."""
        parts = [self.kelurahan, self.kecamatan, self.kabupaten, self.province]
        return ", ".join(r.name for r in parts if r is not None)


def _pick(
    region: Region, found: dict[int, Region], level: str, ancestor: int | None
) -> Region | None:
    if region.level == level:
        return region
    return found.get(ancestor) if ancestor else None


async def region_paths(session: AsyncSession, regions: Iterable[Region]) -> dict[int, RegionPath]:
    """Paths for many regions with one query for all their ancestors."""
    regions = list(regions)
    ids = {
        i for r in regions for i in (r.province_id, r.kabupaten_id, r.kecamatan_id) if i is not None
    }
    found: dict[int, Region] = {}
    if ids:
        rows = await session.scalars(select(Region).where(Region.id.in_(sorted(ids))))
        found = {r.id: r for r in rows.all()}
    return {
        r.id: RegionPath(
            r,
            _pick(r, found, "province", r.province_id),
            _pick(r, found, "kabupaten", r.kabupaten_id),
            _pick(r, found, "kecamatan", r.kecamatan_id),
            _pick(r, found, "kelurahan", None),
        )
        for r in regions
    }


async def region_path(session: AsyncSession, region_id: int) -> RegionPath | None:
    region = await session.get(Region, region_id)
    if region is None:
        return None
    return (await region_paths(session, [region]))[region.id]


# --------------------------------------------------------------------------- fuzzy search


@dataclass
class _NameIndex:
    version: str | None
    #: Sorted distinct keys (for prefix look-ups by bisection) and key → [(level, id), …].
    keys: list[str] = field(default_factory=list)
    entries: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: The keys ordered by length, and their lengths: a ratio ≥ 75 needs lengths within 0.6×–1.67×,
    #: so fuzzy matching only scans that slice.
    by_length: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    #: The same per first letter.
    by_first: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)


_index: _NameIndex | None = None


async def _name_index(session: AsyncSession) -> _NameIndex:
    global _index
    # The import stamps a new version; the database's URL keeps two databases apart in one process.
    stamp = await repo.get_meta(session, VERSION_KEY)
    version = f"{session.get_bind().engine.url.render_as_string(hide_password=True)}#{stamp}"
    if _index is not None and _index.version == version:
        return _index
    entries: dict[str, list[tuple[str, int]]] = {}
    rows = await session.execute(
        select(Region.name_key, Region.level, Region.id).where(Region.level != "province")
    )
    for key, level, region_id in rows.all():
        entries.setdefault(key, []).append((level, region_id))
    by_length = sorted(entries, key=lambda k: (len(k), k))
    by_first: dict[str, tuple[list[str], list[int]]] = {}
    for k in by_length:
        names, lengths = by_first.setdefault(k[0], ([], []))
        names.append(k)
        lengths.append(len(k))
    _index = _NameIndex(
        version, sorted(entries), entries, by_length, [len(k) for k in by_length], by_first
    )
    return _index


def reset_name_index() -> None:
    """Forget the in-memory index (the next search rebuilds it)."""
    global _index
    _index = None


def _level_hint(query: str) -> str | None:
    folded = fold(query)
    for level, regex in _HINTS:
        if regex.match(folded):
            return level
    return None


async def search_regions(
    session: AsyncSession,
    query: str,
    *,
    levels: Sequence[str] = ("kelurahan", "kecamatan", "kabupaten"),
    limit: int = 8,
) -> list[Region]:
    """Regions whose name best matches ``query``, tolerating typos and "Kab."/"Kota" prefixes.

    Exact names first, then names starting with the query, then close spellings (Levenshtein
    ratio ≥ 75); a level named by the query's prefix ("kab blora") ranks first.
    """
    key = name_key(query)
    if not key:
        return []
    hint = _level_hint(query)
    wanted = set(levels)
    index = await _name_index(session)
    scores: dict[str, float] = {}
    if key in index.entries:
        scores[key] = 200.0
    start = bisect.bisect_left(index.keys, key)
    for candidate in index.keys[start : start + 50]:
        if not candidate.startswith(key):
            break
        scores.setdefault(candidate, 150.0 - len(candidate) / 100)
    # Most typos keep the first letter: score that bucket first (about 1/15 of the names) and
    # scan every name of a plausible length only when it has no strong match.
    wanted_fuzzy = max(limit * 3, 20)
    first = index.by_first.get(key[0])
    buckets = (
        [first, (index.by_length, index.lengths)] if first else [(index.by_length, index.lengths)]
    )
    for names, lengths in buckets:
        lo = bisect.bisect_left(lengths, int(len(key) * 0.6))
        hi = bisect.bisect_right(lengths, int(len(key) / 0.6) + 1)
        matches = process.extract(
            key, names[lo:hi], scorer=fuzz.ratio, limit=wanted_fuzzy, score_cutoff=FUZZY_CUTOFF
        )
        for candidate, score, _ in matches:
            scores.setdefault(candidate, float(score))
        if scores and max(scores.values()) >= STRONG_MATCH:
            break
    level_rank = {lvl: i for i, lvl in enumerate(("kabupaten", "kecamatan", "kelurahan"))}
    ranked: list[tuple[float, int, str, int]] = []
    for candidate, score in scores.items():
        for level, region_id in index.entries[candidate]:
            if level in wanted:
                bonus = 20.0 if level == hint else 0.0
                ranked.append((-(score + bonus), level_rank.get(level, 9), candidate, region_id))
    ranked.sort()
    ids = [region_id for *_, region_id in ranked[:limit]]
    if not ids:
        return []
    rows = await session.scalars(select(Region).where(Region.id.in_(ids)))
    by_id = {r.id: r for r in rows.all()}
    return [by_id[i] for i in ids if i in by_id]


async def regions_by_postcode(session: AsyncSession, postcode: str) -> list[Region]:
    """The kelurahan with this five-digit postcode, by name."""
    stmt = (
        select(Region)
        .where(Region.level == "kelurahan", Region.postcode == postcode)
        .order_by(Region.name, Region.id)
    )
    return list((await session.scalars(stmt)).all())


async def children(session: AsyncSession, parent_id: int | None) -> list[Region]:
    """The provinces (``parent_id`` None) or a region's direct children, by name."""
    if parent_id is None:
        stmt = select(Region).where(Region.level == "province")
    else:
        stmt = select(Region).where(Region.parent_id == parent_id)
    return list((await session.scalars(stmt.order_by(Region.name, Region.id))).all())
