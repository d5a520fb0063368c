"""Tables against money politics: pledges, referrals, reports and reminder opt-ins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, LargeBinary, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, BigIntPK, User, utcnow

#: Kinds of referral code: handed out by ``votebot referral create`` or a user's personal one.
REFERRAL_KINDS = ("volunteer", "school", "user")


class Pledge(Base):
    """One row per user who ever signed; ``withdrawn_at`` is set while the signature is withdrawn.

    The unique ``user_id`` makes signing twice impossible to count twice.
    """

    __tablename__ = "pledges"
    __table_args__ = (Index("ix_pledges_kabupaten_withdrawn", "kabupaten_id", "withdrawn_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: The kabupaten/kota the signer chose (or that of their saved area), for regional counts.
    kabupaten_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column()


class ReferralCode(Base):
    """A code that brings users: a volunteer's, a school's, or a user's personal one."""

    __tablename__ = "referral_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: Upper case, ``A-Z 0-9 _ -``; matched case-insensitively.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    #: ``volunteer``, ``school`` or ``user``.
    kind: Mapped[str] = mapped_column(String(16))
    #: The owner of a personal (``user``) code.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserReferral(Base):
    """Who brought a user: the first code they arrived with (first touch only)."""

    __tablename__ = "user_referrals"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    code_id: Mapped[int] = mapped_column(
        ForeignKey("referral_codes.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A money-politics report made with ``/lapor``. Deliberately not linked to any user.

    Without consent only the anonymous record is kept (category, kabupaten/kota, date); with the
    reporter's explicit consent also ``details`` (what they typed) and the photo, whose metadata
    was stripped before it got here.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: ``money`` (money or goods given), ``promise`` or ``other`` (mahar politik, other).
    category: Mapped[str] = mapped_column(String(16))
    kabupaten_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="SET NULL"), index=True
    )
    #: The day the report was made (UTC), no time of day.
    reported_on: Mapped[date] = mapped_column(Date, index=True)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Only with consent: what, when, where, who, evidence, as the reporter wrote them.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Only with consent: the photo re-encoded as JPEG from its pixels (no EXIF, no GPS).
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)


class ReminderOptIn(Base):
    """A user asked for a reminder (``voting_day``: the evening before and the morning of).

    The broadcast engine sends these to users who are also ``opted_in`` and ``reachable``.
    """

    __tablename__ = "reminder_opt_ins"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True, default="voting_day")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def withdraw_pledge_of_deleted_user(session: AsyncSession, user_id: int) -> None:
    """Deleting one's data withdraws a standing pledge: logged (without any id) like a withdrawal,
    so "net pledges" and every standing figure drop the person while "signed" stays history."""
    from bot.db import repo

    pledge = await session.scalar(
        select(Pledge).where(Pledge.user_id == user_id, Pledge.withdrawn_at.is_(None))
    )
    user = await session.get(User, user_id)
    if pledge is None or user is None:
        return
    await repo.log_event(
        session,
        user_id=None,
        channel=user.channel,
        event_type="pledge",
        name="pledge_withdrawn",
        properties={"reason": "deleted"},
    )


register_eraser(withdraw_pledge_of_deleted_user)
