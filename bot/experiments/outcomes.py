"""What an experiment measures: outcomes read from what the bot already logs.

Intent-to-treat: every assigned user counts in their arm (opt-outs and unreachable users
included), and an outcome counts when it happened inside the user's own window, from their
scheduled send time (``send_at``, quiet hours applied to every arm alike) to ``until``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import EngagementEvent
from bot.db.models_broadcast import SENT, OutboxRow
from bot.db.models_experiment import ExperimentAssignment as A
from bot.db.models_pledge import ReferralCode, UserReferral


@dataclass(frozen=True)
class Outcome:
    name: str
    #: What it measures, as it reads in a verdict: "raised {label} by 3.1 points".
    label: str
    #: (event_type, name) pairs of the engagement log; empty for outcomes read elsewhere.
    events: tuple[tuple[str, str], ...] = ()


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("content", "pages or answers opened", (("info", "page_viewed"), ("faq", "shown"))),
        Outcome("quiz_started", "quiz starts", (("quiz", "quiz_started"),)),
        Outcome("quiz_finished", "quiz completions", (("quiz", "quiz_completed"),)),
        Outcome("pledge", "pledges signed", (("pledge", "pledge_signed"),)),
        Outcome("link", "link taps"),
        Outcome("referral", "friends brought in"),
    )
}
LINK = "link"


class OutcomeError(ValueError):
    pass


def parse_outcomes(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in OUTCOMES]
    if unknown or not names:
        raise OutcomeError(
            f"unknown outcome(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(OUTCOMES)}"
        )
    return list(dict.fromkeys(names))


def _in_window(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[bool]:
    return and_(column >= A.send_at, column < A.until)


def condition(name: str) -> ColumnElement[bool]:
    """True for an assignment whose user reached outcome ``name`` inside their window."""
    outcome = OUTCOMES[name]
    if name == LINK:
        return and_(A.link_tapped_at.is_not(None), _in_window(A.link_tapped_at))
    if name == "referral":
        return exists().where(
            ReferralCode.user_id == A.user_id,
            UserReferral.code_id == ReferralCode.id,
            _in_window(UserReferral.created_at),
        )
    pairs = [
        and_(EngagementEvent.event_type == t, EngagementEvent.name == n) for t, n in outcome.events
    ]
    return exists().where(
        EngagementEvent.user_id == A.user_id,
        _in_window(EngagementEvent.created_at),
        or_(*pairs),
    )


async def count_by_arm(
    session: AsyncSession, experiment_id: int, outcomes: Sequence[str]
) -> dict[str, dict[str, int]]:
    """arm → {"assigned", "reached", outcome: users who reached it in their window}."""
    result: dict[str, dict[str, int]] = {}
    base = A.experiment_id == experiment_id
    stmt = select(A.arm, func.count()).where(base).group_by(A.arm)
    for arm, n in (await session.execute(stmt)).all():
        result[arm] = {"assigned": int(n), "reached": 0}
    reached = (
        select(A.arm, func.count())
        .join(
            OutboxRow,
            and_(OutboxRow.broadcast_id == A.broadcast_id, OutboxRow.user_id == A.user_id),
        )
        .where(base, OutboxRow.status == SENT)
        .group_by(A.arm)
    )
    for arm, n in (await session.execute(reached)).all():
        result[arm]["reached"] = int(n)
    for name in outcomes:
        for counts in result.values():
            counts[name] = 0
        stmt = select(A.arm, func.count()).where(base, condition(name)).group_by(A.arm)
        for arm, n in (await session.execute(stmt)).all():
            result[arm][name] = int(n)
    return result


async def user_outcomes(
    session: AsyncSession, experiment_id: int, outcomes: Sequence[str]
) -> list[tuple[int, str, dict[str, bool]]]:
    """(user id, arm, outcome → reached) per assigned user, for pseudonymised exports."""
    cols = [condition(name) for name in outcomes]
    stmt = (
        select(A.user_id, A.arm, *cols).where(A.experiment_id == experiment_id).order_by(A.user_id)
    )
    return [
        (int(r[0]), str(r[1]), {name: bool(v) for name, v in zip(outcomes, r[2:], strict=True)})
        for r in (await session.execute(stmt)).all()
    ]
