"""``/admin/claims``: the Cek Fakta trends and the checkers' open queue, for admins.

The same figures as ``votebot claims trends`` and ``votebot claims queue``: claims forwarded most
this week with their provinces (rising ones flagged) and the unknown claims waiting for a verdict,
scrubbed of personal data. Nothing here names a user.
"""

from __future__ import annotations

import jinja2
from aiohttp import web

from bot.core.factcheck.queue import open_reports
from bot.core.factcheck.trends import claim_trends
from bot.db.models import utcnow
from bot.runtime import Runtime
from bot.web.admin import BASE, SECURITY_HEADERS, require_admin
from bot.web.app import RUNTIME_KEY

PAGE = """{% extends "base" %}{% block title %}Cek Fakta · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Cek Fakta</h1><nav><a href="/admin">Dashboard</a></nav></header>
<h2>Forwarded most in the last 7 days</h2>
{% if trends %}<table id="trends"><tr><th>Claim</th><th>This week</th><th>Last week</th>
<th>Provinces</th></tr>
{% for t in trends %}<tr><td>{{ t.label }}{% if t.rising %} <strong>↑ rising</strong>{% endif %}
</td><td class="num">{{ t.this_week }}</td><td class="num">{{ t.last_week }}</td>
<td>{{ t.where }}</td></tr>{% endfor %}</table>
{% else %}<p class="note">Nothing forwarded to the bot in the last 7 days.</p>{% endif %}
<h2>Waiting for a verdict</h2>
{% if queue %}<table id="queue"><tr><th>#</th><th>Times</th><th>Last seen</th><th>Claim</th></tr>
{% for r in queue %}<tr><td>{{ r.id }}</td><td class="num">{{ r.count }}</td>
<td>{{ r.day }}</td><td>{{ r.text }}</td></tr>{% endfor %}</table>
<p class="note">Publish with /periksa in chat or votebot claims publish.</p>
{% else %}<p class="note">The queue is empty.</p>{% endif %}{% endblock %}"""

ENV = jinja2.Environment(loader=jinja2.DictLoader({"base": BASE, "claims": PAGE}), autoescape=True)


@require_admin("page")
async def claims_page(request: web.Request) -> web.StreamResponse:
    runtime: Runtime = request.app[RUNTIME_KEY]
    async with runtime.db.sessions() as session:
        trends = await claim_trends(session, utcnow().date())
        reports = await open_reports(session, 50)
    rows = []
    for t in trends:
        claim = runtime.content.get("claims", t.key, runtime.settings.default_locale)
        label = claim.meta.title if claim is not None else (t.text[:120] or t.key)
        where = ", ".join(f"{p} {n}" for p, n in t.provinces.most_common(5))
        rows.append(
            {
                "label": f"{t.key}: {label}",
                "this_week": t.this_week,
                "last_week": t.last_week,
                "rising": t.rising,
                "where": where,
            }
        )
    queue = [
        {
            "id": r.id,
            "count": r.count,
            "day": r.last_seen_at.date().isoformat(),
            "text": r.text[:300],
        }
        for r in reports
    ]
    html = ENV.get_template("claims").render(trends=rows, queue=queue)
    return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/claims", claims_page)
