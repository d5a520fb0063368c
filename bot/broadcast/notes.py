"""Sending notifications (bot.core.notifications) from the outbox: the channel's leader sends
the due ones first on each round, within the same budget as broadcasts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import and_, select

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

    async def send_due(self, channel: str, in_flight: set[asyncio.Task[None]]) -> int:
        """Send due notifications on ``channel`` first (time-sensitive); return how many were
        claimed, so a long queue of them (e.g. poll results) goes on at once, at the rate.

        A batch is claimed as for broadcasts (about two seconds of sending); consent is
        re-checked in one query per chunk of a tenth of a second, just before it is sent.
        """
        now = self.d.clock()
        async with self.d.db.transaction() as session:
            due = await outbox_repo.claim_notifications(
                session,
                channel=channel,
                limit=self.d.batch_sizes[channel],
                worker=self.d.worker_id,
                now=now,
                lease_until=now + self.d.lease,
            )
        step = self.d.recheck_sizes[channel]
        for start in range(0, len(due), step):
            chunk = due[start : start + step]
            allowed = await self.allowed_ids([r[0] for r in chunk])
            now = self.d.clock()
            for row_id, external_id, data, attempts, expires_at in chunk:
                row = Claimed(row_id, 0, 0, attempts)
                skip = None
                if expires_at is not None and now >= expires_at:
                    skip = bc.EXPIRED
                elif row_id not in allowed:
                    skip = "opted_out"
                if skip is not None:
                    values = {"status": SKIPPED, "error": skip}
                    outcome = Outcome(row, channel, external_id, values, notification=True)
                    self.d.writer.put(outcome)
                    continue
                await self.d.limiters[channel].acquire(external_id)
                await self.d.concurrency.acquire()
                task = asyncio.create_task(
                    self._send(
                        channel,
                        row,
                        external_id,
                        notifications.load_replies(data),
                        notifications.template_of(data),
                    )
                )
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        return len(due)

    async def allowed_ids(self, ids: list[int]) -> set[int]:
        """Which of these notifications may go now: a notice that names a consent goes only to
        a user who still holds it (one query per consent kind for the whole chunk)."""
        if not ids:
            return set()
        async with self.d.db.sessions() as session:
            kinds = dict(
                (
                    await session.execute(
                        select(Notification.id, Notification.consent).where(
                            Notification.id.in_(ids)
                        )
                    )
                ).all()
            )
            ok = {i for i, kind in kinds.items() if kind is None}
            for kind in {k for k in kinds.values() if k is not None}:
                stmt = (
                    select(Notification.id)
                    .join(
                        User,
                        and_(
                            User.channel == Notification.channel,
                            User.external_id == Notification.external_id,
                        ),
                    )
                    .where(
                        Notification.id.in_(ids),
                        Notification.consent == kind,
                        consent.sendable(kind),
                    )
                )
                ok.update((await session.scalars(stmt)).all())
            return ok

    async def _send(
        self,
        channel: str,
        row: Claimed,
        external_id: str,
        replies: list[Reply],
        template: tuple[str, dict[str, str]] | None = None,
    ) -> None:
        try:
            outcome = await self.d._deliver(
                channel, row, external_id, replies, broadcast=False, template=template
            )
        finally:
            self.d.concurrency.release()
        self.d.writer.put(outcome)
