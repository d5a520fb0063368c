"""The engagement log as CSV rows with pseudonymised user ids (``votebot report --events``)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.privacy import ANON_KEY
from bot.db.models import EngagementEvent as E
from bot.reports.period import SIMULATOR, Period


def pseudonym(secret: str, user_id: int) -> str:
    """A user's id in exports: HMAC-SHA256 under a key derived from the secret key for this
    purpose only (stable, not reversible; never the key that signs admin cookies)."""
    from bot.keys import derive

    return hmac.new(
        derive(secret, "pseudonym"), f"user:{user_id}".encode(), hashlib.sha256
    ).hexdigest()


EVENT_COLUMNS = ["created_at", "user", "channel", "event_type", "name", "properties"]


async def export_events(
    session: AsyncSession, period: Period, secret: str, *, sandbox: bool = False
) -> AsyncIterator[list[str]]:
    """The log's rows in ``period``, oldest first, with pseudonymised user ids."""
    conds = [E.created_at < period.end]
    if not sandbox:
        conds.append(E.channel != SIMULATOR)
    if period.start is not None:
        conds.append(E.created_at >= period.start)
    stmt = (
        select(E.created_at, E.user_id, E.channel, E.event_type, E.name, E.properties)
        .where(*conds)
        .order_by(E.created_at, E.id)
        .execution_options(yield_per=5000)
    )
    async for at, uid, channel, event_type, name, props in await session.stream(stmt):
        clean = {k: v for k, v in (props or {}).items() if k != ANON_KEY}
        yield [
            at.isoformat(),
            "" if uid is None else pseudonym(secret, uid),
            channel,
            event_type,
            name,
            json.dumps(clean, ensure_ascii=False, sort_keys=True),
        ]
