"""Broadcast experiments: variants of one message and a holdout, and who was in which arm.

Assignments are per user id and never leave the database (exports pseudonymise); they go with
the user when the user deletes their data (the eraser below), so a deleted user leaves the
analysis.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, BigIntPK, utcnow

#: The arm that receives nothing.
HOLDOUT = "holdout"


class Experiment(Base):
    """Variants of a broadcast sent to random parts of a segment, and a holdout that gets none."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str] = mapped_column(String(500))
    #: The seed of the assignment: the same seed and recipients give the same arms.
    seed: Mapped[int] = mapped_column(BigInteger)
    #: Share of the segment held back (0 to 0.9).
    holdout: Mapped[float] = mapped_column(Float)
    #: [{"arm": "A", "broadcast_id": 12, "content_id": "cek-dpt-a", "title": ...}, ...]
    arms: Mapped[list[Any]] = mapped_column(JSON)
    #: Outcome names (bot.experiments.outcomes.OUTCOMES), chosen when it is created.
    outcomes: Mapped[list[Any]] = mapped_column(JSON)
    #: Each user's window: this many days from their scheduled send time.
    window_days: Mapped[int] = mapped_column(Integer)
    #: The smallest change worth finding, in percentage points (sample size, too-small warning).
    min_effect: Mapped[float] = mapped_column(Float, default=5.0)
    #: Where the link button of the ``link`` outcome leads (through the redirect), if any.
    link_url: Mapped[str | None] = mapped_column(String(500))
    #: The planned start (the broadcasts' not-before time, or their creation).
    starts_at: Mapped[datetime] = mapped_column()
    #: When the last user's window closes: before this the verdict is only provisional.
    ends_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExperimentAssignment(Base):
    """One recipient's arm and their outcome window."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        Index("ix_experiment_assignments_arm", "experiment_id", "arm"),
        #: Link taps are few: the link outcome reads them without scanning every assignment.
        Index("ix_experiment_assignments_tapped", "experiment_id", "link_tapped_at"),
    )

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: ``A``, ``B``, ... or ``holdout``.
    arm: Mapped[str] = mapped_column(String(16))
    #: The arm's broadcast (None for the holdout).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    #: When the message is due for this user (quiet hours applied), holdout included.
    send_at: Mapped[datetime] = mapped_column()
    #: The end of the user's outcome window (``send_at`` + the experiment's days).
    until: Mapped[datetime] = mapped_column()
    #: Random id in the link button's redirect address (``/r/<token>``), if there is a link.
    token: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: The first tap on the link button (through the redirect).
    link_tapped_at: Mapped[datetime | None] = mapped_column()


@register_eraser
async def erase_assignments(session: AsyncSession, user_id: int) -> None:
    """A deleted user leaves every experiment's analysis."""
    await session.execute(
        delete(ExperimentAssignment).where(ExperimentAssignment.user_id == user_id)
    )
