"""``/admin/reports``: the ``/lapor`` reports users agreed to share, for admins to act on.

The list shows the newest shared reports (day, category, region, the start of "what happened");
each report has its own page with every field and its photo (inline, metadata stripped on
arrival). Every list or report view writes a row to the audit log with the admin's name.
Anonymous records are only counted. Reports are not linked to anyone (see bot.reports.shared).
"""

from __future__ import annotations

import base64

import jinja2
from aiohttp import web

from bot.reports.shared import FIELDS, RETENTION_DAYS, counts, get_photo, get_shared, list_shared
from bot.runtime import Runtime
from bot.web.admin import BASE, SECURITY_HEADERS, current_admin, require_admin
from bot.web.app import RUNTIME_KEY

LABELS = {
    "what": "What happened",
    "when": "When",
    "where": "Where",
    "who": "Who was involved",
    "evidence": "Evidence",
}
CATEGORIES = {"money": "Money or goods", "promise": "A promise", "other": "Other"}
NOTE = (
    "Reports are not linked to anyone: the reporter cannot be contacted and /hapus cannot find "
    "them. Text and photo are kept {days} days from the day of the report; then only the "
    "anonymous record stays. Every view is written to the audit log."
)

LIST = """{% extends "base" %}{% block title %}Reports · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Shared reports</h1><nav><a href="/admin">Dashboard</a></nav></header>
<p class="note" id="counts">{{ shared }} shared reports; {{ anonymous }} anonymous records
(counted only).</p><p class="note">{{ note }}</p>
{% if rows %}<table id="reports"><tr><th>Day</th><th>Type</th><th>Region</th><th>What</th></tr>
{% for r in rows %}<tr><td><a href="/admin/reports/{{ r.id }}">{{ r.reported_on }}</a></td>
<td>{{ r.category }}</td><td>{{ r.region }}</td><td>{{ r.what }}{% if r.photo %} 📷{% endif %}
</td></tr>{% endfor %}</table>
{% else %}<p class="note">No shared reports.</p>{% endif %}{% endblock %}"""

ONE = """{% extends "base" %}{% block title %}Report · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>Report of {{ day }}</h1>
<nav><a href="/admin/reports">All reports</a></nav></header>
<table id="report"><tr><th>Type</th><td>{{ category }}</td></tr>
<tr><th>Region</th><td>{{ region }}</td></tr>
{% for label, value in fields %}<tr><th>{{ label }}</th>
<td style="white-space:pre-wrap">{{ value }}</td></tr>{% endfor %}</table>
{% if photo %}<img id="photo" alt="Photo sent with the report"
 src="data:image/jpeg;base64,{{ photo }}">{% endif %}
<p class="note">{{ note }}</p>{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": BASE, "list": LIST, "one": ONE}), autoescape=True
)


def _html(name: str, **values: object) -> web.Response:
    html = ENV.get_template(name).render(note=NOTE.format(days=RETENTION_DAYS), **values)
    return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)


async def _actor(request: web.Request) -> str:
    return f"dashboard:{await current_admin(request) or '?'}"


@require_admin("page")
async def reports_page(request: web.Request) -> web.StreamResponse:
    runtime: Runtime = request.app[RUNTIME_KEY]
    actor = await _actor(request)
    async with runtime.db.transaction() as session:
        reports = await list_shared(session, actor, limit=200)
        shared, anonymous = await counts(session)
    rows = [
        {
            "id": r.id,
            "reported_on": r.reported_on.isoformat(),
            "category": CATEGORIES.get(r.category, r.category),
            "region": r.region or "-",
            "what": " ".join(r.details.get("what", "").split())[:120],
            "photo": r.has_photo,
        }
        for r in reports
    ]
    return _html("list", rows=rows, shared=shared, anonymous=anonymous)


@require_admin("page")
async def report_page(request: web.Request) -> web.StreamResponse:
    runtime: Runtime = request.app[RUNTIME_KEY]
    try:
        report_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    actor = await _actor(request)
    async with runtime.db.transaction() as session:
        report = await get_shared(session, actor, report_id)
        photo = await get_photo(session, actor, report_id) if report and report.has_photo else None
    if report is None:
        raise web.HTTPNotFound(text="no such shared report\n")
    return _html(
        "one",
        day=report.reported_on.isoformat(),
        category=CATEGORIES.get(report.category, report.category),
        region=report.region or "-",
        fields=[(LABELS[f], report.details.get(f) or "-") for f in FIELDS],
        photo=base64.b64encode(photo).decode() if photo else "",
    )


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/reports", reports_page)
    app.router.add_get(r"/admin/reports/{id:\d+}", report_page)
