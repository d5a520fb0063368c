"""A kabupaten/kota picker shared by flows: typed text → a few matching regions as buttons."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.regions import region_path, search_regions
from bot.core.replies import Button
from bot.core.router import payload
from bot.db.models import Region

#: How many matches to offer as buttons.
PICKER_LIMIT = 5


async def region_label(session: AsyncSession, region: Region) -> str:
    """``"Kabupaten Blora, Jawa Tengah"``, or the bare name when the province is unknown."""
    path = await region_path(session, region.id)
    return path.label() if path is not None else region.name


async def kabupaten_buttons(
    session: AsyncSession, query: str, route: str, *args: str
) -> list[list[Button]]:
    """One button per matching kabupaten/kota, with payload ``route:*args:<region id>``."""
    found = await search_regions(session, query, levels=["kabupaten"], limit=PICKER_LIMIT)
    if not found and "," in query:
        first = query.split(",", 1)[0]
        found = await search_regions(session, first, levels=["kabupaten"], limit=PICKER_LIMIT)
    return [
        [Button((await region_label(session, r))[:64], payload=payload(route, *args, r.id))]
        for r in found
    ]


async def get_kabupaten(session: AsyncSession, region_id: str | int) -> Region | None:
    """The kabupaten/kota with this id (from a button), or ``None`` if it is not one."""
    try:
        rid = int(region_id)
    except ValueError:
        return None
    region = await session.get(Region, rid)
    return region if region is not None and region.level == "kabupaten" else None


async def kabupaten_of(session: AsyncSession, region_id: int | None) -> Region | None:
    """The kabupaten/kota containing a saved area (or the area itself if it is one)."""
    if region_id is None:
        return None
    path = await region_path(session, region_id)
    return path.kabupaten if path is not None else None
