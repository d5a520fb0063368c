"""The dispatcher as a background service of ``votebot serve`` (``SERVICES`` in bot/server.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot import fleet
from bot.broadcast.budget import ReplyBudget
from bot.broadcast.dispatcher import Dispatcher, default_rates
from bot.channels.base import Channel
from bot.runtime import Runtime

log = logging.getLogger(__name__)


class DispatcherService:
    """The outbox's sender (leading the fleet for a channel when it holds its lease), this
    worker's heartbeat, and its share of each platform's budget for conversation replies."""

    def __init__(self, runtime: Runtime, channels: Sequence[Channel]) -> None:
        self.dispatcher = Dispatcher(runtime, {c.name: c for c in channels})
        names = list(self.dispatcher.channels)
        rates = {name: default_rates(runtime.settings).get(name, (None, None))[0] for name in names}
        self.budget = ReplyBudget(rates, runtime.settings.conversation_reserve)
        runtime.reply_budget = self.budget
        self.heartbeat = fleet.Heartbeat(runtime.db, fleet.PROCESS_ID, names)
        self.heartbeat.listeners.append(self.budget.update)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.heartbeat.start()
        self._task = asyncio.create_task(self._run(), name="broadcast-dispatcher")
        log.info("broadcast dispatcher started for %s", ", ".join(self.dispatcher.channels))

    async def _run(self) -> None:
        while not self.dispatcher.stopped:
            try:
                await self.dispatcher.run()
                return
            except Exception:
                log.exception("the broadcast dispatcher failed; restarting in 5 s")
                await self.dispatcher.idle(5)

    async def stop(self) -> None:
        self.dispatcher.stop()
        if self._task is not None:
            await self._task
        await self.heartbeat.stop()


def create_service(runtime: Runtime, channels: Sequence[Channel]) -> DispatcherService | None:
    if not channels:
        return None
    if runtime.settings.quiet_period_hold:
        from bot.broadcast.reminders import quiet_period_rule
        from bot.core.broadcasts import HOLD_RULES

        HOLD_RULES.append(quiet_period_rule(runtime))
        log.info("broadcasts are held during election quiet periods (VOTEBOT_QUIET_PERIOD_HOLD)")
    return DispatcherService(runtime, channels)
