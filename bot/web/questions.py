"""``/admin/questions``: the unanswered-questions queue on the dashboard (as ``votebot questions``).

Installed through ``WEB_EXTENSIONS`` (``bot.web.questions:install``), behind the dashboard login.
The queue holds no user ids; the page shows what ``votebot questions`` prints, grouped, most
asked first, with each FAQ entry's 👍/👎 counts, in the dashboard's language (Indonesian by
default, ``?lang=en``, kept in a cookie).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jinja2
from aiohttp import web

from bot.core.i18n import N_
from bot.core.questions import question_groups
from bot.web.admin import COOKIE, csrf_token, current_admin, is_https, require_admin
from bot.web.app import RUNTIME_KEY
from bot.web.dashboard_text import choose_lang, remember
from bot.web.templates import ENV, SECURITY_HEADERS

UI = {
    "title": N_("Unanswered questions"),
    "heading": N_("Teman Pemilih: unanswered questions"),
    "signed_in": N_("signed in as"),
    "logout": N_("Log out"),
    "back": N_("← engagement"),
    "from": N_("From"),
    "show": N_("Show"),
    "reset": N_("reset"),
    "about": N_(
        "Questions the bot could not answer, and answers marked 👎, kept 90 days without any "
        "user id (NIKs, phone numbers, e-mails and links removed). Grouped by the same "
        "normalised text or the nearest FAQ entry, most asked first. Add an FAQ entry for a "
        "group, then {command} shows what it now answers."
    ),
    "asked": N_("asked"),
    "unanswered": N_("unanswered"),
    "waiting": N_("waiting"),
    "group": N_("group"),
    "answered_by": N_("now answered by"),
    "days": N_("days"),
    "examples": N_("examples"),
    "empty": N_("Nothing queued."),
    "bad_date": N_("From must be a date like 2026-11-30."),
}

QUESTIONS = """{% extends "base" %}
{% block title %}{{ s.title }} · Teman Pemilih admin{% endblock %}
{% block body %}
<header><h1>{{ s.heading }}</h1>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<span class="note">{{ s.signed_in }} {{ admin }}</span>
<button type="submit" id="logout">{{ s.logout }}</button></form>
</header>
<nav><a href="/admin">{{ s.back }}</a>
<a href="/admin/questions.json{{ query }}" id="questions-json">JSON</a></nav>
<form method="get" action="/admin/questions" id="range">
<label>{{ s.from }} <input type="date" name="since" value="{{ since }}"></label>
<button type="submit">{{ s.show }}</button> <a href="/admin/questions">{{ s.reset }}</a></form>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<p class="note">{{ about_before }}<code>votebot questions check</code>{{ about_after }}</p>
{% if groups %}<div class="scroll"><table id="questions">
<tr><th>{{ s.asked }}</th><th>{{ s.unanswered }}</th><th>👎</th><th>{{ s.waiting }}</th>
<th>{{ s.group }}</th><th>FAQ 👍</th><th>FAQ 👎</th><th>{{ s.answered_by }}</th>
<th>{{ s.days }}</th><th>{{ s.examples }}</th></tr>
{% for g in groups %}<tr>
<td class="num">{{ g.count }}</td><td class="num">{{ g.unanswered }}</td>
<td class="num">{{ g.thumbs_down }}</td><td class="num">{{ g.waiting_to_be_told }}</td>
<td>{% if g.faq %}{{ g.faq }}{% if g.faq_title %} ({{ g.faq_title }}){% endif %}
{% else %}“{{ g.group[5:] }}”{% endif %}</td>
<td class="num">{{ g.faq_helpful if g.faq else "" }}</td>
<td class="num">{{ g.faq_not_helpful if g.faq else "" }}</td>
<td>{{ g.answered_by or "" }}</td><td>{{ g.first }} – {{ g.last }}</td>
<td>{% for e in g.examples %}{{ e }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>
</tr>{% endfor %}</table></div>
{% else %}<p class="note" id="empty">{{ s.empty }}</p>{% endif %}
{% endblock %}"""

_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [ENV.loader, jinja2.DictLoader({"questions": QUESTIONS})]  # type: ignore[list-item]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


async def _groups(
    request: web.Request, since: dt.date | None, locale: str | None = None
) -> list[dict[str, Any]]:
    runtime = request.app[RUNTIME_KEY]
    async with runtime.db.transaction() as session:
        groups = await question_groups(
            session,
            runtime.content,
            since=since,
            locale=locale or runtime.settings.default_locale,
        )
    return [g.as_dict() for g in groups]


def _since(request: web.Request) -> dt.date | None:
    value = request.query.get("since") or None
    return dt.date.fromisoformat(value) if value else None


@require_admin("page")
async def questions_page(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    lang, chosen = choose_lang(request)
    t = runtime.core.translator(lang)
    strings = {k: t.gettext(v) for k, v in UI.items()}
    about_before, _, about_after = strings["about"].partition("{command}")
    values: dict[str, Any] = {
        "lang": lang,
        "s": strings,
        "about_before": about_before,
        "about_after": about_after,
        "admin": await current_admin(request),
        "csrf": csrf_token(runtime, request.cookies[COOKIE]),
        "since": request.query.get("since", ""),
        "query": "",
        "error": None,
        "groups": [],
    }
    try:
        since = _since(request)
    except ValueError:
        values["error"] = strings["bad_date"]
        status = 400
    else:
        values["groups"] = await _groups(request, since, lang)
        values["query"] = f"?since={since.isoformat()}" if since else ""
        status = 200
    html = _ENV.get_template("questions").render(**values)
    response = web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )
    if chosen:
        remember(response, lang, is_https(request))
    return response


@require_admin("data")
async def questions_json(request: web.Request) -> web.StreamResponse:
    try:
        since = _since(request)
    except ValueError:
        raise web.HTTPBadRequest(text="since must be a date like 2026-11-30\n") from None
    payload = {
        "since": since.isoformat() if since else None,
        "groups": await _groups(request, since),
    }
    return web.Response(
        text=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        headers=SECURITY_HEADERS,
    )


def install(app: web.Application, runtime: object) -> None:
    """Add ``/admin/questions`` (a ``WEB_EXTENSIONS`` entry)."""
    app.router.add_get("/admin/questions", questions_page)
    app.router.add_get("/admin/questions.json", questions_json)
