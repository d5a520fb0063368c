"""The numbers: differences of proportions with a 95% interval, sample sizes, and the verdict.

Every interval and sample size comes from statsmodels (Newcombe's hybrid score interval for a
difference of two independent proportions; the power of a two-sided z-test), never from a
formula written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# statsmodels (with pandas and scipy.stats) takes seconds to import: it is imported where a
# figure is computed, not by every process that loads the chat flows.

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
    from statsmodels.stats.proportion import confint_proportions_2indep

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
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

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


def signed(value: float) -> str:
    """0.031 → "+3.1"."""
    return ("+" if value >= 0 else "") + points(value)


def holdout_sentence(ds: list[Difference], label: str) -> str:
    """Every variant against the holdout in one sentence, e.g. "against the holdout, variant B
    raised it by 3.1 points (between 1.9 and 4.1): the broadcast itself matters; variant A made
    no clear difference (+0.0 points, between -1.1 and 1.0)"."""
    up = [d for d in ds if d.low > 0]
    down = [d for d in ds if d.high < 0]
    unclear = [d for d in ds if not d.clear]

    def span(d: Difference) -> str:
        return f"between {points(d.low)} and {points(d.high)}"

    parts = [
        f"{arm_name(d.arm)} raised {label} by {points(d.diff)} points ({span(d)})" for d in up
    ] + [f"{arm_name(d.arm)} lowered {label} by {points(-d.diff)} points ({span(d)})" for d in down]
    if unclear:
        names = " and ".join(arm_name(d.arm) for d in unclear)
        detail = "; ".join(f"{signed(d.diff)} points, {span(d)}" for d in unclear)
        yet = "" if up or down else " yet"
        parts.append(f"{names} made no clear difference{yet} ({detail})")
    text = "against the holdout, " + "; ".join(parts)
    if up and not down:
        text += ": the holdout shows the broadcast itself matters"
    return text
