"""Regions: look-ups over Indonesia's administrative hierarchy stored in the ``regions`` table.

Used by TPS lookups, the pledge's regional counts, broadcast segments and reports.

Name search is typo-tolerant ("kebayoran bru", "kab blora", "bebayoran baru"). It runs in memory
over the distinct folded names (about 67,000 for all 82,503 kelurahan plus kecamatan and
kabupaten): a letter-pair inverted index (numpy arrays, ~3 MB) picks the few hundred names of a
plausible length sharing the most pairs with the query, and rapidfuzz scores only those, so a typo
in the first letter costs no more than one elsewhere (~0.5 ms, ≤ ~2.5 ms CPU at national scale).
It needs no extra table or extension and works the same on SQLite and PostgreSQL. The index is
built once per process and database, and rebuilt when ``votebot regions import`` bumps
``regions_version`` in ``app_meta``.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repo
from bot.db.engine import Database
from bot.db.models import Region

LEVELS = ("province", "kabupaten", "kecamatan", "kelurahan")
log = logging.getLogger(__name__)

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

#: Fuzzy scoring looks at this many names: those sharing the most letter pairs with the query.
CANDIDATES = 600
#: Indexes kept per process (one per database URL; a server has one, tests switch between two).
_MAX_INDEXES = 4


def _bigrams(key: str) -> set[str]:
    """The distinct letter pairs of ``" key "`` (the spaces mark the start and end of words)."""
    padded = f" {key} "
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


@dataclass
class _NameIndex:
    version: str
    #: Sorted distinct keys (for prefix look-ups by bisection) and key → [(level, id), …].
    keys: list[str] = field(default_factory=list)
    entries: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: The keys ordered by length, and their lengths: a ratio ≥ 75 needs lengths within 0.6×–1.67×,
    #: so fuzzy matching only looks at that slice.
    by_length: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    #: Letter-pair inverted index over ``by_length`` positions: ``postings[a:b]`` for
    #: ``spans[pair] == (a, b)``; ``pair_counts[i]`` is how many distinct pairs name ``i`` has.
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    postings: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    pair_counts: npt.NDArray[np.int16] = field(default_factory=lambda: np.zeros(0, np.int16))

    @classmethod
    def build(cls, version: str, rows: Iterable[tuple[str, str, int]]) -> _NameIndex:
        entries: dict[str, list[tuple[str, int]]] = {}
        for key, level, region_id in rows:
            entries.setdefault(key, []).append((level, region_id))
        by_length = sorted(entries, key=lambda k: (len(k), k))
        # (pair id, name position) in compact arrays, then grouped by pair with one stable sort.
        pair_ids: dict[str, int] = {}
        pair_of, name_of = array("i"), array("i")
        counts = np.zeros(len(by_length), np.int16)
        for position, key in enumerate(by_length):
            pairs = _bigrams(key)
            counts[position] = len(pairs)
            for pair in pairs:
                pair_of.append(pair_ids.setdefault(pair, len(pair_ids)))
                name_of.append(position)
        pair_arr = np.frombuffer(pair_of, np.int32)
        order = np.argsort(pair_arr, kind="stable")
        postings = np.frombuffer(name_of, np.int32)[order]
        bounds = np.searchsorted(pair_arr[order], np.arange(len(pair_ids) + 1)).tolist()
        spans = {pair: (bounds[i], bounds[i + 1]) for pair, i in pair_ids.items()}
        return cls(
            version,
            sorted(entries),
            entries,
            by_length,
            [len(k) for k in by_length],
            spans,
            postings,
            counts,
        )

    def fuzzy(self, key: str) -> list[tuple[str, float]]:
        """Names with a Levenshtein ratio ≥ ``FUZZY_CUTOFF`` to ``key``, best first.

        rapidfuzz scores the ``CANDIDATES`` names of a plausible length that share the largest
        fraction of letter pairs with the query (Dice coefficient), so a typo anywhere, the first
        letter included, costs the same: no scan over all names.
        """
        lo = bisect.bisect_left(self.lengths, int(len(key) * 0.6))
        hi = bisect.bisect_right(self.lengths, int(len(key) / 0.6) + 1)
        if hi - lo <= CANDIDATES:
            candidates = self.by_length[lo:hi]
        else:
            pairs = _bigrams(key)
            parts = [self.postings[span[0] : span[1]] for p in pairs if (span := self.spans.get(p))]
            if not parts:
                return []
            shared = np.bincount(np.concatenate(parts), minlength=hi)[lo:hi]
            dice = shared / (self.pair_counts[lo:hi] + len(pairs))
            top = np.argpartition(dice, -CANDIDATES)[-CANDIDATES:]
            top = np.sort(top[shared[top] > 0])
            candidates = [self.by_length[lo + i] for i in top.tolist()]
        matches = process.extract(
            key, candidates, scorer=fuzz.ratio, limit=None, score_cutoff=FUZZY_CUTOFF
        )
        return sorted(((name, float(score)) for name, score, _ in matches), key=lambda m: -m[1])


_indexes: dict[str, _NameIndex] = {}


async def _name_index(session: AsyncSession) -> _NameIndex:
    # The import stamps a new version; the database's URL keeps two databases apart in one process.
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    version = str(await repo.get_meta(session, VERSION_KEY))
    index = _indexes.get(url)
    if index is not None and index.version == version:
        return index
    rows = await session.execute(
        select(Region.name_key, Region.level, Region.id).where(Region.level != "province")
    )
    # About a second for all of Indonesia: built in a thread so the event loop keeps serving.
    index = await asyncio.to_thread(_NameIndex.build, version, rows.all())
    _indexes.pop(url, None)
    while len(_indexes) >= _MAX_INDEXES:
        del _indexes[next(iter(_indexes))]
    _indexes[url] = index
    return index


async def warm_name_index(db: Database) -> None:
    """Build the place-name index before the first search (at start-up, not inside a user's
    transaction); a failure only means the first search builds it."""
    try:
        async with db.transaction() as session:
            await _name_index(session)
    except Exception as exc:
        log.warning("could not build the place-name index at start-up (%s)", type(exc).__name__)


def reset_name_index() -> None:
    """Forget the in-memory indexes (the next search rebuilds them)."""
    _indexes.clear()


def _level_hint(query: str) -> str | None:
    folded = fold(query)
    for level, regex in _HINTS:
        if regex.match(folded):
            return level
    return None


#: Match scores of :func:`search_regions_scored`: the exact name, a name starting with the query;
#: close spellings score their Levenshtein ratio (75-100).
EXACT, PREFIX = 200.0, 140.0


async def search_regions(
    session: AsyncSession,
    query: str,
    *,
    levels: Sequence[str] = ("kelurahan", "kecamatan", "kabupaten"),
    limit: int = 8,
) -> list[Region]:
    """Regions whose name best matches ``query``, tolerating typos and "Kab."/"Kota" prefixes."""
    found = await search_regions_scored(session, query, levels=levels, limit=limit)
    return [region for region, _ in found]


async def search_regions_scored(
    session: AsyncSession,
    query: str,
    *,
    levels: Sequence[str] = ("kelurahan", "kecamatan", "kabupaten"),
    limit: int = 8,
) -> list[tuple[Region, float]]:
    """Regions whose name best matches ``query``, with their match score (see :data:`EXACT`).

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
    for candidate, score in index.fuzzy(key):
        scores.setdefault(candidate, score)
    level_rank = {lvl: i for i, lvl in enumerate(("kabupaten", "kecamatan", "kelurahan"))}
    ranked: list[tuple[float, int, str, int]] = []
    for candidate, score in scores.items():
        for level, region_id in index.entries[candidate]:
            if level in wanted:
                bonus = 20.0 if level == hint else 0.0
                ranked.append((-(score + bonus), level_rank.get(level, 9), candidate, region_id))
    ranked.sort()
    best: dict[int, float] = {}
    for score, _, _, region_id in ranked[:limit]:
        best.setdefault(region_id, score)
    if not best:
        return []
    rows = await session.scalars(select(Region).where(Region.id.in_(list(best))))
    by_id = {r.id: r for r in rows.all()}
    return [(by_id[i], -score) for i, score in best.items() if i in by_id]


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
