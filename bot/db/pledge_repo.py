"""Repositories for pledges, referral codes, reports and reminder opt-ins (never commit)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import EngagementEvent, utcnow
from bot.db.models_pledge import (
    REFERRAL_KINDS,
    Pledge,
    ReferralCode,
    ReminderOptIn,
    Report,
    UserReferral,
)
from bot.db.repo import insert_ignore

#: What a referral code may look like (Telegram's ``start`` parameter allows ``A-Za-z0-9_-``).
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
#: Personal codes: no 0/O or 1/I, so they can be read out loud.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

SignResult = Literal["signed", "resigned", "already"]

# --------------------------------------------------------------------------- pledges


async def get_pledge(session: AsyncSession, user_id: int) -> Pledge | None:
    return await session.scalar(select(Pledge).where(Pledge.user_id == user_id))


async def sign_pledge(session: AsyncSession, user_id: int, kabupaten_id: int | None) -> SignResult:
    """Sign (or sign again after withdrawing); a second signature is a no-op."""
    now = utcnow()
    result = await session.execute(
        insert_ignore(session, Pledge, ["user_id"]).values(
            user_id=user_id, kabupaten_id=kabupaten_id, signed_at=now, withdrawn_at=None
        )
    )
    if getattr(result, "rowcount", 0):
        return "signed"
    resigned = await session.execute(
        update(Pledge)
        .where(Pledge.user_id == user_id, Pledge.withdrawn_at.is_not(None))
        .values(withdrawn_at=None, signed_at=now, kabupaten_id=kabupaten_id)
    )
    return "resigned" if getattr(resigned, "rowcount", 0) else "already"


async def withdraw_pledge(session: AsyncSession, user_id: int) -> bool:
    result = await session.execute(
        update(Pledge)
        .where(Pledge.user_id == user_id, Pledge.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def set_pledge_kabupaten(session: AsyncSession, user_id: int, kabupaten_id: int) -> None:
    await session.execute(
        update(Pledge).where(Pledge.user_id == user_id).values(kabupaten_id=kabupaten_id)
    )


async def count_signers(session: AsyncSession, kabupaten_id: int | None = None) -> int:
    """Signers whose signature stands, overall or in one kabupaten/kota."""
    stmt = select(func.count()).select_from(Pledge).where(Pledge.withdrawn_at.is_(None))
    if kabupaten_id is not None:
        stmt = stmt.where(Pledge.kabupaten_id == kabupaten_id)
    return int(await session.scalar(stmt) or 0)


# --------------------------------------------------------------------------- reminders


async def has_reminder(session: AsyncSession, user_id: int, kind: str = "voting_day") -> bool:
    found = await session.scalar(
        select(ReminderOptIn.user_id).where(
            ReminderOptIn.user_id == user_id, ReminderOptIn.kind == kind
        )
    )
    return found is not None


async def set_reminder(
    session: AsyncSession, user_id: int, on: bool, kind: str = "voting_day"
) -> None:
    if on:
        await session.execute(
            insert_ignore(session, ReminderOptIn, ["user_id", "kind"]).values(
                user_id=user_id, kind=kind, created_at=utcnow()
            )
        )
    else:
        await session.execute(
            delete(ReminderOptIn).where(
                ReminderOptIn.user_id == user_id, ReminderOptIn.kind == kind
            )
        )


# --------------------------------------------------------------------------- referrals


def normalise_code(raw: str) -> str | None:
    """``" sman1-blora "`` → ``"SMAN1-BLORA"``; ``None`` if it cannot be a code."""
    code = raw.strip().upper()
    return code if CODE_RE.match(code) else None


def code_from_name(name: str) -> str:
    """A readable code derived from a name: ``"SMA Negeri 1 Blora"`` → ``"SMANEGERI1BLORA"``."""
    letters = re.sub(r"[^A-Z0-9]", "", name.upper())[:24]
    return letters if len(letters) >= 3 else "REF" + letters


async def get_code(session: AsyncSession, code: str) -> ReferralCode | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return await session.scalar(select(ReferralCode).where(ReferralCode.code == normalised))


async def create_code(
    session: AsyncSession, name: str, kind: str, code: str | None = None
) -> ReferralCode:
    """Create a code; without ``code`` one is derived from the name (made unique with a suffix).

    Raises ``ValueError`` for a malformed or taken code or an unknown kind.
    """
    if kind not in REFERRAL_KINDS:
        raise ValueError(f"unknown kind {kind!r} (use {', '.join(REFERRAL_KINDS)})")
    if code is not None:
        wanted = normalise_code(code)
        if wanted is None:
            raise ValueError(
                "a code is 3-32 characters: letters, digits, '_' or '-', starting with a letter "
                "or digit"
            )
        if await get_code(session, wanted) is not None:
            raise ValueError(f"the code {wanted} is taken")
        candidates = [wanted]
    else:
        base = code_from_name(name)
        candidates = [base, *(f"{base}{i}" for i in range(2, 100))]
    for candidate in candidates:
        result = await session.execute(
            insert_ignore(session, ReferralCode, ["code"]).values(
                code=candidate, name=name[:128], kind=kind, created_at=utcnow()
            )
        )
        if getattr(result, "rowcount", 0):
            found = await get_code(session, candidate)
            assert found is not None
            return found
    raise ValueError(f"the code {candidates[0]} is taken")


async def personal_code(session: AsyncSession, user_id: int) -> ReferralCode:
    """The user's own code, created on first use."""
    stmt = select(ReferralCode).where(ReferralCode.user_id == user_id)
    found = await session.scalar(stmt)
    while found is None:
        code = "U" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(7))
        await session.execute(
            insert_ignore(session, ReferralCode, ["code"]).values(
                code=code, name=f"user {user_id}", kind="user", user_id=user_id, created_at=utcnow()
            )
        )
        found = await session.scalar(stmt)
    return found


