"""Dashboard sessions kept server-side (so logout and revocation end them at once) and failed
logins (so guessing tokens is throttled across every worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, BigIntPK, utcnow


class AdminSession(Base):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``admin`` (the shared ``VOTEBOT_ADMIN_TOKEN``) or ``user:<id>`` (a per-admin token).
    admin: Mapped[str] = mapped_column(String(96), index=True)
    #: For ``admin``: a fingerprint of the token used, so changing the token ends its sessions.
    token_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginFailure(Base):
    """A failed dashboard login, by a keyed hash of the client address (never the address)."""

    __tablename__ = "admin_login_failures"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
