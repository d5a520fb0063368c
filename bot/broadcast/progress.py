"""Finishing broadcasts and telling their creators how it goes (25, 50, 75 and 100 %).

Both happen exactly once across workers: a guarded ``UPDATE`` decides who finishes a broadcast or
reports a step, and the note to the creator is queued as a notification in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update

from bot.core import broadcast_stats as bstats
from bot.core import notifications
from bot.core.events import UserRef
from bot.core.replies import Reply
from bot.core.roles import SYSTEM_ACTOR, audit
from bot.db import outbox_repo, repo
from bot.db.models import User
from bot.db.models_broadcast import FINISHED, Broadcast
from bot.runtime import Runtime

PROGRESS_STEPS = (25, 50, 75, 100)


async def finish_done(
    runtime: Runtime, now: Callable[[], datetime], broadcast_id: int | None = None
) -> list[int]:
    """Mark sending broadcasts with nothing left as finished (exactly once across workers)."""
    async with runtime.db.sessions() as session:
        candidates = await outbox_repo.finish_candidates(session, broadcast_id)
    finished = []
    for bid in candidates:
        async with runtime.db.transaction() as session:
            if not await outbox_repo.mark_finished(session, bid, now()):
                continue
            stats = await bstats.broadcast_stats(session, bid, receipts=False)
            figures = {
                "broadcast_id": bid,
                "sent": stats.sent,
                "failed": stats.failed_total,
                "blocked": stats.blocked,
            }
            await repo.log_event(
                session,
                user_id=None,
                channel="system",
                event_type="broadcast",
                name="broadcast_finished",
                properties=figures,
            )
            await audit(session, SYSTEM_ACTOR, "broadcast_finish", f"broadcast:{bid}", **figures)
        finished.append(bid)
        await report_progress(runtime, bid, now())
    return finished


async def report_progress(runtime: Runtime, broadcast_id: int, now: datetime) -> None:
    """Queue a note to the volunteer who created it in chat when it passes the next step."""
    async with runtime.db.transaction() as session:
        b = await session.get(Broadcast, broadcast_id)
        if b is None or b.created_by_id is None:
            return
        stats = await bstats.broadcast_stats(session, broadcast_id, receipts=False)
        if stats.total == 0:
            pct = 100 if b.status == FINISHED else 0
        else:
            pct = 100 if b.status == FINISHED else int(100 * stats.done / stats.total)
        step = max((s for s in PROGRESS_STEPS if s <= pct), default=0)
        if step == 100 and b.status != FINISHED:
            step = 75
        if step <= b.notified_pct:
            return
        result = await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.notified_pct < step)
            .values(notified_pct=step)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return
        creator = await session.get(User, b.created_by_id)
        if creator is None or not creator.reachable:
            return
        core = runtime.core
        t = core.translator(core.user_locale(creator.locale, creator.language_code))
        replies = [Reply(bstats.progress_text(t, b, stats, step))]
        await notifications.enqueue(
            session, UserRef(creator.channel, creator.external_id), replies, now
        )
