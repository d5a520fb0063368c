"""The dashboard's headline strip: this week against last week, in Asia/Jakarta days.

"This week" is the 7 Jakarta days ending with ``today`` (included), "last week" the 7 before.
Each figure uses the same definition as the full report (:mod:`bot.reports.data`): new users
are accounts that still exist, active users are distinct people (with an account) who sent a
message, quizzes completed and pledges signed are events, reports are ``/lapor`` records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.timezones import WIB
from bot.db.models import EngagementEvent, User
from bot.db.models_pledge import Report

E = EngagementEvent
#: The strip's figures, in order.
FIGURES = ("new_users", "active_users", "quizzes_completed", "pledges", "reports")


@dataclass(frozen=True)
class Figure:
    key: str
    this_week: int
    last_week: int

    @property
    def change(self) -> float | None:
        """The change as a fraction of last week (None when last week was 0)."""
        return None if not self.last_week else (self.this_week - self.last_week) / self.last_week


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), WIB).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), WIB).astimezone(UTC)
    return start, end


async def _week(session: AsyncSession, first: date, last: date) -> dict[str, int]:
    start, end = _bounds(first, last)
    in_week = (E.created_at >= start, E.created_at < end)

    async def scalar(stmt: object) -> int:
        return int(await session.scalar(stmt) or 0)  # type: ignore[call-overload]

    return {
        "new_users": await scalar(
            select(func.count()).where(User.created_at >= start, User.created_at < end)
        ),
        "active_users": await scalar(
            select(func.count(distinct(E.user_id))).where(
                E.event_type == "message", E.user_id.is_not(None), *in_week
            )
        ),
        "quizzes_completed": await scalar(
            select(func.count()).where(E.event_type == "quiz", E.name == "quiz_completed", *in_week)
        ),
        "pledges": await scalar(
            select(func.count()).where(
                E.event_type == "pledge", E.name == "pledge_signed", *in_week
            )
        ),
        "reports": await scalar(
            select(func.count()).where(Report.reported_on >= first, Report.reported_on <= last)
        ),
    }


async def headline(session: AsyncSession, today: date) -> list[Figure]:
    """The strip's figures for the week ending ``today`` (a Jakarta day) and the week before."""
    this = await _week(session, today - timedelta(days=6), today)
    last = await _week(session, today - timedelta(days=13), today - timedelta(days=7))
    return [Figure(k, this[k], last[k]) for k in FIGURES]
