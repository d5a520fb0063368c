"""``/admin/claims``: the Cek Fakta trends and the checkers' open queue, for admins.

The same figures as ``votebot claims trends`` and ``votebot claims queue``: claims forwarded most
this week with their provinces (rising ones flagged) and the unknown claims waiting for a verdict,
scrubbed of personal data. Nothing here names a user. In the dashboard's language (Indonesian by
default, ``?lang=en``, kept in a cookie).
"""

from __future__ import annotations

import jinja2
from aiohttp import web

from bot.core.factcheck.queue import open_reports
from bot.core.factcheck.trends import claim_trends
from bot.core.i18n import N_
from bot.db.models import utcnow
from bot.runtime import Runtime
from bot.web import dashboard_text as dt
from bot.web.admin import BASE, SECURITY_HEADERS, is_https, require_admin
from bot.web.app import RUNTIME_KEY

UI = {
    "dashboard": N_("Dashboard"),
    "trends": N_("Forwarded most in the last 7 days"),
    "claim": N_("Claim"),
    "this_week": N_("This week"),
    "last_week": N_("Last week"),
    "provinces": N_("Provinces"),
    "rising": N_("↑ rising"),
    "no_trends": N_("Nothing forwarded to the bot in the last 7 days."),
    "waiting": N_("Waiting for a verdict"),
    "times": N_("Times"),
    "last_seen": N_("Last seen"),
    "publish": N_("Publish with /periksa in chat or votebot claims publish."),
    "empty": N_("The queue is empty."),
}

PAGE = """{% extends "base" %}{% block title %}Cek Fakta · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Cek Fakta</h1><nav><a href="/admin">{{ s.dashboard }}</a></nav>
</header><h2>{{ s.trends }}</h2>
{% if trends %}<table id="trends"><tr><th>{{ s.claim }}</th><th>{{ s.this_week }}</th>
<th>{{ s.last_week }}</th><th>{{ s.provinces }}</th></tr>
{% for t in trends %}<tr><td>{{ t.label }}{% if t.rising %} <strong>{{ s.rising }}</strong>
{% endif %}</td><td class="num">{{ t.this_week }}</td><td class="num">{{ t.last_week }}</td>
<td>{{ t.where }}</td></tr>{% endfor %}</table>
{% else %}<p class="note">{{ s.no_trends }}</p>{% endif %}
<h2>{{ s.waiting }}</h2>
{% if queue %}<table id="queue"><tr><th>#</th><th>{{ s.times }}</th><th>{{ s.last_seen }}</th>
<th>{{ s.claim }}</th></tr>
{% for r in queue %}<tr><td>{{ r.id }}</td><td class="num">{{ r.count }}</td>
<td>{{ r.day }}</td><td>{{ r.text }}</td></tr>{% endfor %}</table>
<p class="note">{{ s.publish }}</p>
{% else %}<p class="note">{{ s.empty }}</p>{% endif %}{% endblock %}"""

ENV = jinja2.Environment(loader=jinja2.DictLoader({"base": BASE, "claims": PAGE}), autoescape=True)


@require_admin("page")
async def claims_page(request: web.Request) -> web.StreamResponse:
    runtime: Runtime = request.app[RUNTIME_KEY]
    lang, chosen = dt.choose_lang(request)
    tr = runtime.core.translator(lang)
    async with runtime.db.sessions() as session:
        trends = await claim_trends(session, utcnow().date())
        reports = await open_reports(session, 50)
    rows = []
    for t in trends:
        claim = runtime.content.get("claims", t.key, lang)
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
    html = ENV.get_template("claims").render(
        lang=lang, s={k: tr.gettext(v) for k, v in UI.items()}, trends=rows, queue=queue
    )
    response = web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)
    if chosen:
        dt.remember(response, lang, is_https(request))
    return response


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/claims", claims_page)
