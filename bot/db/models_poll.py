"""Suara Muda polls: the poll, each respondent (with the region, channel, locale and age band
the results are broken down by), their answers, open answers (unlinked when the poll closes) and
the age band a user chose to give (asked once, optional; never a birth date)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, BigIntPK, utcnow

RegionId = BigInteger().with_variant(Integer(), "sqlite")

#: Poll statuses; "open" is derived: approved and ``opens_at <= now < closes_at``.
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
CLOSED = "closed"
CANCELLED = "cancelled"
POLL_STATUSES = (AWAITING_APPROVAL, APPROVED, CLOSED, CANCELLED)


class Poll(Base):
    """One poll: its definition (from ``content/polls/<id>.md``), schedule and lifecycle."""

    __tablename__ = "polls"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    #: The parsed definition (bot.core.polls.spec.PollSpec.as_data): questions, texts, sources.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Who is invited (bot.core.segments); anyone may still open it from the menu.
    segment: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    opens_at: Mapped[datetime] = mapped_column()
    closes_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(96))
    approved_by: Mapped[str | None] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    #: The invitation broadcast (queued when the poll opens), if any.
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    #: How many "your area's result" messages were queued at close.
    results_queued: Mapped[int] = mapped_column(Integer, default=0)


class PollRespondent(Base):
    """One person answering one poll, with the dimensions the results are broken down by,
    copied when they start (a later move does not change a closed poll's figures)."""

    __tablename__ = "poll_respondents"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    poll_id: Mapped[str] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    province_id: Mapped[int | None] = mapped_column(RegionId)
    kabupaten_id: Mapped[int | None] = mapped_column(RegionId)
    #: 17-20, 21-25, 26-30, 30+ or None (not given).
    age_band: Mapped[str | None] = mapped_column(String(8))
    #: The answer to "mau dikabari hasilnya?": None until asked.
    notify: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    #: When their result message was queued (at most once).
    notified_at: Mapped[datetime | None] = mapped_column()


class PollAnswer(Base):
    """One answer to one question: an option index, a 1-5 value, or a bit mask of options
    (multiple choice); ``value`` None with ``skipped`` for a skipped question.

    The respondent's dimensions are copied here so that every result table is read from two
    covering indexes in index order, without a join or a sort (200,000 respondents in ~1 s).
    """

    __tablename__ = "poll_answers"
    __table_args__ = (
        UniqueConstraint("respondent_id", "question"),
        Index(
            "ix_poll_answers_region", "poll_id", "question", "value", "province_id", "kabupaten_id"
        ),
        Index(
            "ix_poll_answers_profile",
            "poll_id",
            "question",
            "value",
            "channel",
            "locale",
            "age_band",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    respondent_id: Mapped[int] = mapped_column(
        ForeignKey("poll_respondents.id", ondelete="CASCADE")
    )
    poll_id: Mapped[str] = mapped_column(String(48))
    question: Mapped[int] = mapped_column(Integer)
    value: Mapped[int | None] = mapped_column(Integer)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    province_id: Mapped[int | None] = mapped_column(RegionId)
    kabupaten_id: Mapped[int | None] = mapped_column(RegionId)
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(8))


class PollOpenAnswer(Base):
    """A short open answer, scrubbed of NIKs, phone numbers, e-mail addresses and links when
    written; ``respondent_id`` is cleared when the poll closes, so it links to nobody. Only its
    ``theme`` (assigned by an admin) is ever counted in public."""

    __tablename__ = "poll_open_answers"
    __table_args__ = (
        UniqueConstraint("respondent_id", "question"),
        Index("ix_poll_open_answers_poll_question", "poll_id", "question"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("poll_respondents.id", ondelete="CASCADE")
    )
    poll_id: Mapped[str] = mapped_column(String(48))
    question: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str | None] = mapped_column(String(64))


class AgeBand(Base):
    """The age band a user chose to give (or declined: ``band`` None), asked once."""

    __tablename__ = "user_age_bands"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[str | None] = mapped_column(String(8))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)


async def erase_poll_rows(session: AsyncSession, user_id: int) -> None:
    """A deleted user's answers leave every result. Open answers of closed polls are already
    unlinked (they belong to nobody and are only ever counted by theme), so they stay."""
    ids = select(PollRespondent.id).where(PollRespondent.user_id == user_id)
    await session.execute(delete(PollAnswer).where(PollAnswer.respondent_id.in_(ids)))
    await session.execute(delete(PollOpenAnswer).where(PollOpenAnswer.respondent_id.in_(ids)))
    await session.execute(delete(PollRespondent).where(PollRespondent.user_id == user_id))
    await session.execute(delete(AgeBand).where(AgeBand.user_id == user_id))


register_eraser(erase_poll_rows)
