"""Each worker's share of a platform's rate for conversation replies.

Replies stay inline (a user waits for them), but they count against the same platform limit as
the fleet's broadcast sender. The sender takes ``1 − reserve`` of the rate while it has rows
(``busy:<channel>``); each of the N live workers (their heartbeats, :mod:`bot.fleet`) may then
send ``rate × reserve ÷ N`` replies per second, and ``rate ÷ N`` while the sender is idle. So the
fleet never asks a platform for more than its limit, give or take one heartbeat (5 s) after a
broadcast starts. ``VOTEBOT_CONVERSATION_RESERVE=0`` leaves replies unlimited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from bot import fleet
from bot.db.models import utcnow
from bot.runtime import Runtime

from .ratelimit import ChannelLimiter

log = logging.getLogger(__name__)


class ReplyBudget:
    def __init__(self, rates: Mapping[str, float | None], reserve: float) -> None:
        self.rates, self.reserve = dict(rates), reserve
        self.shares: dict[str, float | None] = {}
        self.limiters: dict[str, ChannelLimiter] = {}
        self.update(1, {})

    def share(self, channel: str, workers: int, busy: bool) -> float | None:
        rate = self.rates.get(channel)
        if rate is None or self.reserve <= 0:
            return None
        return rate * (self.reserve if busy else 1.0) / max(1, workers)

    def update(self, workers: int, busy: Mapping[str, bool]) -> None:
        """Called by the heartbeat with the live workers and which senders are busy."""
        for channel in self.rates:
            share = self.share(channel, workers, busy.get(channel, False))
            if share != self.shares.get(channel, -1.0):
                self.shares[channel] = share
                if share is None:
                    self.limiters.pop(channel, None)
                else:
                    self.limiters[channel] = ChannelLimiter(share, headroom=1.0)

    async def acquire(self, channel: str, chat: str) -> None:
        limiter = self.limiters.get(channel)
        if limiter is not None:
            await limiter.acquire(chat)

    def pause(self, channel: str, seconds: float) -> None:
        limiter = self.limiters.get(channel)
        if limiter is not None:
            limiter.pause(seconds)


async def acquire(runtime: Runtime, channel: str, chat: str) -> None:
    """Wait for this worker's share of ``channel``'s budget (no wait if no budget is set)."""
    budget = getattr(runtime, "reply_budget", None)
    if isinstance(budget, ReplyBudget):
        await budget.acquire(channel, chat)


async def platform_paused(runtime: Runtime, channel: str, seconds: float) -> None:
    """The platform answered a conversation reply with "retry after ``seconds``".

    Replies and the fleet's sender draw on one limit, so both wait: this worker's replies (its
    share of the budget is paused) and the sender of every worker (the ``pause:<channel>`` lease
    the dispatcher honours before each batch). Sharing the pause is best effort: a database error
    is logged and the reply is retried all the same.
    """
    budget = getattr(runtime, "reply_budget", None)
    if isinstance(budget, ReplyBudget):
        budget.pause(channel, seconds)
    try:
        await fleet.pause(runtime.db, channel, utcnow() + timedelta(seconds=seconds))
    except Exception as exc:
        log.warning("could not share a %s pause with the fleet (%s)", channel, type(exc).__name__)
