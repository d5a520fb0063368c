"""Dashboard sessions and login throttling, both kept in the database so every worker agrees.

- A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
  admin it belongs to and when it ends. Logout deletes the row, so a copied cookie stops working
  at once; revoking an admin's role deletes all of that admin's rows (:func:`end_sessions_of`);
  changing ``VOTEBOT_ADMIN_TOKEN`` ends every session opened with the old token.
- Failed logins are counted per client (a keyed hash of its address, never the address) over a
  sliding window; past :data:`MAX_FAILURES` the login answers 429 until the window moves on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import utcnow
from bot.db.models_admin import AdminSession, LoginFailure

SESSION_SECONDS = 12 * 3600
#: Failed logins allowed per client within :data:`FAILURE_WINDOW` before logins answer 429.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(key: bytes, admin_token: str | None) -> str:
    """Which shared admin token opened a session (keyed, so the table does not reveal it)."""
    if not admin_token:
        return ""
    return hmac.new(key, admin_token.encode(), hashlib.sha256).hexdigest()


async def open_session(
    session: AsyncSession, admin: str, token_fingerprint: str, now: datetime | None = None
) -> str:
    """Store a new session for ``admin``; return the cookie value."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(
        AdminSession(
            token_hash=_hash(token),
            admin=admin,
            token_fingerprint=token_fingerprint,
            created_at=now,
            expires_at=now + timedelta(seconds=SESSION_SECONDS),
        )
    )
    return token


async def find_session(session: AsyncSession, token: str | None) -> AdminSession | None:
    """The live session behind a cookie value, or None (unknown, ended or expired)."""
    if not token or len(token) > 128:
        return None
    row = await session.get(AdminSession, _hash(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(AdminSession).where(AdminSession.token_hash == _hash(token)))


async def end_sessions_of(session: AsyncSession, admin: str) -> None:
    """End every session of one admin (``user:<id>``), e.g. when their role is revoked."""
    await session.execute(delete(AdminSession).where(AdminSession.admin == admin))


async def forget_expired(session: AsyncSession, now: datetime | None = None) -> None:
    """Housekeeping: drop ended sessions and failures older than the throttle window."""
    now = now or utcnow()
    await session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    await session.execute(
        delete(LoginFailure).where(LoginFailure.created_at < now - FAILURE_WINDOW)
    )


def client_key(key: bytes, address: str) -> str:
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


async def too_many_failures(session: AsyncSession, client: str) -> bool:
    since = utcnow() - FAILURE_WINDOW
    count = await session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.client == client, LoginFailure.created_at >= since)
    )
    return int(count or 0) >= MAX_FAILURES


async def record_failure(session: AsyncSession, client: str) -> None:
    session.add(LoginFailure(client=client, created_at=utcnow()))
