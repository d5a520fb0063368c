"""Regions: look-ups over Indonesia's administrative hierarchy stored in the ``regions`` table.

Used by TPS lookups, the pledge's regional counts, broadcast segments and reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Region

LEVELS = ("province", "kabupaten", "kecamatan", "kelurahan")

_PREFIXES = re.compile(
    r"^(?:provinsi|prov|kabupaten|kab|kota administrasi|kota adm|kota|kecamatan|kec|"
    r"kelurahan|kel|desa|ds)\s+"
)


def name_key(name: str) -> str:
    """Fold a place name for matching: ``"Kab. Blora"`` → ``"blora"``."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    folded = " ".join(folded.split())
    return _PREFIXES.sub("", folded, count=1)


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


async def region_path(session: AsyncSession, region_id: int) -> RegionPath | None:
    region = await session.get(Region, region_id)
    if region is None:
        return None
    ids = [region.province_id, region.kabupaten_id, region.kecamatan_id]
    found = {
        r.id: r
        for r in (
            await session.scalars(select(Region).where(Region.id.in_([i for i in ids if i])))
        ).all()
    }

    def pick(level: str, ancestor_id: int | None) -> Region | None:
        if region.level == level:
            return region
        return found.get(ancestor_id) if ancestor_id else None

    return RegionPath(
        region,
        pick("province", region.province_id),
        pick("kabupaten", region.kabupaten_id),
        pick("kecamatan", region.kecamatan_id),
        pick("kelurahan", None),
    )


async def search_regions(
    session: AsyncSession,
    query: str,
    *,
    levels: Sequence[str] = ("kelurahan", "kecamatan", "kabupaten"),
    limit: int = 8,
) -> list[Region]:
    """Regions whose name matches ``query``: exact, then prefix, then substring matches."""
    key = name_key(query)
    if not key:
        return []
    out: list[Region] = []
    seen: set[int] = set()
    for pattern in (key, f"{key}%", f"%{key}%"):
        stmt = (
            select(Region)
            .where(Region.level.in_(list(levels)), Region.name_key.like(pattern))
            .order_by(Region.name_key, Region.id)
            .limit(limit)
        )
        for region in (await session.scalars(stmt)).all():
            if region.id not in seen:
                seen.add(region.id)
                out.append(region)
        if len(out) >= limit:
            break
    return out[:limit]
