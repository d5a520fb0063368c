"""Sending notifications (bot.core.notifications) from the outbox: the channel's leader sends
the due ones first on each round, within the same budget as broadcasts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.core import broadcasts as bc
from bot.core import consent, notifications
from bot.core.replies import Reply
from bot.db import outbox_repo
from bot.db.models import User
from bot.db.models_broadcast import SKIPPED, Notification
from bot.db.outbox_repo import Claimed

from .outcomes import Outcome

if TYPE_CHECKING:
    from .dispatcher import Dispatcher


class NotificationSender:
    """Sends a dispatcher's due notifications with its channels, limiters and result writer."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.d = dispatcher

    async def send_due(self, channel: str, in_flight: set[asyncio.Task[None]]) -> None:
        """Send due notifications on ``channel`` first (they are few and time-sensitive)."""
        now = self.d.clock()
        async with self.d.db.transaction() as session:
            due = await outbox_repo.claim_notifications(
                session,
                channel=channel,
                limit=self.d.recheck_sizes[channel],
                worker=self.d.worker_id,
                now=now,
                lease_until=now + self.d.lease,
            )
        for row_id, external_id, data, attempts, expires_at in due:
            row = Claimed(row_id, 0, 0, attempts)
            skip = None
            if expires_at is not None and now >= expires_at:
                skip = bc.EXPIRED
            elif not await self.allowed(row_id, channel, external_id):
                skip = "opted_out"
            if skip is not None:
                values = {"status": SKIPPED, "error": skip}
                self.d.writer.put(Outcome(row, channel, external_id, values, notification=True))
                continue
            await self.d.limiters[channel].acquire(external_id)
            await self.d.concurrency.acquire()
            task = asyncio.create_task(
                self._send(channel, row, external_id, notifications.load_replies(data))
            )
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    async def allowed(self, row_id: int, channel: str, external_id: str) -> bool:
        """A notice that names a consent goes only to a user who still holds it."""
        async with self.d.db.sessions() as session:
            kind = await session.scalar(
                select(Notification.consent).where(Notification.id == row_id)
            )
            if kind is None:
                return True
            user_id = await session.scalar(
                select(User.id).where(User.channel == channel, User.external_id == external_id)
            )
            return user_id is not None and await consent.may_send(session, user_id, kind)

    async def _send(
        self, channel: str, row: Claimed, external_id: str, replies: list[Reply]
    ) -> None:
        try:
            outcome = await self.d._deliver(channel, row, external_id, replies, broadcast=False)
        finally:
            self.d.concurrency.release()
        self.d.writer.put(outcome)
