"""Small PNG charts of one poll question: percent per option for up to three groups (your
area, its province, the nation), with hidden (suppressed) figures left out."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

COLORS = ("#e07a1f", "#7fb3c8", "#1f6f8b")


def percent(count: int | None, n: int | None) -> float | None:
    if count is None or not n:
        return None
    return 100.0 * count / n


def bar_chart(
    title: str,
    options: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    width: float = 6.0,
) -> bytes:
    """A horizontal grouped bar chart as PNG bytes (about 20-40 KB, fast to load on a phone)."""
    height = min(1.2 + 0.45 * len(options) * max(1, len(series)), 9.0)
    fig = Figure(figsize=(width, height), dpi=80)  # fixed margins: a constrained layout is slow
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.3, right=0.95, top=1 - 0.6 / height, bottom=0.15 / height)
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    bar = 0.8 / max(1, len(series))
    for s, (name, values) in enumerate(series):
        ys = [i + s * bar for i in range(len(options))]
        xs = [v if v is not None else 0.0 for v in values]
        bars = ax.barh(ys, xs, height=bar, color=COLORS[s % len(COLORS)], label=name)
        for rect, v in zip(bars, values, strict=True):
            label = "–" if v is None else f"{v:.0f}%"
            ax.text(
                rect.get_width() + 1,
                rect.get_y() + rect.get_height() / 2,
                label,
                va="center",
                fontsize=8,
            )
    ax.set_yticks(
        [i + bar * (len(series) - 1) / 2 for i in range(len(options))],
        ["\n".join(textwrap.wrap(o, 22)) for o in options],
        fontsize=9,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xticks([])
    if len(series) > 1:
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
