"""Which claims people forwarded most this week, where, and which are rising.

Read from ``claim_sightings`` (a day, the claim or queued report, the saved province and
kabupaten; never a user). A claim is *rising* when it was forwarded at least ``RISING_MIN``
times this week and at least twice as often as the week before.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Region
from bot.db.models_claims import ClaimReport, ClaimSighting

RISING_MIN = 3


@dataclass
class Trend:
    #: A claim id, or ``#<report id>`` for a claim still in the queue.
    key: str
    this_week: int = 0
    last_week: int = 0
    provinces: Counter[str] = field(default_factory=Counter)
    #: A queued claim's scrubbed text (for a claim id, the caller looks up its title).
    text: str = ""

    @property
    def rising(self) -> bool:
        return self.this_week >= RISING_MIN and self.this_week >= 2 * self.last_week


async def claim_trends(session: AsyncSession, today: date, limit: int = 20) -> list[Trend]:
    start_last, start_this = today - timedelta(days=13), today - timedelta(days=6)
    rows = (
        await session.execute(
            select(
                ClaimSighting.day,
                ClaimSighting.claim_id,
                ClaimSighting.report_id,
                Region.name,
                ClaimReport.text,
                ClaimReport.claim_id,
            )
            .outerjoin(Region, Region.id == ClaimSighting.province_id)
            .outerjoin(ClaimReport, ClaimReport.id == ClaimSighting.report_id)
            .where(ClaimSighting.day >= start_last, ClaimSighting.day <= today)
        )
    ).all()
    trends: dict[str, Trend] = {}
    for day, claim_id, report_id, province, text, published_as in rows:
        key = claim_id or published_as or f"#{report_id}"
        trend = trends.setdefault(key, Trend(key))
        if text and not trend.text:
            trend.text = text
        if day >= start_this:
            trend.this_week += 1
            trend.provinces[province or "?"] += 1
        else:
            trend.last_week += 1
    ranked = sorted(trends.values(), key=lambda t: (-t.this_week, -t.last_week, t.key))
    return [t for t in ranked if t.this_week][:limit]
