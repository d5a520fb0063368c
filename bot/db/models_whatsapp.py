"""WhatsApp tables: the delivery status of every message we sent, and long option lists.

``whatsapp_messages`` is keyed by the id the Graph API gives each outbound message (``wamid.…``)
and follows the ``statuses`` webhooks (sent → delivered → read, or failed with an error code), so
a broadcast can count how many of its messages arrived and were read.

``whatsapp_option_pages`` keeps the one long option list (more than ten choices) a user is paging
through, so a "more" press works on any worker and after a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, User, utcnow


class WhatsAppMessage(Base):
    __tablename__ = "whatsapp_messages"

    #: The Graph API's message id (``wamid.…``).
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The recipient's WhatsApp id (``users.external_id`` of a ``whatsapp`` user).
    wa_id: Mapped[str] = mapped_column(String(64), index=True)
    #: What we sent: ``text``, ``interactive``, ``image``, ``template`` (``unknown`` when a status
    #: arrives for a message this database did not send).
    kind: Mapped[str] = mapped_column(String(16))
    #: The template id (our content id) for template messages.
    template: Mapped[str | None] = mapped_column(String(64))
    #: ``accepted`` (by the API), then ``sent``, ``delivered``, ``read`` or ``failed``.
    status: Mapped[str] = mapped_column(String(16), index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhatsAppOptionPage(Base):
    __tablename__ = "whatsapp_option_pages"

    wa_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Changes with every new long list, so a "more" press on an older list is recognised as stale.
    token: Mapped[str] = mapped_column(String(16))
    #: The message body (WhatsApp-formatted) shown above every page.
    text: Mapped[str] = mapped_column(Text)
    #: ``[[label, payload], …]`` in order.
    options: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def erase_whatsapp_rows(session: AsyncSession, user_id: int) -> None:
    """Delete what these tables keep about a WhatsApp user (keyed by their phone number)."""
    user = await session.get(User, user_id)
    if user is None or user.channel != "whatsapp":
        return
    for table in (WhatsAppMessage, WhatsAppOptionPage):
        await session.execute(delete(table).where(table.wa_id == user.external_id))


register_eraser(erase_whatsapp_rows)


async def broadcast_receipts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many of a broadcast's WhatsApp messages were delivered and read (from statuses)."""
    from bot.db.models_broadcast import OutboxRow as Outbox

    rows = await session.execute(
        select(WhatsAppMessage.status, func.count())
        .join(Outbox, Outbox.message_id == WhatsAppMessage.message_id)
        .where(Outbox.broadcast_id == broadcast_id)
        .group_by(WhatsAppMessage.status)
    )
    counts = {status: int(n) for status, n in rows.all()}
    read = counts.get("read", 0)
    return {"delivered": counts.get("delivered", 0) + read, "read": read}


def _register_receipts() -> None:
    from bot.core.broadcast_stats import STATUS_SOURCES

    if broadcast_receipts not in STATUS_SOURCES:
        STATUS_SOURCES.append(broadcast_receipts)


_register_receipts()
