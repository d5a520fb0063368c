"""The dashboard's polls section (``/admin/polls``): each poll's status, respondents, response
rate per segment and per province (cells under 10 hidden) and the time to reach N answers.

A poll awaiting approval shows its questions and an Approve button: a POST to
``/admin/polls/{id}/approve`` with the session's CSRF token, as every admin POST. Dashboard
sessions belong to admins only (the shared token, or a per-admin token whose holder is still an
admin); a per-admin session cannot approve a poll that admin created (a second person approves).
"""

from __future__ import annotations

import hmac
from typing import Any

import jinja2
from aiohttp import web

from bot.core.polls import store
from bot.core.polls.evidence import evidence
from bot.core.polls.render import localized
from bot.db.models import User
from bot.db.models_poll import AWAITING_APPROVAL
from bot.reports.data import SUPPRESSED
from bot.runtime import Runtime
from bot.web.admin import (
    BASE,
    COOKIE,
    PER_ADMIN_PREFIX,
    SECURITY_HEADERS,
    csrf_token,
    current_admin,
    require_admin,
)
from bot.web.app import RUNTIME_KEY

POLLS = """{% extends "base" %}{% block title %}Polls · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Suara Muda polls</h1><a href="/admin">← engagement</a></header>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if approved %}<p id="approved">Poll {{ approved }} approved.</p>{% endif %}
{% if not polls %}<p class="note" id="none">No polls yet: votebot poll create ID.</p>{% endif %}
{% for p in polls %}<section id="poll-{{ p.id }}"><h2>{{ p.title }}</h2>
<p class="note">{{ p.id }} · {{ p.status }} · {{ p.opens }} → {{ p.closes }} UTC ·
segment <code>{{ p.segment }}</code></p>
{% if p.awaiting %}<ol class="questions">{% for q in p.questions %}<li>{{ q }}</li>{% endfor %}
</ol><form method="post" action="/admin/polls/{{ p.id }}/approve" class="approve">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit" id="approve-{{ p.id }}">Approve</button></form>{% endif %}
<table class="evidence"><tr><th>invitations sent</th><th>answered from the invitation</th>
<th>response rate</th><th>answered without an invitation</th></tr>
<tr><td class="num">{{ p.e.invitations_sent }}</td>
<td class="num">{{ p.e.answered_from_invitation }}</td>
<td class="num">{{ p.rate }}</td>
<td class="num">{{ p.e.answered_without_invitation }}</td></tr></table>
{% if p.e.by_province %}<h3>Per province</h3><table class="by-province">
<tr><th>province</th><th>sent</th><th>answered</th><th>rate</th></tr>
{% for r in p.e.by_province %}<tr><td>{{ r.province }}</td>
<td class="num">{{ hidden if r.invitations_sent is none else r.invitations_sent }}</td>
<td class="num">{{ hidden if r.answered is none else r.answered }}</td>
<td class="num">{{ "" if r.response_rate is none else "%.1f%%" % (r.response_rate * 100) }}
</td></tr>
{% endfor %}</table>{% endif %}
{% if p.e.time_to_answers %}<h3>Time to reach N answers</h3><table class="time-to">
{% for n, s in p.e.time_to_answers.items() %}<tr><td class="num">{{ n }}</td>
<td class="num">{{ "%.1f" % (s / 3600) }} h</td></tr>{% endfor %}</table>{% endif %}
</section>{% endfor %}{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": BASE, "polls": POLLS}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@require_admin("page")
async def polls_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, 200, approved=request.query.get("approved", "")[:48])


async def _page(
    request: web.Request, status: int, *, error: str = "", approved: str = ""
) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    default = runtime.settings.default_locale
    items: list[dict[str, Any]] = []
    async with runtime.db.sessions() as session:
        for poll in await store.list_polls(session):
            e = (await evidence(session, poll)).as_dict()
            rate = e["response_rate"]
            items.append(
                {
                    "id": poll.id,
                    "title": poll.title,
                    "status": poll.status,
                    "segment": poll.segment,
                    "opens": f"{poll.opens_at:%Y-%m-%d %H:%M}",
                    "closes": f"{poll.closes_at:%Y-%m-%d %H:%M}",
                    "e": e,
                    "rate": "–" if rate is None else f"{rate:.1%}",
                    "awaiting": poll.status == AWAITING_APPROVAL,
                    "questions": [
                        localized(q.text, default, default) for q in store.questions(poll)
                    ],
                }
            )
    html = ENV.get_template("polls").render(
        polls=items,
        hidden=SUPPRESSED,
        csrf=csrf_token(runtime, request.cookies.get(COOKIE, "")),
        error=error,
        approved=approved if any(p["id"] == approved for p in items) else "",
    )
    return web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


@require_admin("page")
async def approve(request: web.Request) -> web.StreamResponse:
    """Approve a poll (CSRF-checked); the page again with the outcome."""
    runtime = request.app[RUNTIME_KEY]
    form = await request.post()
    given = form.get("csrf")
    cookie = request.cookies.get(COOKIE, "")
    if not isinstance(given, str) or not hmac.compare_digest(given, csrf_token(runtime, cookie)):
        raise web.HTTPForbidden(text="bad or missing CSRF token\n")
    admin = await current_admin(request) or ""
    poll_id = request.match_info["id"]
    async with runtime.db.transaction() as session:
        actor = None
        if admin.startswith(PER_ADMIN_PREFIX):
            actor = await session.get(User, int(admin.removeprefix(PER_ADMIN_PREFIX)))
            if actor is None:
                raise web.HTTPForbidden(text="not an admin\n")
        try:
            await store.approve(session, poll_id, actor, via="dashboard")
        except store.PollError as exc:
            await session.rollback()
            return await _page(request, 400, error=str(exc))
    raise web.HTTPSeeOther(f"/admin/polls?approved={poll_id}")


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/polls", polls_page)
    app.router.add_post("/admin/polls/{id}/approve", approve)
