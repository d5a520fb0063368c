"""Quiz attempts, their answers and each user's quiz preferences (leaderboard opt-in)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, BigIntPK, utcnow


class QuizAttempt(Base):
    """One run through a quiz (``full``) or through the questions missed before (``missed``).

    The question order and each question's shuffled option order are fixed when the attempt
    starts and stored, so a quiz resumes exactly where it stopped, after hours or a restart.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),
        Index("ix_quiz_attempts_quiz_status_score", "quiz_id", "status", "score"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[str] = mapped_column(String(64))
    #: ``full`` or ``missed`` (only the questions missed in ``parent_id``).
    mode: Mapped[str] = mapped_column(String(8))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="SET NULL")
    )
    #: ``active``, ``completed`` or ``abandoned`` (the user started the quiz over).
    status: Mapped[str] = mapped_column(String(12), default="active")
    #: Question ids in the order they are asked.
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    #: For each question (same order), the original option indexes in the order shown.
    option_orders: Mapped[list[list[int]]] = mapped_column(JSON)
    #: How many questions are answered; the next one to ask is ``question_ids[position]``.
    position: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the current question was last shown (to measure the seconds an answer took).
    question_shown_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class QuizAnswer(Base):
    """One answer. The unique constraint makes a double tap count once, even across workers."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    #: The chosen option's index in the quiz file (not its shuffled position).
    option: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    seconds: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizProfile(Base):
    """A user's quiz choices: whether they appear on leaderboards, and their certificate."""

    __tablename__ = "quiz_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``None`` until asked; then the user's answer (shown as ``users.display_name``).
    leaderboard: Mapped[bool | None] = mapped_column(Boolean)
    certificate_issued_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
