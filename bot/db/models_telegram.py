"""Telegram tables: the native quiz polls we sent, so their answers map back to button payloads.

A ``poll_answer`` update names only the poll and the chosen option, and may arrive after a
restart; this row says whose poll it was and which payload each option stands for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, User, utcnow


class TelegramPoll(Base):
    __tablename__ = "telegram_polls"

    #: Telegram's poll id.
    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    #: The Telegram user id the question was asked of; only their answer counts.
    user_id: Mapped[str] = mapped_column(String(32))
    #: The button payload of each option, in order (``qa:<attempt>:<index>:<option>``).
    payloads: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


async def erase_telegram_polls(session: AsyncSession, user_id: int) -> None:
    """Delete the quiz polls sent to a Telegram user (they carry the user's and chat's ids)."""
    user = await session.get(User, user_id)
    if user is None or user.channel != "telegram":
        return
    await session.execute(delete(TelegramPoll).where(TelegramPoll.user_id == user.external_id))


register_eraser(erase_telegram_polls)
