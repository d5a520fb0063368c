"""One-recipient sends through the broadcast outbox.

For messages the system sends on its own, e.g. the answer to a question someone asked to be told
about. Like any broadcast the message goes out through the dispatcher: at the channel's rate,
outside quiet hours (and held rules such as a quiet period), only while the user is opted in and
reachable, and on WhatsApp outside the 24-hour window only as the approved update template.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.broadcasts import BroadcastError
from bot.core.roles import SYSTEM_ACTOR, audit
from bot.db.models import User, utcnow
from bot.db.models_broadcast import PENDING, QUEUED, Broadcast, OutboxRow

#: The segment column of a one-recipient send.
DIRECT_SEGMENT = "direct"


async def create_direct(
    session: AsyncSession,
    *,
    user: User,
    texts: dict[str, str],
    title: str,
    content_id: str | None = None,
    now: datetime | None = None,
) -> Broadcast:
    """Queue ``texts`` (locale → Markdown) to ``user``, a broadcast of one; the caller commits."""
    if not any(t.strip() for t in texts.values()):
        raise BroadcastError("the message is empty")
    now = now or utcnow()
    broadcast = Broadcast(
        content_id=content_id,
        title=title[:120],
        texts=texts,
        segment=DIRECT_SEGMENT,
        status=QUEUED,
        audience=1,
        created_by_id=None,
        created_by=SYSTEM_ACTOR,
        created_at=now,
        notified_pct=0,
    )
    session.add(broadcast)
    await session.flush()
    session.add(
        OutboxRow(
            broadcast_id=broadcast.id,
            user_id=user.id,
            channel=user.channel,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
        )
    )
    await audit(
        session, SYSTEM_ACTOR, "broadcast_create", f"broadcast:{broadcast.id}", via="direct"
    )
    return broadcast
