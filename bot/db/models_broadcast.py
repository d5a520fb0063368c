"""Broadcasts: the messages, their durable outbox (one row per recipient), notifications, the
fleet's leases, the audit log and the admins' dashboard login tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, BigIntPK, utcnow

#: Broadcast statuses. ``queued`` waits for its time (``scheduled_at``) or for a dispatcher.
AWAITING_APPROVAL = "awaiting_approval"
QUEUED = "queued"
SENDING = "sending"
PAUSED = "paused"
CANCELLED = "cancelled"
FINISHED = "finished"
BROADCAST_STATUSES = (AWAITING_APPROVAL, QUEUED, SENDING, PAUSED, CANCELLED, FINISHED)

#: Outbox row statuses.
PENDING, CLAIMED, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"


class Broadcast(Base):
    """A message to a segment of opted-in users, with its lifecycle."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The broadcast file's id (``content/broadcasts/<id>.md``), or None when written in chat.
    content_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    #: locale → Markdown text (sources already appended for file broadcasts).
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The segment expression as written (see bot.core.segments).
    segment: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: Recipients queued in the outbox when it was created.
    audience: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: ``CHANNEL:ID`` of whoever created it, or ``cli``.
    created_by: Mapped[str] = mapped_column(String(96))
    approved_by: Mapped[str | None] = mapped_column(String(96))
    scheduled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    #: The last progress step (25, 50, 75, 100) reported to the creator in chat.
    notified_pct: Mapped[int] = mapped_column(Integer, default=0)
    #: The consent each recipient must hold when their row is sent (bot.core.consent).
    consent: Mapped[str] = mapped_column(
        String(32), default="broadcasts", server_default="broadcasts"
    )
    #: No row is sent at or after this time; rows left then are skipped as ``expired``.
    expires_at: Mapped[datetime | None] = mapped_column()
    #: True: ``expires_at`` is a wall-clock time in each recipient's own time zone (stored as
    #: that wall time in UTC), e.g. midnight before voting day wherever the recipient lives.
    expires_local: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OutboxRow(Base):
    """One recipient of one broadcast. Dispatchers claim rows (status ``sending`` with a lease)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        Index("ix_outbox_claim", "channel", "status", "next_attempt_at"),
        Index("ix_outbox_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    #: pending, sending (claimed), sent, failed or skipped.
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    #: Why it failed or was skipped (``blocked``, ``opted_out``, a platform error), or why it is
    #: held while pending (``quiet_hours``, ``quiet_period``).
    error: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column()
    #: The platform's id of the message sent, when the channel returns one (WhatsApp statuses).
    message_id: Mapped[str | None] = mapped_column(String(128), index=True)


class Notification(Base):
    """One message to one chat outside a conversation (e.g. admins about a new report), written
    in the same transaction as what caused it and sent by the fleet's sender for its channel."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_claim", "channel", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    #: The replies as plain data (bot.core.notifications.dump_replies).
    replies: Mapped[list[Any]] = mapped_column(JSON)
    #: The consent the recipient must hold when it is sent (bot.core.consent), or None for
    #: messages to the team (a new report, an approval request, a broadcast's progress).
    consent: Mapped[str | None] = mapped_column(String(32))
    #: pending, sending (claimed), sent, failed or skipped, as for outbox rows.
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


class FleetLease(Base):
    """A named lease held by one worker until ``expires_at``: the sender of a channel
    (``dispatch:telegram``), a singleton job (``reminders``), a worker's heartbeat
    (``worker:<id>``) or a fleet-wide pause (``pause:telegram``)."""

    __tablename__ = "fleet_leases"

    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """Who did what: every role change and every broadcast action."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: ``CHANNEL:ID`` of the person, ``cli`` or ``system``.
    actor: Mapped[str] = mapped_column(String(96))
    action: Mapped[str] = mapped_column(String(32), index=True)
    #: ``CHANNEL:ID`` of a user, ``broadcast:ID``, ...
    target: Mapped[str] = mapped_column(String(96))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AdminToken(Base):
    """A dashboard login token for one admin; only its SHA-256 hash is stored."""

    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
