"""An experiment's analysis as a text table, CSV rows and a PNG chart per outcome."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from .analysis import Analysis
from .stats import points, signed

CSV_COLUMNS = [
    "kind",
    "outcome",
    "arm",
    "against",
    "assigned",
    "reached",
    "users",
    "rate",
    "diff_points",
    "low_points",
    "high_points",
]
USER_COLUMNS = ["user", "arm"]


def _cell(a_users: int, rate: float) -> str:
    return f"{points(rate)}% ({a_users})"


def text_table(analysis: Analysis) -> str:
    e = analysis.experiment
    state = "final" if analysis.final else "provisional"
    lines = [
        f"Experiment #{e.id} “{e.title}”",
        f"Segment: {e.segment}   holdout: {e.holdout:.0%}   window: {e.window_days} day(s) "
        f"from each user's send time",
        f"Started {e.starts_at:%Y-%m-%d %H:%M} UTC; windows close "
        f"{e.ends_at:%Y-%m-%d %H:%M} UTC ({state})",
        "",
    ]
    header = ["arm", "assigned", "reached", *analysis.outcomes]
    rows = [
        [
            a.arm,
            str(a.assigned),
            "-" if a.reached is None else str(a.reached),
            *(_cell(a.successes.get(o, 0), a.rate(o)) for o in analysis.outcomes),
        ]
        for a in analysis.arms
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(r, widths, strict=True))).rstrip())  # fmt: skip
    if analysis.differences:
        lines += ["", "Differences in percentage points, with 95% confidence intervals:"]
        for d in analysis.differences:
            lines.append(
                f"  {d.outcome:<14} {d.arm} − {d.against:<8} {signed(d.diff):>6}  "
                f"[{points(d.low)}, {points(d.high)}]"
            )
    lines += ["", "Verdict:"]
    lines += [f"  {o}: {text}" for o, text in analysis.verdicts.items()]
    for outcome, why in analysis.unavailable.items():
        lines.append(f"  {outcome}: unavailable ({why})")
    if analysis.warnings:
        lines += ["", "Warnings:"] + [f"  ! {w}" for w in analysis.warnings]
    return "\n".join(lines) + "\n"


def csv_rows(analysis: Analysis) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for a in analysis.arms:
        for o in analysis.outcomes:
            rows.append(
                ["arm", o, a.arm, "", a.assigned, "" if a.reached is None else a.reached,
                 a.successes.get(o, 0), round(a.rate(o), 6), "", "", ""]
            )  # fmt: skip
    for d in analysis.differences:
        x = d.as_dict()
        rows.append(
            ["difference", d.outcome, d.arm, d.against, d.n_arm, "", "", "",
             x["diff_points"], x["low_points"], x["high_points"]]
        )  # fmt: skip
    return rows


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def chart_png(analysis: Analysis, outcome: str) -> bytes:
    """A bar per arm: the outcome's rate, with each variant's 95% interval against the holdout
    drawn around its bar (holdout rate + the interval of the difference)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.2), dpi=100)
    ax = fig.add_subplot()
    names = [a.arm for a in analysis.arms]
    rates = [a.rate(outcome) * 100 for a in analysis.arms]
    colours = ["#9e9e9e" if n == "holdout" else "#1565c0" for n in names]
    ax.bar(names, rates, color=colours)
    for d in analysis.differences:
        if d.outcome != outcome or d.against != "holdout":
            continue
        base = next(a for a in analysis.arms if a.arm == d.against).rate(outcome) * 100
        x = names.index(d.arm)
        ax.errorbar(
            [x], [base + d.diff * 100],
            yerr=[[(d.diff - d.low) * 100], [(d.high - d.diff) * 100]],
            fmt="none", ecolor="#e65100", capsize=4,
        )  # fmt: skip
    ax.set_ylabel("% of users assigned")
    state = "" if analysis.final else " (provisional)"
    ax.set_title(f"{outcome}{state}")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
