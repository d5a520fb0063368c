"""Opens and closes polls on time, once per fleet: a poll's invitation is queued when it opens,
and when it closes its open answers are unlinked and the result messages are queued."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core.polls import closing
from bot.db.models import utcnow
from bot.periodic import PeriodicService
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0


async def run_due(runtime: Runtime, now: datetime) -> tuple[list[str], dict[str, int]]:
    """Invite every poll that opened, close every poll past its time: (invited, closed → queued)."""
    async with runtime.db.transaction() as session:
        invited = await closing.invite_due(session, runtime.settings, now)
        due = await closing.due_to_close(session, now)
    closed = {}
    for poll_id in due:
        async with runtime.db.transaction() as session:
            closed[poll_id] = await closing.close_poll(
                session, runtime.settings, poll_id, now, runtime.core.translator
            )
        log.info("poll %s closed: %d result messages queued", poll_id, closed[poll_id])
    for poll_id in invited:
        log.info("poll %s opened: invitation queued", poll_id)
    return invited, closed


class PollService(PeriodicService):
    name = "polls"
    singleton = "polls"

    def __init__(self, runtime: Runtime, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(CHECK_SECONDS)
        self.runtime, self.clock = runtime, clock
        self.db = runtime.db

    async def run_once(self) -> object:
        return await run_due(self.runtime, self.clock())


def create_service(runtime: Runtime, channels: Sequence[object]) -> PollService | None:
    return PollService(runtime) if channels else None
