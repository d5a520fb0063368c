"""The unanswered-questions queue: what the bot could not answer (or answered unhelpfully).

``unanswered_questions`` holds no user id: only the question scrubbed of NIKs, phone numbers,
emails and links (:func:`bot.core.privacy.scrub`), its language, the asker's kabupaten/kota if
they saved one, the day and why it is queued. Rows are deleted after 90 days.

``question_watchers`` is the only link to a person, and exists only when they tapped "Tell me
when there's an answer": it is deleted once they are told, after 30 days, or when they delete
their data.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, BigIntPK, utcnow

#: Why a question is queued.
UNANSWERED = "unanswered"
THUMBS_DOWN = "thumbs_down"
REASONS = (UNANSWERED, THUMBS_DOWN)
#: Longest question kept (characters, after scrubbing).
MAX_TEXT = 300


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The question as typed, scrubbed (see the module doc).
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    locale: Mapped[str] = mapped_column(String(16))
    #: The asker's kabupaten/kota, if they saved their area.
    kabupaten_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    #: The day only (WIB), never a time.
    asked_on: Mapped[date] = mapped_column(Date, index=True)
    #: ``unanswered`` or ``thumbs_down``.
    reason: Mapped[str] = mapped_column(String(16))
    #: For 👎: the FAQ entry (or page) whose answer did not help.
    answer_id: Mapped[str | None] = mapped_column(String(64))


class QuestionWatcher(Base):
    """Someone who asked to be told when ``question_id`` has an answer."""

    __tablename__ = "question_watchers"
    __table_args__ = (Index("ix_question_watchers_question_user", "question_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@register_eraser
async def erase_watchers(session: AsyncSession, user_id: int) -> None:
    from sqlalchemy import delete

    await session.execute(delete(QuestionWatcher).where(QuestionWatcher.user_id == user_id))
