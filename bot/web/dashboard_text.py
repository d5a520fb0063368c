"""The dashboard in the admin's language: Indonesian by default, English by choice.

``?lang=en`` (or ``?lang=id``) picks the language and a cookie remembers it. Every label comes
from the Babel catalogs like the bot's own text (written in English with ``N_``, translated in
``locales/id``). Tables show human labels, percentages instead of rates, question text instead
of slugs and broadcasts by title and status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from babel.numbers import format_percent

from bot.core.content import ContentStore
from bot.core.i18n import N_, Translator
from bot.reports.data import SUPPRESSED
from bot.reports.headline import Figure
from bot.reports.period import UNKNOWN
from bot.reports.render import tables

LANGS = ("id", "en")
DEFAULT_LANG = "id"
LANG_COOKIE = "votebot_lang"

TITLES = {
    "users": N_("Users"),
    "quizzes": N_("Quizzes"),
    "pledges": N_("Pledges"),
    "tps": N_("Polling-station (TPS) lookups"),
    "reports": N_("Money-politics reports"),
    "broadcasts": N_("Broadcasts"),
    "referrals": N_("Referral codes"),
}
HEADLINE = {
    "new_users": N_("New users"),
    "active_users": N_("Active users"),
    "quizzes_completed": N_("Quizzes completed"),
    "pledges": N_("Pledges signed"),
    "reports": N_("Reports"),
}
#: Labels for the report's keys (table names, metrics and columns).
LABELS = {
    "summary": N_("Summary"),
    "metric": N_("Figure"),
    "value": N_("Value"),
    "total": N_("Total"),
    "new": N_("New"),
    "active": N_("Active users"),
    "daily": N_("Today"),
    "weekly": N_("Last 7 days"),
    "monthly": N_("Last 30 days"),
    "daily_active": N_("Active users per day"),
    "day": N_("Day"),
    "users": N_("Users"),
    "by_channel": N_("By channel"),
    "channel": N_("Channel"),
    "by_locale": N_("By language"),
    "locale": N_("Language"),
    "by_province": N_("By province"),
    "province": N_("Province"),
    "by_kabupaten": N_("By kabupaten/kota"),
    "kabupaten": N_("Kabupaten/kota"),
    "started": N_("Started"),
    "completed": N_("Completed"),
    "completion_rate": N_("Completed (%)"),
    "average_score": N_("Average score"),
    "average_percent": N_("Average score (%)"),
    "certificates": N_("People with a certificate"),
    "by_quiz": N_("By quiz"),
    "quiz_id": N_("Quiz"),
    "questions": N_("Questions, hardest first"),
    "question_id": N_("Question"),
    "answered": N_("People who answered"),
    "correct": N_("Answered correctly"),
    "rate": N_("Correct (%)"),
    "withdrawn": N_("Withdrawn"),
    "net": N_("Standing pledges"),
    "viewed": N_("Viewed"),
    "reminder_opt_ins": N_("Asked for a reminder"),
    "pledges": N_("Pledges"),
    "per_day": N_("Per day"),
    "signed": N_("Signed"),
    "lookups": N_("Lookups"),
    "found": N_("Found a TPS"),
    "found_rate": N_("Found (%)"),
    "regions_saved": N_("Areas saved"),
    "by_method": N_("By method"),
    "method": N_("Method"),
    "with_consent": N_("Shared with the team"),
    "by_category": N_("By type"),
    "category": N_("Type"),
    "reports": N_("Reports"),
    "created": N_("Created"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "blocked": N_("Blocked the bot"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "failed_by_reason": N_("Failures by reason"),
    "reason": N_("Reason"),
    "by_broadcast": N_("By broadcast"),
    "broadcast_id": N_("Broadcast"),
    "status": N_("Status"),
    "audience": N_("Audience"),
    "joined": N_("Joined"),
    "codes": N_("Codes"),
    "code": N_("Code"),
    "kind": N_("Kind"),
    "quizzes_completed": N_("Quizzes completed"),
}
UI = {
    "title": N_("Teman Pemilih: this week at a glance"),
    "signed_in": N_("signed in as"),
    "logout": N_("Log out"),
    "from": N_("From"),
    "to": N_("to"),
    "show": N_("Show"),
    "reset": N_("reset"),
    "headline": N_("This week (last 7 days) against the week before"),
    "last_week": N_("last week"),
    "unanswered": N_("Unanswered questions"),
    "shared_reports": N_("Shared reports"),
    "fact_checks": N_("Cek Fakta"),
    "polls": N_("Polls"),
    "experiments": N_("Experiments"),
    "download": N_("Download CSV"),
    "none": N_("none"),
    "days": N_(
        "Days are Asia/Jakarta (WIB) days. Regional cells under {min_cell} users show as "
        "{suppressed}. A user is an account that still exists."
    ),
    "period": N_("From {since} to {until}"),
    "beginning": N_("the beginning"),
    "language": N_("Bahasa Indonesia · English"),
}


LOGIN = {
    "log_in": N_("Log in"),
    "token": N_("Admin token"),
    "disabled": N_("The dashboard is disabled: set VOTEBOT_ADMIN_TOKEN."),
}
EXPIRED = N_("The form expired. Please enter the token again.")
WRONG_TOKEN = N_("That token is not valid.")
TOO_MANY = N_("Too many wrong tokens from here. Wait 15 minutes, then try again.")


def choose_lang(request: web.Request) -> tuple[str, bool]:
    """The admin's language, and whether it was just chosen (so the cookie should be set)."""
    asked = request.query.get("lang")
    if asked in LANGS:
        return asked, True
    kept = request.cookies.get(LANG_COOKIE)
    return (kept, False) if kept in LANGS else (DEFAULT_LANG, False)


