"""What an experiment measures: outcomes read from what the bot already logs.

Intent-to-treat: every assigned user counts in their arm (opt-outs and unreachable users
included), and an outcome counts when it happened inside the user's own window, from their
scheduled send time (``send_at``, quiet hours applied to every arm alike) to ``until``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.i18n import N_, Explained
from bot.db.models import EngagementEvent
from bot.db.models_broadcast import SENT, OutboxRow
from bot.db.models_experiment import Experiment
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


class OutcomeError(Explained):
    """Outcomes that are not known; the message names the known ones."""


def parse_outcomes(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in OUTCOMES]
    if unknown or not names:
        raise OutcomeError(
            N_("unknown outcome(s) {unknown}; choose from {known}"),
            unknown=", ".join(unknown) or "(none)",
            known=", ".join(OUTCOMES),
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


def _count_stmt(experiment: Experiment, name: str) -> Select[str, int]:
    """arm → users who reached outcome ``name`` in their window, driven from the outcome's own
    rows (the log's (type, name, time) index, within the experiment's overall span) and joined
    to the assignment by its primary key: far cheaper than a lookup per assigned user."""
    counted = select(A.arm, func.count(distinct(A.user_id)))
    assigned = and_(A.experiment_id == experiment.id, A.user_id == EngagementEvent.user_id)
    if name == LINK:
        return counted.where(A.experiment_id == experiment.id, condition(LINK)).group_by(A.arm)
    if name == "referral":
        return (
            counted.select_from(UserReferral)
            .join(ReferralCode, ReferralCode.id == UserReferral.code_id)
            .join(A, and_(A.experiment_id == experiment.id, A.user_id == ReferralCode.user_id))
            .where(_in_window(UserReferral.created_at))
            .group_by(A.arm)
        )
    pairs = [
        and_(EngagementEvent.event_type == t, EngagementEvent.name == n)
        for t, n in OUTCOMES[name].events
    ]
    return (
        counted.select_from(EngagementEvent)
        .join(A, assigned)
        .where(
            or_(*pairs),
            EngagementEvent.created_at >= experiment.starts_at,
            EngagementEvent.created_at < experiment.ends_at,
            _in_window(EngagementEvent.created_at),
        )
        .group_by(A.arm)
    )


async def count_by_arm(
    session: AsyncSession, experiment: Experiment, outcomes: Sequence[str]
) -> dict[str, dict[str, int]]:
    """arm → {"assigned", "reached", outcome: users who reached it in their window}.

    "Reached" counts the sent rows of each arm's broadcast (which holds only that arm's users).
    """
    result: dict[str, dict[str, int]] = {}
    stmt = select(A.arm, func.count()).where(A.experiment_id == experiment.id).group_by(A.arm)
    for arm, n in (await session.execute(stmt)).all():
        result[arm] = {"assigned": int(n), "reached": 0}
    arm_of = {a["broadcast_id"]: str(a["arm"]) for a in experiment.arms}
    if arm_of:
        reached = (
            select(OutboxRow.broadcast_id, func.count())
            .where(OutboxRow.broadcast_id.in_(list(arm_of)), OutboxRow.status == SENT)
            .group_by(OutboxRow.broadcast_id)
        )
        for bid, n in (await session.execute(reached)).all():
            result.setdefault(arm_of[bid], {"assigned": 0, "reached": 0})["reached"] = int(n)
    for name in outcomes:
        for counts in result.values():
            counts[name] = 0
        for arm, n in (await session.execute(_count_stmt(experiment, name))).all():
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
