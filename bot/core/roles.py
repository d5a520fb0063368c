"""Roles (admin, volunteer, checker), the audit log and the admins' dashboard login tokens.

The dashboard verifies a token with :func:`verify_admin_token`; only a token's SHA-256 hash is
stored, so a leaked database does not leak working logins.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.events import UserRef
from bot.db import repo
from bot.db.models import User, utcnow
from bot.db.models_admin import AdminSession
from bot.db.models_broadcast import AdminToken, AuditEntry

log = logging.getLogger(__name__)

ADMIN, VOLUNTEER, CHECKER = "admin", "volunteer", "checker"
#: Checkers review unknown claims and publish verdicts (``/periksa``); they cannot broadcast.
ROLES = (ADMIN, VOLUNTEER, CHECKER)
#: The actor recorded for changes made on the command line.
CLI_ACTOR = "cli"
SYSTEM_ACTOR = "system"


def actor_of(user: User | None) -> str:
    return f"{user.channel}:{user.external_id}" if user is not None else CLI_ACTOR


def can_broadcast(user: User) -> bool:
    return user.role in (ADMIN, VOLUNTEER)


def can_check(user: User) -> bool:
    """Whether ``user`` may review unknown claims and publish verdicts."""
    return user.role in (ADMIN, CHECKER)


async def audit(
    session: AsyncSession, actor: str, action: str, target: str, **details: Any
) -> None:
    """Append one row to the audit log (the caller commits)."""
    session.add(
        AuditEntry(
            actor=actor[:96],
            action=action[:32],
            target=target[:96],
            details=details,
            created_at=utcnow(),
        )
    )


async def set_role(
    session: AsyncSession, ref: UserRef, role: str | None, *, actor: str = CLI_ACTOR
) -> tuple[User, str | None]:
    """Give ``ref`` a role (None revokes); the user is created if they never wrote to the bot.

    Returns the user and their previous role. Every change is written to the audit log.
    """
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use {', '.join(ROLES)}")
    user, _ = await repo.get_or_create_user(session, ref)
    before = user.role
    if before != role:
        user.role = role
        action = "role_revoke" if role is None else "role_grant"
        await audit(session, actor, action, str(ref), role=role, previous=before)
        if role != ADMIN:
            await revoke_tokens(session, user)
    return user, before


async def apply_admins(session: AsyncSession, refs: Iterable[UserRef]) -> list[UserRef]:
    """Give the admin role to every ``VOTEBOT_ADMINS`` entry that lacks it; return those changed.

    A role revoked on purpose (``votebot role revoke``, logged in the audit log) wins over the
    variable: that entry is skipped with a warning until someone grants the role again.
    """
    changed = []
    for ref in refs:
        if await _revoked_since_last_grant(session, str(ref)):
            log.warning(
                "VOTEBOT_ADMINS lists %s, but their admin role was revoked: not granted again "
                "(remove them from VOTEBOT_ADMINS, or grant the role with `votebot role grant`)",
                ref,
            )
            continue
        _, before = await set_role(session, ref, ADMIN, actor="env:VOTEBOT_ADMINS")
        if before != ADMIN:
            changed.append(ref)
    return changed


async def _revoked_since_last_grant(session: AsyncSession, target: str) -> bool:
    """Whether the latest role change for ``target`` took an admin role away on purpose."""
    details = await session.scalar(
        select(AuditEntry.details)
        .where(
            AuditEntry.target == target[:96],
            AuditEntry.action.in_(("role_grant", "role_revoke")),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if not details:
        return False
    return bool(details.get("previous") == ADMIN and details.get("role") != ADMIN)


async def users_with_roles(session: AsyncSession) -> list[User]:
    stmt = select(User).where(User.role.is_not(None)).order_by(User.role, User.channel, User.id)
    return list((await session.scalars(stmt)).all())


async def admins(session: AsyncSession) -> list[User]:
    stmt = select(User).where(User.role == ADMIN, User.reachable.is_(True)).order_by(User.id)
    return list((await session.scalars(stmt)).all())


# --------------------------------------------------------------------------- dashboard tokens


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_admin_token(session: AsyncSession, user: User, *, actor: str = CLI_ACTOR) -> str:
    """A new dashboard login token for an admin; returned once, only its hash is stored."""
    if user.role != ADMIN:
        raise ValueError("only an admin can have a dashboard token")
    token = secrets.token_urlsafe(32)
    session.add(AdminToken(user_id=user.id, token_hash=_hash(token), created_at=utcnow()))
    await audit(session, actor, "token_create", actor_of(user))
    return token


async def revoke_tokens(session: AsyncSession, user: User) -> None:
    """Revoke every dashboard token of ``user`` and end their open dashboard sessions at once."""
    await session.execute(delete(AdminSession).where(AdminSession.admin == f"user:{user.id}"))
    tokens = await session.scalars(
        select(AdminToken).where(AdminToken.user_id == user.id, AdminToken.revoked_at.is_(None))
    )
    now = utcnow()
    for token in tokens.all():
        token.revoked_at = now


async def has_live_admin_token(session: AsyncSession, user_id: int) -> bool:
    """Whether this user is still an admin with at least one token not revoked."""
    user = await session.get(User, user_id)
    if user is None or user.role != ADMIN:
        return False
    live = await session.scalar(
        select(AdminToken.id)
        .where(AdminToken.user_id == user_id, AdminToken.revoked_at.is_(None))
        .limit(1)
    )
    return live is not None


async def any_live_admin_token(session: AsyncSession) -> bool:
    live = await session.scalar(
        select(AdminToken.id).where(AdminToken.revoked_at.is_(None)).limit(1)
    )
    return live is not None


async def verify_admin_token(session: AsyncSession, token: str) -> User | None:
    """The admin a dashboard token belongs to, or None (unknown, revoked, or no longer an admin)."""
    if not token or len(token) > 256:
        return None
    row = await session.scalar(
        select(AdminToken).where(
            AdminToken.token_hash == _hash(token), AdminToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.role != ADMIN:
        return None
    row.last_used_at = utcnow()
    return user
