"""Quiz queries: attempts, answers, best scores, leaderboards. They never commit."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User, utcnow
from bot.db.models_quiz import QuizAnswer, QuizAttempt, QuizProfile
from bot.db.repo import insert_ignore

FULL, MISSED = "full", "missed"
ACTIVE, COMPLETED, ABANDONED = "active", "completed", "abandoned"


def shuffled_orders(attempt_id: int, option_counts: list[int]) -> list[list[int]]:
    """Each question's option order, derived only from the attempt (so it can be re-derived)."""
    rng = random.Random(f"quiz-attempt:{attempt_id}")
    orders = []
    for n in option_counts:
        order = list(range(n))
        rng.shuffle(order)
        orders.append(order)
    return orders


async def start_attempt(
    session: AsyncSession,
    *,
    user_id: int,
    quiz_id: str,
    question_ids: list[str],
    option_counts: list[int],
    mode: str = FULL,
    parent_id: int | None = None,
) -> QuizAttempt:
    """A new active attempt; any earlier active attempt of this quiz is abandoned."""
    await session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.status == ACTIVE,
        )
        .values(status=ABANDONED)
    )
    now = utcnow()
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=quiz_id,
        mode=mode,
        parent_id=parent_id,
        status=ACTIVE,
        question_ids=list(question_ids),
        option_orders=[],
        position=0,
        score=0,
        total=len(question_ids),
        started_at=now,
        question_shown_at=now,
    )
    session.add(attempt)
    await session.flush()
    attempt.option_orders = shuffled_orders(attempt.id, option_counts)
    await session.flush()
    return attempt


async def get_attempt(session: AsyncSession, attempt_id: int, user_id: int) -> QuizAttempt | None:
    """The attempt if it belongs to ``user_id`` (a forged id of someone else's gives ``None``)."""
    return await session.scalar(
        select(QuizAttempt).where(QuizAttempt.id == attempt_id, QuizAttempt.user_id == user_id)
    )


async def active_attempts(session: AsyncSession, user_id: int) -> dict[str, QuizAttempt]:
    """The user's unfinished attempt per quiz id."""
    rows = await session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.status == ACTIVE)
        .order_by(QuizAttempt.id)
    )
    return {a.quiz_id: a for a in rows.all()}


async def record_answer(
    session: AsyncSession,
    attempt: QuizAttempt,
    *,
    question_id: str,
    option: int,
    correct: bool,
    seconds: int,
) -> bool:
    """Store one answer; False if this question of this attempt was already answered."""
    result = await session.execute(
        insert_ignore(session, QuizAnswer, ["attempt_id", "question_id"]).values(
            attempt_id=attempt.id,
            question_id=question_id,
            option=option,
            correct=correct,
            seconds=seconds,
            answered_at=utcnow(),
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def answers(session: AsyncSession, attempt_id: int) -> dict[str, QuizAnswer]:
    rows = await session.scalars(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id))
    return {a.question_id: a for a in rows.all()}


@dataclass(frozen=True)
class Best:
    score: int
    total: int

    @property
    def ratio(self) -> float:
        return self.score / self.total if self.total else 0.0


async def best_scores(session: AsyncSession, user_id: int) -> dict[str, Best]:
    """The user's best completed full attempt per quiz (highest share right)."""
    rows = await session.execute(
        select(QuizAttempt.quiz_id, QuizAttempt.score, QuizAttempt.total).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.mode == FULL,
            QuizAttempt.status == COMPLETED,
        )
    )
    best: dict[str, Best] = {}
    for quiz_id, score, total in rows.all():
        candidate = Best(score, total)
        if quiz_id not in best or candidate.ratio > best[quiz_id].ratio:
            best[quiz_id] = candidate
    return best


@dataclass(frozen=True)
class Entry:
    user: User
    score: int
    total: int


async def leaderboard(session: AsyncSession, quiz_id: str, limit: int = 10) -> list[Entry]:
    """Top scores of a quiz among users who opted in and chose a name; earliest first on ties."""
    best = func.max(QuizAttempt.score).label("best")
    first = func.min(QuizAttempt.completed_at).label("first")
    stmt = (
        select(QuizAttempt.user_id, best, func.max(QuizAttempt.total), first)
        .join(QuizProfile, QuizProfile.user_id == QuizAttempt.user_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.mode == FULL,
            QuizAttempt.status == COMPLETED,
            QuizProfile.leaderboard.is_(True),
            User.display_name.is_not(None),
        )
        .group_by(QuizAttempt.user_id)
        .order_by(best.desc(), first.asc(), QuizAttempt.user_id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    users = {
        u.id: u
        for u in (
            await session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))
        ).all()
    }
    return [Entry(users[r[0]], int(r[1]), int(r[2])) for r in rows if r[0] in users]


async def profile(session: AsyncSession, user_id: int) -> QuizProfile:
    """The user's quiz profile, created on first use."""
    await session.execute(
        insert_ignore(session, QuizProfile, ["user_id"]).values(
            user_id=user_id, updated_at=utcnow()
        )
    )
    found = await session.get(QuizProfile, user_id, populate_existing=True)
    assert found is not None
    return found


def touch(profile_row: QuizProfile, at: datetime | None = None) -> None:
    profile_row.updated_at = at or utcnow()
