"""The dashboard's polls section (``/admin/polls``): each poll's status, respondents, response
rate per segment and per province (cells under 10 hidden) and the time to reach N answers."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from bot.core.polls import store
from bot.core.polls.evidence import evidence
from bot.reports.data import SUPPRESSED
from bot.runtime import Runtime
from bot.web.admin import BASE, SECURITY_HEADERS, require_admin
from bot.web.app import RUNTIME_KEY

POLLS = """{% extends "base" %}{% block title %}Polls · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Suara Muda polls</h1><a href="/admin">← engagement</a></header>
{% if not polls %}<p class="note" id="none">No polls yet: votebot poll create ID.</p>{% endif %}
{% for p in polls %}<section id="poll-{{ p.id }}"><h2>{{ p.title }}</h2>
<p class="note">{{ p.id }} · {{ p.status }} · {{ p.opens }} → {{ p.closes }} UTC ·
segment <code>{{ p.segment }}</code></p>
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
    runtime = request.app[RUNTIME_KEY]
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
                }
            )
    html = ENV.get_template("polls").render(polls=items, hidden=SUPPRESSED)
    return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/polls", polls_page)
