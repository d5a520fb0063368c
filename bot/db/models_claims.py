"""Cek Fakta tables: unknown claims for the checkers, sightings for trends, who asked to be told,
and verdicts published from chat or the command line.

Nothing here links a forwarded text to a person except ``claim_followers``, a row that exists
only while someone who tapped "kabari aku" waits for the verdict (deleted once they are told,
after 30 days at the latest, and when they delete their data).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.privacy import register_eraser
from bot.db.models import Base, BigIntPK, utcnow

#: Status of an unknown claim in the checkers' queue.
OPEN, PUBLISHED, DISMISSED = "open", "published", "dismissed"


class ClaimReport(Base):
    """One unknown claim (near-duplicates grouped), scrubbed of personal data, with a count."""

    __tablename__ = "claim_reports"
    __table_args__ = (Index("ix_claim_reports_status_last", "status", "last_seen_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The forwarded text with NIKs, phone numbers, e-mails and forwarders' names removed.
    text: Mapped[str] = mapped_column(Text)
    #: Its normalised words (for grouping near-duplicates).
    words: Mapped[str] = mapped_column(String(600))
    #: Links in it, normalised without tracking parameters.
    urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    #: The published verdict's claim id once a checker published one.
    claim_id: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimSighting(Base):
    """A claim was forwarded to the bot: which (known claim id or queued report), when, where.

    No user id: the region is the sender's saved kabupaten/kota (and its province) if they chose
    to save one.
    """

    __tablename__ = "claim_sightings"
    __table_args__ = (Index("ix_claim_sightings_day_claim", "day", "claim_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    claim_id: Mapped[str | None] = mapped_column(String(64))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim_reports.id", ondelete="CASCADE"), index=True
    )
    province_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    kabupaten_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))


class ClaimFollower(Base):
    """Someone tapped "kabari aku" on an unknown claim: tell them the verdict once."""

    __tablename__ = "claim_followers"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("claim_reports.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PublishedClaim(Base):
    """A verdict a checker published; every worker matches against it at once.

    ``votebot claims export`` writes it as a claims content file for the team to review in git.
    """

    __tablename__ = "published_claims"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim_reports.id", ondelete="SET NULL")
    )
    locale: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(60))
    verdict: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    #: [{"title": ..., "url": ...}]
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    checked: Mapped[date] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(96))
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


async def erase_followers(session: AsyncSession, user_id: int) -> None:
    """/hapus: forget that the user waits for any verdict."""
    await session.execute(delete(ClaimFollower).where(ClaimFollower.user_id == user_id))


register_eraser(erase_followers)
