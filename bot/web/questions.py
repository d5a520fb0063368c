"""``/admin/questions``: the unanswered-questions queue on the dashboard (as ``votebot questions``).

Installed through ``WEB_EXTENSIONS`` (``bot.web.questions:install``), behind the dashboard login.
The queue holds no user ids; the page shows what ``votebot questions`` prints, grouped, most
asked first, with each FAQ entry's 👍/👎 counts.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jinja2
from aiohttp import web

from bot.core.questions import question_groups
from bot.web.admin import COOKIE, csrf_token, current_admin, require_admin
from bot.web.app import RUNTIME_KEY
from bot.web.templates import ENV, SECURITY_HEADERS

QUESTIONS = """{% extends "base" %}
{% block title %}Unanswered questions · Teman Pemilih admin{% endblock %}
{% block body %}
<header><h1>Teman Pemilih: unanswered questions</h1>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<span class="note">signed in as {{ admin }}</span>
<button type="submit" id="logout">Log out</button></form>
</header>
<nav><a href="/admin">← engagement</a>
<a href="/admin/questions.json{{ query }}" id="questions-json">JSON</a></nav>
<form method="get" action="/admin/questions" id="range">
<label>From <input type="date" name="since" value="{{ since }}"></label>
<button type="submit">Show</button> <a href="/admin/questions">reset</a></form>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<p class="note">Questions the bot could not answer, and answers marked 👎, kept 90 days without
any user id (NIKs, phone numbers, e-mails and links removed). Grouped by the same normalised
text or the nearest FAQ entry, most asked first. Add an FAQ entry for a group, then
<code>votebot questions check</code> shows what it now answers.</p>
{% if groups %}<table id="questions">
<tr><th>asked</th><th>unanswered</th><th>👎</th><th>waiting</th><th>group</th>
<th>FAQ 👍</th><th>FAQ 👎</th><th>now answered by</th><th>days</th><th>examples</th></tr>
{% for g in groups %}<tr>
<td class="num">{{ g.count }}</td><td class="num">{{ g.unanswered }}</td>
<td class="num">{{ g.thumbs_down }}</td><td class="num">{{ g.waiting_to_be_told }}</td>
<td>{% if g.faq %}{{ g.faq }}{% if g.faq_title %} ({{ g.faq_title }}){% endif %}
{% else %}“{{ g.group[5:] }}”{% endif %}</td>
<td class="num">{{ g.faq_helpful if g.faq else "" }}</td>
<td class="num">{{ g.faq_not_helpful if g.faq else "" }}</td>
<td>{{ g.answered_by or "" }}</td><td>{{ g.first }} – {{ g.last }}</td>
<td>{% for e in g.examples %}{{ e }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>
</tr>{% endfor %}</table>
{% else %}<p class="note" id="empty">Nothing queued.</p>{% endif %}
{% endblock %}"""

_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [ENV.loader, jinja2.DictLoader({"questions": QUESTIONS})]  # type: ignore[list-item]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


async def _groups(request: web.Request, since: dt.date | None) -> list[dict[str, Any]]:
    runtime = request.app[RUNTIME_KEY]
    async with runtime.db.transaction() as session:
        groups = await question_groups(
            session, runtime.content, since=since, locale=runtime.settings.default_locale
        )
    return [g.as_dict() for g in groups]


def _since(request: web.Request) -> dt.date | None:
    value = request.query.get("since") or None
    return dt.date.fromisoformat(value) if value else None


@require_admin("page")
async def questions_page(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    values: dict[str, Any] = {
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
        values["error"] = "From must be a date like 2026-11-30."
        status = 400
    else:
        values["groups"] = await _groups(request, since)
        values["query"] = f"?since={since.isoformat()}" if since else ""
        status = 200
    html = _ENV.get_template("questions").render(**values)
    return web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


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
