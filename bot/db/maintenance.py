"""Housekeeping that runs inside ``votebot serve``: forget what is no longer needed.

``processed_messages`` only has to remember an inbound id for as long as a platform may deliver it
again (Telegram keeps undelivered updates for 24 hours; Meta retries a webhook for up to 7 days).
Keeping ids longer would only keep data (a WhatsApp message id can encode the sender's number).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ProcessedMessage, utcnow
from bot.periodic import PeriodicService
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: How long an inbound message id is remembered for de-duplication.
PROCESSED_RETENTION = timedelta(days=8)
#: How often the housekeeping runs.
INTERVAL_SECONDS = 3600.0


async def prune_processed(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete de-duplication ids older than the retention; return how many were deleted."""
    cutoff = (now or utcnow()) - PROCESSED_RETENTION
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class Housekeeping(PeriodicService):
    """Prunes once at start and then every ``interval`` seconds."""

    name = "housekeeping"
    singleton = "housekeeping"

    def __init__(self, runtime: Runtime, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.runtime = runtime
        self.db = runtime.db

    async def run_once(self) -> int:
        async with self.runtime.db.transaction() as session:
            deleted = await prune_processed(session)
        if deleted:
            log.info("housekeeping: forgot %d old inbound message ids", deleted)
        return deleted


def create(runtime: Runtime, channels: Sequence[object]) -> Housekeeping:
    return Housekeeping(runtime)
