"""How a poll question and its options read in a chat, in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.polls.spec import MULTI, OPEN, SCALE, Question
from bot.core.polls.typed import LETTERS

#: The standard labels of a 1-5 scale (translated when shown).
SCALE_LABELS = (
    N_("Strongly disagree"),
    N_("Disagree"),
    N_("Neutral"),
    N_("Agree"),
    N_("Strongly agree"),
)
AGE_LABELS = {"17-20": "17–20", "21-25": "21–25", "26-30": "26–30", "30+": "30+"}


def localized(texts: dict[str, str], locale: str, default_locale: str) -> str:
    return texts.get(locale) or texts.get(default_locale) or next(iter(texts.values()), "")


def option_labels(
    q: Question, locale: str, default_locale: str, gettext: Callable[[str], str]
) -> list[str]:
    """The options' labels as counted (a scale: its five points, "1 · Strongly disagree")."""
    if q.kind == SCALE:
        if q.options:
            names = [localized(o, locale, default_locale) for o in q.options]
        else:
            names = [gettext(label) for label in SCALE_LABELS]
        return [f"{i + 1} · {name}" for i, name in enumerate(names)]
    return [localized(o, locale, default_locale) for o in q.options]


def button_labels(q: Question, labels: list[str], selected: int = 0) -> list[str]:
    """Labels for the answer buttons: letters for choices, ✅ for picked multiple choices."""
    if q.kind == SCALE:
        return labels
    out = []
    for i, label in enumerate(labels):
        mark = "✅ " if q.kind == MULTI and selected >> i & 1 else ""
        out.append(f"{mark}{LETTERS[i].upper()}. {label}")
    return out


def answer_text(
    q: Question, value: int | None, labels: list[str], gettext: Callable[[str], str]
) -> str:
    """A stored answer as words."""
    if value is None:
        return gettext("skipped")
    if q.kind == OPEN:
        return gettext("written")
    if q.kind == SCALE:
        return labels[value - 1] if 1 <= value <= len(labels) else "?"
    if q.kind == MULTI:
        return ", ".join(labels[i] for i in range(len(labels)) if value >> i & 1) or "?"
    return labels[value] if 0 <= value < len(labels) else "?"


def sources_line(q: Question, gettext: Callable[[str], str]) -> str:
    if not q.sources:
        return ""
    parts = [
        f"[{escape(s['title'])}]({s['url']})" if s.get("url") else escape(s["title"])
        for s in q.sources
    ]
    return "\n_" + gettext("Sources:") + "_ " + "; ".join(parts)


def question_text(
    q: Question,
    index: int,
    total: int,
    locale: str,
    default_locale: str,
    gettext: Callable[[str], str],
    current: str | None = None,
) -> str:
    head = gettext("Question {n} of {total}").format(n=index + 1, total=total)
    text = f"_{head}_\n**{escape(localized(q.text, locale, default_locale))}**"
    text += sources_line(q, gettext)
    hints: dict[str, str] = {
        "single": N_("Tap an answer, or type its letter."),
        "multi": N_("Tap every answer that fits, then ✔️ Done. Or type letters, e.g. A, C."),
        "scale": N_("Tap 1 to 5, or type it in words (e.g. “setuju banget”)."),
        "open": N_("Type a short answer (no names, numbers or links, please)."),
    }
    text += "\n\n" + gettext(hints[q.kind])
    if current is not None:
        text += "\n" + gettext("Your answer now: {answer}").format(answer=escape(current))
    return text