def remember(response: web.StreamResponse, lang: str, secure: bool) -> None:
    response.set_cookie(
        LANG_COOKIE, lang, max_age=365 * 86400, path="/admin", samesite="Strict", secure=secure
    )


def ui(t: Translator) -> dict[str, str]:
    return {k: t.gettext(v) for k, v in UI.items()}


def label(t: Translator, key: str) -> str:
    return t.gettext(LABELS[key]) if key in LABELS else key.replace("_", " ")


def percent(t: Translator, value: str) -> str:
    try:
        return str(format_percent(float(value), locale=t.locale))
    except ValueError:
        return value


def headline_cards(t: Translator, figures: list[Figure]) -> list[dict[str, str]]:
    cards = []
    for f in figures:
        change = "" if f.change is None else percent(t, f"{f.change:+.4f}")
        if change and not change.startswith(("-", "−")):
            change = "+" + change
        cards.append(
            {
                "key": f.key,
                "label": t.gettext(HEADLINE[f.key]),
                "value": t.number(f.this_week),
                "last": t.number(f.last_week),
                "change": change,
            }
        )
    return cards


@dataclass(frozen=True)
class DisplayTable:
    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]


def _question_text(content: ContentStore, lang: str, quiz_id: str, question_id: str) -> str:
    quiz = content.get("quizzes", quiz_id, lang)
    question = quiz.question(question_id) if quiz is not None else None
    return str(question.text) if question is not None else question_id


def display_tables(
    t: Translator,
    content: ContentStore,
    section_name: str,
    section: dict[str, Any],
    broadcasts: dict[str, tuple[str, str]],
) -> list[DisplayTable]:
    """A section's tables with human labels, percentages, question text and broadcast titles."""
    out = []
    for table in tables(section):
        columns = list(table.columns)
        rows = [[t.gettext(UNKNOWN) if v == UNKNOWN else v for v in r] for r in table.rows]
        if columns == ["metric", "value"]:
            for r in rows:
                if r[0].endswith("rate"):
                    r[1] = percent(t, r[1])
                r[0] = label(t, r[0])
        else:
            for i, c in enumerate(columns):
                if c.endswith("rate"):
                    for r in rows:
                        r[i] = percent(t, r[i])
            if table.name == "questions" and "question_id" in columns:
                qi, qq = columns.index("quiz_id"), columns.index("question_id")
                for r in rows:
                    r[qq] = _question_text(content, t.locale, r[qi], r[qq])
            if table.name == "by_broadcast" and "broadcast_id" in columns:
                bi = columns.index("broadcast_id")
                columns.insert(bi + 1, "status")
                for r in rows:
                    title, status = broadcasts.get(r[bi], (r[bi], ""))
                    r[bi] = f"#{r[bi]} {title}"
                    r.insert(bi + 1, status)
        out.append(
            DisplayTable(
                f"{section_name}-{table.name}",
                label(t, table.name),
                [label(t, c) for c in columns],
                rows,
            )
        )
    return out


def numeric(value: str) -> bool:
    v = value.replace(".", "").replace(",", "").replace("%", "").replace("\xa0", "").strip()
    return value == SUPPRESSED or v.removeprefix("-").removeprefix("+").isdigit()
