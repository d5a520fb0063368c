"""A broadcast's figures: its outbox rows by outcome (and delivery receipts), and the progress
line the sender posts to whoever started it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.broadcasts import BLOCKED, EXPIRED, HELD_REASONS
from bot.core.formatting import escape
from bot.core.i18n import Translator
from bot.db.models_broadcast import CLAIMED, FAILED, PENDING, SENT, SKIPPED, Broadcast, OutboxRow

#: Sources of delivery receipts (e.g. WhatsApp ``delivered``/``read`` statuses keyed by the
#: outbound message id stored on outbox rows): each returns counts for one broadcast.
StatusSource = Callable[[AsyncSession, int], Awaitable[dict[str, int]]]
STATUS_SOURCES: list[StatusSource] = []


@dataclass
class Stats:
    total: int = 0
    sent: int = 0
    pending: int = 0
    #: pending rows held back (quiet hours, quiet period), by reason
    held: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    blocked: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    #: receipts from STATUS_SOURCES, e.g. delivered / read
    receipts: dict[str, int] = field(default_factory=dict)
    #: waiting rows per channel
    waiting_by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def done(self) -> int:
        return self.total - self.pending - self.in_flight

    @property
    def remaining(self) -> int:
        return self.pending + self.in_flight

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed_total,
            "failed_by_reason": self.failed,
            "blocked": self.blocked,
            "skipped": self.skipped,
            "pending": self.pending,
            "held": self.held,
            "in_flight": self.in_flight,
            "expired": self.skipped.get(EXPIRED, 0),
            **self.receipts,
        }


async def broadcast_stats(
    session: AsyncSession, broadcast_id: int, *, receipts: bool = True
) -> Stats:
    stmt = (
        select(OutboxRow.status, OutboxRow.error, OutboxRow.channel, func.count())
        .where(OutboxRow.broadcast_id == broadcast_id)
        .group_by(OutboxRow.status, OutboxRow.error, OutboxRow.channel)
    )
    s = Stats()
    for status, error, channel, n in (await session.execute(stmt)).all():
        n = int(n)
        s.total += n
        if status == SENT:
            s.sent += n
        elif status == PENDING:
            s.pending += n
            s.waiting_by_channel[channel] = s.waiting_by_channel.get(channel, 0) + n
            if error in HELD_REASONS:
                s.held[error] = s.held.get(error, 0) + n
        elif status == CLAIMED:
            s.in_flight += n
            s.waiting_by_channel[channel] = s.waiting_by_channel.get(channel, 0) + n
        elif status == FAILED and error == BLOCKED:
            s.blocked += n
        elif status == FAILED:
            key = error or "unknown"
            s.failed[key] = s.failed.get(key, 0) + n
        elif status == SKIPPED:
            key = error or "unknown"
            s.skipped[key] = s.skipped.get(key, 0) + n
    if receipts:
        for source in STATUS_SOURCES:
            for key, value in (await source(session, broadcast_id)).items():
                s.receipts[key] = s.receipts.get(key, 0) + value
    return s


def progress_text(t: Translator, broadcast: Broadcast, stats: Stats, pct: int) -> str:
    """The progress message for the volunteer who created the broadcast."""
    title = escape(broadcast.title)
    if pct >= 100:
        return t.gettext(
            "📣 Broadcast #{id} “{title}” is finished: {sent} sent, {failed} failed, "
            "{blocked} blocked the bot."
        ).format(
            id=broadcast.id,
            title=title,
            sent=t.number(stats.sent),
            failed=t.number(stats.failed_total),
            blocked=t.number(stats.blocked),
        )
    return t.gettext(
        "📣 Broadcast #{id} “{title}”: {percent} done ({sent} of {total} sent)."
    ).format(
        id=broadcast.id,
        title=title,
        percent=t.percent(pct / 100),
        sent=t.number(stats.sent),
        total=t.number(stats.total),
    )