async def get_referral(session: AsyncSession, user_id: int) -> UserReferral | None:
    return await session.scalar(select(UserReferral).where(UserReferral.user_id == user_id))


async def record_referral(session: AsyncSession, user_id: int, code_id: int) -> bool:
    """Attribute the user to a code unless they already are (first touch wins)."""
    result = await session.execute(
        insert_ignore(session, UserReferral, ["user_id"]).values(
            user_id=user_id, code_id=code_id, created_at=utcnow()
        )
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class CodeStats:
    code: ReferralCode
    users: int
    pledges: int
    quizzes: int


async def referral_stats(
    session: AsyncSession, *, include_personal: bool = False
) -> list[CodeStats]:
    """Per code: users it brought, their standing pledges and their completed quizzes."""
    users = (
        select(UserReferral.code_id, func.count().label("n"))
        .group_by(UserReferral.code_id)
        .subquery()
    )
    pledges = (
        select(UserReferral.code_id, func.count().label("n"))
        .join(Pledge, Pledge.user_id == UserReferral.user_id)
        .where(Pledge.withdrawn_at.is_(None))
        .group_by(UserReferral.code_id)
        .subquery()
    )
    quizzes = (
        select(UserReferral.code_id, func.count().label("n"))
        .join(EngagementEvent, EngagementEvent.user_id == UserReferral.user_id)
        .where(EngagementEvent.event_type == "quiz", EngagementEvent.name == "quiz_completed")
        .group_by(UserReferral.code_id)
        .subquery()
    )
    stmt: Any = (
        select(
            ReferralCode,
            func.coalesce(users.c.n, 0),
            func.coalesce(pledges.c.n, 0),
            func.coalesce(quizzes.c.n, 0),
        )
        .outerjoin(users, users.c.code_id == ReferralCode.id)
        .outerjoin(pledges, pledges.c.code_id == ReferralCode.id)
        .outerjoin(quizzes, quizzes.c.code_id == ReferralCode.id)
        .order_by(ReferralCode.created_at, ReferralCode.id)
    )
    if not include_personal:
        stmt = stmt.where(ReferralCode.kind != "user")
    rows = (await session.execute(stmt)).all()
    return [CodeStats(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]


# --------------------------------------------------------------------------- reports


async def add_report(
    session: AsyncSession,
    *,
    category: str,
    kabupaten_id: int | None,
    reported_on: date,
    details: dict[str, Any] | None = None,
    photo: bytes | None = None,
) -> Report:
    """Store a report: the anonymous record, plus details and photo only when given (consent).

    Its id is random, not sequential, so the order of reports says nothing about who made which.
    """
    report = Report(
        id=secrets.randbelow(2**47) + 1,
        category=category,
        kabupaten_id=kabupaten_id,
        reported_on=reported_on,
        consent=details is not None,
        details=details,
        photo=photo if details is not None else None,
    )
    session.add(report)
    await session.flush()
    return report
