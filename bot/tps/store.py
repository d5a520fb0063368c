"""TPS queries and the upsert used by every import; they take a session and never commit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repo
from bot.db.models import utcnow
from bot.db.models_tps import Tps
from bot.tps.geo import COARSE, FINE, Grid, cells, haversine_m

#: Squares tried in turn for the nearest TPS: about 3, 8, 19, 77 and 230 km across.
#: Nothing farther than this counts as "near".
MAX_DISTANCE_M = 100_000.0
SEARCH_STEPS: tuple[tuple[Grid, int], ...] = (
    (FINE, 1),
    (FINE, 3),
    (FINE, 8),
    (COARSE, 3),
    (COARSE, 10),
)


@dataclass(frozen=True)
class TpsRow:
    """One TPS as an import gives it (already matched to its kelurahan)."""

    region_id: int
    number: int
    address: str
    latitude: float | None = None
    longitude: float | None = None
    accessibility: str | None = None
    voters: int | None = None

    def values(self) -> tuple[object, ...]:
        return (self.address, self.latitude, self.longitude, self.accessibility, self.voters)


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


async def upsert_tps(session: AsyncSession, rows: Sequence[TpsRow]) -> UpsertResult:
    """Insert new TPS and update changed ones, keyed on (kelurahan, number).

    Existing rows are compared first, so importing the same data again writes nothing.
    """
    result = UpsertResult()
    if not rows:
        return result
    region_ids = sorted({r.region_id for r in rows})
    existing: dict[tuple[int, int], tuple[int, tuple[object, ...]]] = {}
    for chunk_start in range(0, len(region_ids), 5000):
        chunk = region_ids[chunk_start : chunk_start + 5000]
        found = await session.execute(
            select(
                Tps.region_id,
                Tps.number,
                Tps.id,
                Tps.address,
                Tps.latitude,
                Tps.longitude,
                Tps.accessibility,
                Tps.voters,
            ).where(Tps.region_id.in_(chunk))
        )
        for region_id, number, tps_id, *stored in found.all():
            existing[(region_id, number)] = (tps_id, tuple(stored))
    now = utcnow()
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for row in rows:
        fine, coarse = cells(row.latitude, row.longitude)
        values: dict[str, object] = {
            "address": row.address,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "accessibility": row.accessibility,
            "voters": row.voters,
            "cell_fine": fine,
            "cell_coarse": coarse,
            "updated_at": now,
        }
        old = existing.get((row.region_id, row.number))
        if old is None:
            new.append({"region_id": row.region_id, "number": row.number, **values})
        elif old[1] != row.values():
            changed.append({"id": old[0], **values})
        else:
            result.unchanged += 1
    if new:
        stmt = repo.insert_ignore(session, Tps.__table__, ["region_id", "number"])
        await session.execute(stmt, new)
        result.added = len(new)
    if changed:
        await session.execute(update(Tps), changed)
        result.updated = len(changed)
    return result


async def count_tps(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Tps)) or 0)


async def tps_in_region(
    session: AsyncSession, region_id: int, *, offset: int = 0, limit: int = 8
) -> tuple[list[Tps], int]:
    """One page of a kelurahan's TPS by number, and how many there are in all."""
    total = await session.scalar(
        select(func.count()).select_from(Tps).where(Tps.region_id == region_id)
    )
    rows = await session.scalars(
        select(Tps)
        .where(Tps.region_id == region_id)
        .order_by(Tps.number)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), int(total or 0)


async def tps_counts(session: AsyncSession, region_ids: Sequence[int]) -> dict[int, int]:
    if not region_ids:
        return {}
    rows = await session.execute(
        select(Tps.region_id, func.count())
        .where(Tps.region_id.in_(list(region_ids)))
        .group_by(Tps.region_id)
    )
    return {region_id: int(n) for region_id, n in rows.all()}


async def _candidates(
    session: AsyncSession, lat: float, lon: float, grid: Grid, k: int, limit: int
) -> list[tuple[float, int]]:
    """(haversine metres, id) of the TPS in the ``k`` square nearest by a flat approximation."""
    column = Tps.cell_fine if grid is FINE else Tps.cell_coarse
    kx = math.cos(math.radians(lat))
    dlat, dlon = Tps.latitude - lat, (Tps.longitude - lon) * kx
    stmt = (
        select(Tps.id, Tps.latitude, Tps.longitude)
        .where(or_(*(and_(column >= lo, column <= hi) for lo, hi in grid.ranges(lat, lon, k))))
        .order_by(dlat * dlat + dlon * dlon)
        .limit(limit * 4)
    )
    return sorted(
        (haversine_m(lat, lon, c_lat, c_lon), tps_id)
        for tps_id, c_lat, c_lon in (await session.execute(stmt)).all()
        if c_lat is not None and c_lon is not None
    )


def _square_for(lat: float, metres: float) -> tuple[Grid, int]:
    """The smallest square (fine grid if it takes at most 12 cells) covering ``metres``."""
    for grid, max_k in ((FINE, 12), (COARSE, 1000)):
        k = 1
        while grid.covered_radius_m(lat, k) < metres and k <= max_k:
            k += 1
        if k <= max_k:
            return grid, k
    return COARSE, 1000


async def nearest_tps(
    session: AsyncSession, lat: float, lon: float, *, limit: int = 3
) -> list[tuple[Tps, float]]:
    """The TPS nearest to a point with their distance in metres, nearest first.

    Searches growing squares of grid cells (see :mod:`bot.tps.geo`). When the nearest candidate
    lies beyond what a square provably covers, one more query over the square that covers it
    settles the answer. Returns nothing when no TPS is within about 100 km.
    """
    for grid, k in SEARCH_STEPS:
        ranked = await _candidates(session, lat, lon, grid, k, limit)
        if not ranked:
            continue
        if ranked[0][0] > MAX_DISTANCE_M:
            return []
        if ranked[0][0] > grid.covered_radius_m(lat, k):
            grid, k = _square_for(lat, ranked[0][0])
            ranked = await _candidates(session, lat, lon, grid, k, limit)
        radius = grid.covered_radius_m(lat, k)
        proven = [(d, tps_id) for d, tps_id in ranked if d <= radius][:limit]
        if not proven:
            return []
        rows = await session.scalars(select(Tps).where(Tps.id.in_([i for _, i in proven])))
        by_id = {t.id: t for t in rows.all()}
        return [(by_id[i], d) for d, i in proven if i in by_id]
    return []
