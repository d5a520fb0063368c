"""The analysis of one experiment: per arm the number assigned and reached and each outcome's
rate; each variant against the holdout and against the other variants with a 95% interval; a
plain-language verdict, provisional until the last window closes (no peeking trap); and a
warning while the sample is too small to tell the change the experiment was planned for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import utcnow
from bot.db.models_experiment import HOLDOUT, Experiment

from . import stats
from .outcomes import LINK, OUTCOMES, count_by_arm


@dataclass
class Arm:
    arm: str
    assigned: int
    reached: int | None
    successes: dict[str, int]

    def rate(self, outcome: str) -> float:
        return self.successes.get(outcome, 0) / self.assigned if self.assigned else 0.0


@dataclass
class Analysis:
    experiment: Experiment
    arms: list[Arm]
    outcomes: list[str]
    #: outcomes that cannot be measured here (e.g. link taps without VOTEBOT_PUBLIC_URL)
    unavailable: dict[str, str]
    differences: list[stats.Difference]
    verdicts: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    final: bool = False
    now: datetime = field(default_factory=utcnow)

    def arm(self, name: str) -> Arm | None:
        return next((a for a in self.arms if a.arm == name), None)

    def as_dict(self) -> dict[str, Any]:
        e = self.experiment
        return {
            "id": e.id,
            "title": e.title,
            "segment": e.segment,
            "holdout": e.holdout,
            "outcomes": self.outcomes,
            "unavailable": self.unavailable,
            "window_days": e.window_days,
            "starts_at": e.starts_at.isoformat(),
            "window_closes_at": e.ends_at.isoformat(),
            "final": self.final,
            "arms": [
                {
                    "arm": a.arm,
                    "broadcast_id": next(
                        (x["broadcast_id"] for x in e.arms if x["arm"] == a.arm), None
                    ),
                    "assigned": a.assigned,
                    "reached": a.reached,
                    "outcomes": {
                        o: {"users": a.successes.get(o, 0), "rate": round(a.rate(o), 4)}
                        for o in self.outcomes
                    },
                }
                for a in self.arms
            ],
            "differences": [d.as_dict() for d in self.differences],
            "verdicts": self.verdicts,
            "warnings": self.warnings,
        }


def _order(arm: str) -> tuple[int, str]:
    return (1 if arm == HOLDOUT else 0, arm)


def analyse_counts(
    experiment: Experiment,
    counts: dict[str, dict[str, int]],
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Analysis:
    """The analysis from per-arm counts (see :func:`bot.experiments.outcomes.count_by_arm`)."""
    now = now or utcnow()
    planned = [str(a["arm"]) for a in experiment.arms]
    names = sorted(set(planned) | set(counts) | ({HOLDOUT} if experiment.holdout else set()))
    arms = [
        Arm(
            name,
            counts.get(name, {}).get("assigned", 0),
            None if name == HOLDOUT else counts.get(name, {}).get("reached", 0),
            {o: counts.get(name, {}).get(o, 0) for o in experiment.outcomes},
        )
        for name in sorted(names, key=_order)
    ]
    unavailable = {}
    if LINK in experiment.outcomes and (settings is None or not settings.public_url):
        unavailable[LINK] = "VOTEBOT_PUBLIC_URL is not set: link taps cannot be recorded"
    outcomes = [o for o in experiment.outcomes if o not in unavailable]
    final = now >= experiment.ends_at
    result = Analysis(experiment, arms, outcomes, unavailable, [], {}, final=final, now=now)
    holdout = result.arm(HOLDOUT)
    variants = [a for a in arms if a.arm != HOLDOUT]
    #: (arm, against) → users needed in each to tell the planned change (the largest need)
    small: dict[tuple[str, str], tuple[int, int]] = {}

    def check_size(a: Arm, b: Arm, outcome: str) -> None:
        need = _needed(experiment, a, b, outcome)
        if a.assigned < need[0] or b.assigned < need[1]:
            old = small.get((a.arm, b.arm), (0, 0))
            small[(a.arm, b.arm)] = max(old, need)

    for outcome in outcomes:
        label = OUTCOMES[outcome].label
        sentences = []
        for first, second in combinations(variants, 2):
            # the better one first, so the sentence says what raised the rate
            better = second.rate(outcome) > first.rate(outcome)
            a, b = (second, first) if better else (first, second)
            d = stats.difference(
                outcome, a.arm, a.successes[outcome], a.assigned,
                b.arm, b.successes[outcome], b.assigned,
            )  # fmt: skip
            if d is not None:
                result.differences.append(d)
                sentences.append(stats.variant_sentence(d, label))
                check_size(a, b, outcome)
        if holdout is not None and holdout.assigned:
            against = []
            for v in variants:
                d = stats.difference(
                    outcome, v.arm, v.successes[outcome], v.assigned,
                    HOLDOUT, holdout.successes[outcome], holdout.assigned,
                )  # fmt: skip
                if d is not None:
                    against.append(d)
                    result.differences.append(d)
                    check_size(v, holdout, outcome)
            if against:
                sentences.append(stats.holdout_sentence(against, label))
        text = "; ".join(sentences) or "nothing to compare yet"
        text = text[0].upper() + text[1:] + "."
        if not final:
            text = (
                f"Provisional until every window closes ({experiment.ends_at:%Y-%m-%d %H:%M} UTC): "
                + text
            )
        result.verdicts[outcome] = text
    for (a_name, b_name), (need_a, need_b) in sorted(small.items()):
        n_a = next(x.assigned for x in arms if x.arm == a_name)
        n_b = next(x.assigned for x in arms if x.arm == b_name)
        result.warnings.append(
            f"Too small to tell yet: {stats.arm_name(a_name)} ({n_a} users) against "
            f"{stats.arm_name(b_name)} ({n_b}) needs about {need_a} and {need_b} users "
            f"to find a {experiment.min_effect:g}-point change."
        )
    if not final:
        result.warnings.append(
            "The outcome windows are still open: the figures will change and the verdict is "
            "not final."
        )
    return result


def _needed(experiment: Experiment, a: Arm, b: Arm, outcome: str) -> tuple[int, int]:
    """Users needed in ``a`` and ``b`` to find the planned change from their pooled rate."""
    total = a.assigned + b.assigned
    base = (a.successes[outcome] + b.successes[outcome]) / total if total else 0.0
    ratio = b.assigned / a.assigned if a.assigned and b.assigned else 1.0
    return stats.sample_size(base or 0.1, experiment.min_effect, ratio)


async def analyse(
    session: AsyncSession,
    experiment: Experiment,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Analysis:
    counts = await count_by_arm(session, experiment, experiment.outcomes)
    return analyse_counts(experiment, counts, settings=settings, now=now)


async def report_rows(
    session: AsyncSession, start: datetime | None, end: datetime
) -> list[dict[str, Any]]:
    """The figures of experiments started in [start, end) for ``votebot report``: one row per
    arm and outcome, with the difference to the holdout (or to variant A) and its interval."""
    from sqlalchemy import select

    stmt = select(Experiment).where(Experiment.starts_at < end).order_by(Experiment.id)
    if start is not None:
        stmt = stmt.where(Experiment.starts_at >= start)
    rows: list[dict[str, Any]] = []
    for e in (await session.scalars(stmt)).all():
        result = await analyse(session, e)
        for arm in result.arms:
            for o in result.outcomes:
                d = next(
                    (x for x in result.differences if x.outcome == o and x.arm == arm.arm
                     and x.against == HOLDOUT),
                    None,
                )  # fmt: skip
                rows.append(
                    {
                        "experiment": str(e.id),
                        "arm": arm.arm,
                        "outcome": o,
                        "assigned": arm.assigned,
                        "reached": arm.reached,
                        "users": arm.successes.get(o, 0),
                        "rate": round(arm.rate(o), 4),
                        "vs_holdout_points": None if d is None else round(d.diff * 100, 1),
                        "ci_low": None if d is None else round(d.low * 100, 1),
                        "ci_high": None if d is None else round(d.high * 100, 1),
                        "final": result.final,
                    }
                )
    return rows
