"""The numbers: differences of proportions with a 95% interval, sample sizes, and the verdict.

Every interval and sample size comes from statsmodels (Newcombe's hybrid score interval for a
difference of two independent proportions; the power of a two-sided z-test), never from a
formula written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Difference:
    """``rate(arm) − rate(against)`` in proportions, with its 95% interval."""

    outcome: str
    arm: str
    against: str
    diff: float
    low: float
    high: float
    n_arm: int
    n_against: int

    @property
    def clear(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "arm": self.arm,
            "against": self.against,
            "diff_points": round(self.diff * 100, 2),
            "low_points": round(self.low * 100, 2),
            "high_points": round(self.high * 100, 2),
        }


def difference(
    outcome: str, arm: str, x1: int, n1: int, against: str, x2: int, n2: int
) -> Difference | None:
    """The difference of two arms' rates with Newcombe's 95% interval (None if an arm is empty)."""
    if n1 <= 0 or n2 <= 0:
        return None
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=ALPHA
    )
    return Difference(outcome, arm, against, x1 / n1 - x2 / n2, float(low), float(high), n1, n2)


def sample_size(base_rate: float, effect_points: float, ratio: float = 1.0) -> tuple[int, int]:
    """Users needed in (the arm, the arm compared against) to find a change of
    ``effect_points`` percentage points from ``base_rate`` with 80% power at the 5% level;
    ``ratio`` is the size of the second arm relative to the first (e.g. holdout / variant)."""
    effect = effect_points / 100
    base = min(max(base_rate, 0.01), 0.99)
    if base + effect > 0.999:
        effect = -effect  # the same distance downwards: the variance is symmetric in p
    n1 = samplesize_proportions_2indep_onetail(
        effect, base, POWER, ratio=ratio, alpha=ALPHA, alternative="two-sided"
    )
    n1 = math.ceil(float(n1))
    return n1, math.ceil(n1 * ratio)


def points(value: float) -> str:
    """0.0312 → "3.1"."""
    return f"{value * 100:.1f}"


def arm_name(arm: str) -> str:
    return "the holdout" if arm == "holdout" else f"variant {arm}"


def variant_sentence(d: Difference, label: str) -> str:
    """One variant against another, e.g. "Variant B raised quiz completions by 3.1 points over
    variant A, between 1.2 and 5.0"."""
    who, other = arm_name(d.arm), arm_name(d.against)
    who = who[0].upper() + who[1:]
    span = f"between {points(d.low)} and {points(d.high)}"
    if d.low > 0:
        return f"{who} raised {label} by {points(d.diff)} points over {other}, {span}"
    if d.high < 0:
        return f"{who} lowered {label} by {points(-d.diff)} points against {other}, {span}"
    return (
        f"{who} and {other} made no clear difference to {label} ({points(d.diff)} points, {span})"
    )


def holdout_sentence(ds: list[Difference], label: str) -> str:
    """Every variant against the holdout in one sentence."""
    up = [d for d in ds if d.low > 0]
    down = [d for d in ds if d.high < 0]
    detail = "; ".join(
        f"{arm_name(d.arm)} {'+' if d.diff >= 0 else ''}{points(d.diff)} points, between "
        f"{points(d.low)} and {points(d.high)}"
        for d in ds
    )
    if up and not down:
        return f"the holdout shows the broadcast itself matters ({detail})"
    if down and not up:
        return f"the holdout did better: the broadcast lowered {label} ({detail})"
    if up and down:
        return f"against the holdout the variants went different ways ({detail})"
    return f"against the holdout no variant made a clear difference yet ({detail})"
