"""PNG charts of a report, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.data import MIN_CELL, MIN_SAMPLE

COLOR = "#1f6f8b"
ACCENT = "#e07a1f"


def _figure(title: str, height: float = 4.5) -> tuple[Figure, Any]:
    fig = Figure(figsize=(9, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=14, fontweight="bold", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", alpha=0.25)
    return fig, ax


def _empty(ax: Any, message: str = "No data in this period") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=13, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def daily_active(report: dict[str, Any]) -> Figure:
    rows = report["users"]["daily_active"]
    fig, ax = _figure("Daily active users (Jakarta days)")
    if not any(r["users"] for r in rows):
        _empty(ax)
        return fig
    days = [r["day"] for r in rows]
    values = [r["users"] for r in rows]
    ax.plot(range(len(days)), values, color=COLOR, marker="o" if len(days) <= 60 else None)
    ax.fill_between(range(len(days)), values, color=COLOR, alpha=0.15)
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), days[::step], rotation=30, ha="right")
    ax.set_xlabel("day")
    ax.set_ylabel("users who sent a message")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # people: whole numbers only
    ax.set_ylim(bottom=0)
    return fig


def quiz_funnel(report: dict[str, Any]) -> Figure:
    q = report["quizzes"]
    fig, ax = _figure("Quiz funnel")
    stages = [
        ("started", q["started"]),
        ("completed", q["completed"]),
        ("certificate", q["certificates"]),
    ]
    if not q["started"]:
        _empty(ax)
        return fig
    labels = [s for s, _ in stages]
    values = [v for _, v in stages]
    bars = ax.bar(labels, values, color=[COLOR, COLOR, ACCENT])
    for bar, v in zip(bars, values, strict=True):
        pct = f" ({v / q['started']:.0%})" if q["started"] else ""
        ax.annotate(
            f"{v}{pct}",
            (bar.get_x() + bar.get_width() / 2, v),
            ha="center",
            va="bottom",
            fontsize=11,
        )
    ax.set_ylim(0, max(values) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("quiz attempts")
    return fig


def hardest_questions(report: dict[str, Any], limit: int = 10) -> Figure:
    # Ranked only among questions at least MIN_SAMPLE people answered (one person, one answer).
    rows = [r for r in report["quizzes"]["questions"] if r["answered"] >= MIN_SAMPLE][:limit]
    fig, ax = _figure("Hardest questions", height=max(3.5, 0.45 * len(rows) + 1.5))
    if not rows:
        _empty(ax, f"No question answered by {MIN_SAMPLE} or more people yet")
        return fig
    labels = [f"{r['quiz_id']} / {r['question_id']}" for r in rows][::-1]
    rates = [(r["rate"] or 0) * 100 for r in rows][::-1]
    bars = ax.barh(labels, rates, color=COLOR)
    for bar, r in zip(bars, rows[::-1], strict=True):
        ax.annotate(
            f" {(r['rate'] or 0):.0%} of {r['answered']}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=10,
        )
    ax.set_xlim(0, 110)
    ax.set_xlabel(f"answered correctly (%, questions answered by {MIN_SAMPLE}+ people)")
    return fig


def pledges_by_province(report: dict[str, Any], limit: int = 20) -> Figure:
    shown = [r for r in report["pledges"]["by_province"] if not r["suppressed"]]
    rows = shown[:limit]
    hidden = sum(1 for r in report["pledges"]["by_province"] if r["suppressed"])
    title = "Pledges by province" + (f" (top {limit})" if len(shown) > limit else "")
    fig, ax = _figure(title, height=max(3.5, 0.4 * len(rows) + 1.8))
    if not rows:
        _empty(
            ax, "No province with enough pledges to show" if hidden else "No pledges in this period"
        )
        return fig
    labels = [r["province"] for r in rows][::-1]
    values = [r["pledges"] for r in rows][::-1]
    bars = ax.barh(labels, values, color=COLOR)
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(f" {v}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center")
    ax.set_xlabel("pledges signed")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if hidden:  # under the axis, not beside the title (two titles overlap on narrow charts)
        ax.set_xlabel(f"pledges signed ({hidden} province(s) with fewer than {MIN_CELL} not shown)")
    return fig


CHARTS: dict[str, Callable[[dict[str, Any]], Figure]] = {
    "daily_active_users": daily_active,
    "quiz_funnel": quiz_funnel,
    "hardest_questions": hardest_questions,
    "pledges_by_province": pledges_by_province,
}


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_charts(report: dict[str, Any], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in CHARTS.items():
        path = directory / f"{name}.png"
        path.write_bytes(png(draw(report)))
        paths.append(path)
    return paths
