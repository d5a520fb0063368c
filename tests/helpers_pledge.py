"""Shared helpers for the pledge, referral and report tests: regions, users and table reads."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import UserRef
from bot.core.regions import name_key
from bot.db import repo
from bot.db.models import EngagementEvent, Region
from bot.runtime import Runtime

T = TypeVar("T")


async def add_region(
    s: AsyncSession, level: str, name: str, source_id: int, parent: Region | None = None
) -> Region:
    region = Region(
        level=level,
        source_id=source_id,
        name=name,
        name_key=name_key(name),
        parent_id=parent.id if parent else None,
        province_id=(parent.province_id or parent.id) if parent else None,
        kabupaten_id=(parent.id if parent.level == "kabupaten" else parent.kabupaten_id)
        if parent
        else None,
        kecamatan_id=(parent.id if parent.level == "kecamatan" else None) if parent else None,
    )
    s.add(region)
    await s.flush()
    return region


async def add_regions(runtime: Runtime) -> dict[str, int]:
    """Jawa Tengah with Kabupaten Blora (and a kecamatan and kelurahan) and Kabupaten Rembang."""
    async with runtime.db.transaction() as s:
        prov = await add_region(s, "province", "Jawa Tengah", 1)
        blora = await add_region(s, "kabupaten", "Kabupaten Blora", 1, prov)
        rembang = await add_region(s, "kabupaten", "Kabupaten Rembang", 2, prov)
        kec = await add_region(s, "kecamatan", "Blora", 1, blora)
        kel = await add_region(s, "kelurahan", "Kunden", 1, kec)
        return {
            "province": prov.id,
            "blora": blora.id,
            "rembang": rembang.id,
            "kecamatan": kec.id,
            "kelurahan": kel.id,
        }


async def add_user(runtime: Runtime, external_id: str, **values: Any) -> int:
    async with runtime.db.transaction() as s:
        user, _ = await repo.get_or_create_user(s, UserRef("test", external_id))
        for key, value in values.items():
            setattr(user, key, value)
        return user.id


async def rows(runtime: Runtime, model: type[T]) -> list[T]:
    async with runtime.db.transaction() as s:
        return list((await s.scalars(select(model))).all())


async def events(runtime: Runtime, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    async with runtime.db.transaction() as s:
        found = await s.scalars(
            select(EngagementEvent)
            .where(EngagementEvent.event_type == event_type)
            .order_by(EngagementEvent.id)
        )
        return [(e.name, e.properties) for e in found.all()]
