"""Consent to proactive messages: one model, one question every proactive sender asks.

A *proactive* message is one the user did not just ask for: a broadcast, a voting-day reminder,
and later poll results or "your answer is ready" notices. Each kind has its own consent:

- ``broadcasts``: the occasional important update (``users.opted_in``, asked at onboarding);
- ``voting_day``: the voting-day reminders a pledge signer asked for (a ``reminder_opt_ins`` row
  with that kind, which counts only while the pledge stands).

Further kinds are further ``reminder_opt_ins`` rows (the table's ``kind`` column), so adding one
needs no new table. The tables are the only source of truth: never the engagement log.

STOP / BERHENTI (:func:`stop_all`) withdraws every consent at once, and also every one-off
"tell me" link (an unanswered question's watcher, a forwarded claim's follower), so no "your answer
is ready" or verdict notice follows a STOP either; ``/langganan`` shows each consent and turns each
back on. Every sender asks :func:`may_send` (one user) or puts :func:`condition` (SQL)
into its query, so a withdrawal counts for every send after it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User, utcnow
from bot.db.models_claims import ClaimFollower
from bot.db.models_pledge import Pledge, ReminderOptIn
from bot.db.models_questions import QuestionWatcher
from bot.db.repo import insert_ignore

BROADCASTS = "broadcasts"
VOTING_DAY = "voting_day"
#: The result of a poll the user answered, when they asked for it (bot.core.polls).
POLL_RESULTS = "poll_results"
#: Every consent kind, in the order ``/langganan`` lists them.
KINDS = (BROADCASTS, VOTING_DAY, POLL_RESULTS)
#: Kinds that only count while the user's pledge stands.
NEEDS_PLEDGE = frozenset({VOTING_DAY})


def condition(kind: str) -> ColumnElement[bool]:
    """SQL on ``User``: the user holds consent ``kind`` now (reachability is separate)."""
    if kind == BROADCASTS:
        return User.opted_in.is_(True)
    held: ColumnElement[bool] = exists().where(
        ReminderOptIn.user_id == User.id, ReminderOptIn.kind == kind
    )
    if kind in NEEDS_PLEDGE:
        held = and_(
            held,
            exists().where(Pledge.user_id == User.id, Pledge.withdrawn_at.is_(None)),
        )
    return held


def sendable(kind: str) -> ColumnElement[bool]:
    """SQL on ``User``: a proactive message of ``kind`` may go to this user now."""
    return and_(User.reachable.is_(True), condition(kind))


async def may_send(session: AsyncSession, user_id: int, kind: str) -> bool:
    """The one question every proactive sender asks before sending to one user."""
    stmt = select(User.id).where(User.id == user_id, sendable(kind))
    return (await session.scalar(stmt)) is not None


async def held(session: AsyncSession, user_id: int) -> dict[str, bool]:
    """Each consent kind → whether the user holds it now."""
    out = {}
    for kind in KINDS:
        stmt = select(User.id).where(User.id == user_id, condition(kind))
        out[kind] = (await session.scalar(stmt)) is not None
    return out


async def grant(session: AsyncSession, user: User, kind: str) -> None:
    """Turn one consent on (the caller checks any precondition, e.g. a standing pledge)."""
    if kind == BROADCASTS:
        user.opted_in, user.opt_in_asked = True, True
        return
    await session.execute(
        insert_ignore(session, ReminderOptIn, ["user_id", "kind"]).values(
            user_id=user.id, kind=kind, created_at=utcnow()
        )
    )


async def withdraw(session: AsyncSession, user: User, kind: str) -> None:
    if kind == BROADCASTS:
        user.opted_in, user.opt_in_asked = False, True
        return
    await session.execute(
        delete(ReminderOptIn).where(ReminderOptIn.user_id == user.id, ReminderOptIn.kind == kind)
    )


async def stop_all(session: AsyncSession, user: User) -> list[str]:
    """STOP: withdraw every consent and every "tell me" link; return the kinds that were on."""
    was = [kind for kind, on in (await held(session, user.id)).items() if on]
    user.opted_in, user.opt_in_asked = False, True
    await session.execute(delete(ReminderOptIn).where(ReminderOptIn.user_id == user.id))
    # One-off notices the user asked for earlier are proactive too: STOP means nothing more.
    await session.execute(delete(QuestionWatcher).where(QuestionWatcher.user_id == user.id))
    await session.execute(delete(ClaimFollower).where(ClaimFollower.user_id == user.id))
    return was
