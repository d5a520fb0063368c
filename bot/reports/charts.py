"""PNG charts of a report, drawn with matplotlib's Agg backend (no display needed).

Every title, axis and note is in the reader's language (a :class:`Translator`: the dashboard's
chosen language, or ``votebot report --charts DIR --lang``); numbers are formatted for it too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.i18n import N_, Translator
from bot.reports.period import MIN_CELL, MIN_SAMPLE, UNKNOWN

COLOR = "#1f6f8b"
ACCENT = "#e07a1f"
#: Each chart's title (also the image's alt text on the dashboard).
TITLES = {
    "daily_active_users": N_("Daily active users (Jakarta days)"),
    "quiz_funnel": N_("Quiz funnel"),
    "hardest_questions": N_("Hardest questions"),
    "pledges_by_province": N_("Pledges by province"),
}


def _figure(title: str, height: float = 4.5) -> tuple[Figure, Any]:
    fig = Figure(figsize=(9, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=14, fontweight="bold", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", alpha=0.25)
    return fig, ax


def _empty(ax: Any, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=13, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _no_data(t: Translator) -> str:
    return t.gettext("No data in this period")


def daily_active(report: dict[str, Any], t: Translator) -> Figure:
    rows = report["users"]["daily_active"]
    fig, ax = _figure(t.gettext(TITLES["daily_active_users"]))
    if not any(r["users"] for r in rows):
        _empty(ax, _no_data(t))
        return fig
    days = [r["day"] for r in rows]
    values = [r["users"] for r in rows]
    ax.plot(range(len(days)), values, color=COLOR, marker="o" if len(days) <= 60 else None)
    ax.fill_between(range(len(days)), values, color=COLOR, alpha=0.15)
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), days[::step], rotation=30, ha="right")
    ax.set_xlabel(t.gettext("day"))
    ax.set_ylabel(t.gettext("users who sent a message"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # people: whole numbers only
    ax.set_ylim(bottom=0)
    return fig


def quiz_funnel(report: dict[str, Any], t: Translator) -> Figure:
    q = report["quizzes"]
    fig, ax = _figure(t.gettext(TITLES["quiz_funnel"]))
    stages = [
        (t.gettext("started"), q["started"]),
        (t.gettext("completed"), q["completed"]),
        (t.gettext("certificate"), q["certificates"]),
    ]
    if not q["started"]:
        _empty(ax, _no_data(t))
        return fig
    labels = [s for s, _ in stages]
    values = [v for _, v in stages]
    bars = ax.bar(labels, values, color=[COLOR, COLOR, ACCENT])
    for bar, v in zip(bars, values, strict=True):
        pct = f" ({t.percent(v / q['started'])})" if q["started"] else ""
        ax.annotate(
            f"{t.number(v)}{pct}",
            (bar.get_x() + bar.get_width() / 2, v),
            ha="center",
            va="bottom",
            fontsize=11,
        )
    ax.set_ylim(0, max(values) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(t.gettext("quiz attempts"))
    return fig


def hardest_questions(report: dict[str, Any], t: Translator, limit: int = 10) -> Figure:
    # Ranked only among questions at least MIN_SAMPLE people answered (one person, one answer).
    rows = [r for r in report["quizzes"]["questions"] if r["answered"] >= MIN_SAMPLE][:limit]
    fig, ax = _figure(
        t.gettext(TITLES["hardest_questions"]), height=max(3.5, 0.45 * len(rows) + 1.5)
    )
    if not rows:
        _empty(
            ax,
            t.gettext("No question answered by {n} or more people yet").format(n=MIN_SAMPLE),
        )
        return fig
    labels = [f"{r['quiz_id']} / {r['question_id']}" for r in rows][::-1]
    rates = [(r["rate"] or 0) * 100 for r in rows][::-1]
    bars = ax.barh(labels, rates, color=COLOR)
    for bar, r in zip(bars, rows[::-1], strict=True):
        ax.annotate(
            " "
            + t.gettext("{percent} of {n}").format(
                percent=t.percent(r["rate"] or 0), n=t.number(r["answered"])
            ),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=10,
        )
    ax.set_xlim(0, 110)
    ax.set_xlabel(
        t.gettext("answered correctly (%, questions answered by {n}+ people)").format(n=MIN_SAMPLE)
    )
    return fig


def pledges_by_province(report: dict[str, Any], t: Translator, limit: int = 20) -> Figure:
    shown = [r for r in report["pledges"]["by_province"] if not r["suppressed"]]
    rows = shown[:limit]
    hidden = sum(1 for r in report["pledges"]["by_province"] if r["suppressed"])
    title = t.gettext(TITLES["pledges_by_province"])
    if len(shown) > limit:
        title = t.gettext("Pledges by province (top {n})").format(n=limit)
    fig, ax = _figure(title, height=max(3.5, 0.4 * len(rows) + 1.8))
    if not rows:
        _empty(
            ax,
            t.gettext("No province with enough pledges to show")
            if hidden
            else t.gettext("No pledges in this period"),
        )
        return fig
    labels = [t.gettext(r["province"]) if r["province"] == UNKNOWN else r["province"] for r in rows]
    labels = labels[::-1]
    values = [r["pledges"] for r in rows][::-1]
    bars = ax.barh(labels, values, color=COLOR)
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(
            f" {t.number(v)}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center"
        )
    ax.set_xlabel(t.gettext("pledges signed"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if hidden:  # under the axis, not beside the title (two titles overlap on narrow charts)
        ax.set_xlabel(
            t.ngettext(
                "pledges signed ({n} province with fewer than {min} not shown)",
                "pledges signed ({n} provinces with fewer than {min} not shown)",
                hidden,
            ).format(n=hidden, min=MIN_CELL)
        )
    return fig


CHARTS: dict[str, Callable[[dict[str, Any], Translator], Figure]] = {
    "daily_active_users": daily_active,
    "quiz_funnel": quiz_funnel,
    "hardest_questions": hardest_questions,
    "pledges_by_province": pledges_by_province,
}


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_charts(report: dict[str, Any], directory: Path, t: Translator) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in CHARTS.items():
        path = directory / f"{name}.png"
        path.write_bytes(png(draw(report, t)))
        paths.append(path)
    return paths
