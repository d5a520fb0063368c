"""``/admin/reports``: the ``/lapor`` reports users agreed to share, for admins to act on.

The list shows the newest shared reports (day, category, region, the start of "what happened");
each report has its own page with every field and its photo (inline, metadata stripped on
arrival). Every list or report view writes a row to the audit log with the admin's name.
Anonymous records are only counted. Reports are not linked to anyone (see bot.reports.shared).
The pages follow the dashboard's language (Indonesian by default, ``?lang=en``, kept in a cookie).
"""

from __future__ import annotations

import base64

import jinja2
from aiohttp import web

from bot.core.i18n import N_, Translator
from bot.reports.shared import FIELDS, RETENTION_DAYS, counts, get_photo, get_shared, list_shared
from bot.runtime import Runtime
from bot.web import dashboard_text as dt
from bot.web.admin import BASE, SECURITY_HEADERS, current_admin, is_https, require_admin
from bot.web.app import RUNTIME_KEY

LABELS = {
    "what": N_("What happened"),
    "when": N_("When"),
    "where": N_("Where"),
    "who": N_("Who was involved"),
    "evidence": N_("Evidence"),
}
CATEGORIES = {"money": N_("Money or goods"), "promise": N_("A promise"), "other": N_("Other")}
UI = {
    "list_title": N_("Shared reports"),
    "one_title": N_("Report of {day}"),
    "dashboard": N_("Dashboard"),
    "all": N_("All reports"),
    "day": N_("Day"),
    "type": N_("Type"),
    "region": N_("Region"),
    "what": N_("What"),
    "none": N_("No shared reports."),
    "photo": N_("Photo sent with the report"),
    "note": N_(
        "Reports are not linked to anyone: the reporter cannot be contacted and /hapus cannot "
        "find them. Text and photo are kept {days} days from the day of the report; then only "
        "the anonymous record stays. Every view is written to the audit log."
    ),
}

LIST = """{% extends "base" %}
{% block title %}{{ s.list_title }} · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>{{ s.list_title }}</h1><nav><a href="/admin">{{ s.dashboard }}</a>
</nav></header><p class="note" id="counts">{{ counted }}</p><p class="note">{{ note }}</p>
{% if rows %}<table id="reports"><tr><th>{{ s.day }}</th><th>{{ s.type }}</th>
<th>{{ s.region }}</th><th>{{ s.what }}</th></tr>
{% for r in rows %}<tr><td><a href="/admin/reports/{{ r.id }}">{{ r.reported_on }}</a></td>
<td>{{ r.category }}</td><td>{{ r.region }}</td><td>{{ r.what }}{% if r.photo %} 📷{% endif %}
</td></tr>{% endfor %}</table>
{% else %}<p class="note">{{ s.none }}</p>{% endif %}{% endblock %}"""

ONE = """{% extends "base" %}{% block title %}{{ title }} · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>{{ title }}</h1>
<nav><a href="/admin/reports">{{ s.all }}</a></nav></header>
<table id="report"><tr><th>{{ s.type }}</th><td>{{ category }}</td></tr>
<tr><th>{{ s.region }}</th><td>{{ region }}</td></tr>
{% for label, value in fields %}<tr><th>{{ label }}</th>
<td style="white-space:pre-wrap">{{ value }}</td></tr>{% endfor %}</table>
{% if photo %}<img id="photo" alt="{{ s.photo }}"
 src="data:image/jpeg;base64,{{ photo }}">{% endif %}
<p class="note">{{ note }}</p>{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": BASE, "list": LIST, "one": ONE}), autoescape=True
)


def _translator(request: web.Request) -> tuple[Translator, bool]:
    """The admin's language (the dashboard's choice, kept in its cookie; Indonesian by default)."""
    lang, chosen = dt.choose_lang(request)
    return request.app[RUNTIME_KEY].core.translator(lang), chosen


def _html(request: web.Request, name: str, **values: object) -> web.Response:
    t, chosen = _translator(request)
    s = {k: t.gettext(v) for k, v in UI.items()}
    html = ENV.get_template(name).render(
        lang=t.locale, s=s, note=s["note"].format(days=RETENTION_DAYS), **values
    )
    response = web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)
    if chosen:
        dt.remember(response, t.locale, is_https(request))
    return response


def _category(t: Translator, category: str) -> str:
    return t.gettext(CATEGORIES[category]) if category in CATEGORIES else category


async def _actor(request: web.Request) -> str:
    return f"dashboard:{await current_admin(request) or '?'}"


@require_admin("page")
async def reports_page(request: web.Request) -> web.StreamResponse:
    runtime: Runtime = request.app[RUNTIME_KEY]
    actor = await _actor(request)
    async with runtime.db.transaction() as session:
        reports = await list_shared(session, actor, limit=200)
        shared, anonymous = await counts(session)
    t, _ = _translator(request)
    rows = [
        {
            "id": r.id,
            "reported_on": r.reported_on.isoformat(),
            "category": _category(t, r.category),
            "region": r.region or "-",
            "what": " ".join(r.details.get("what", "").split())[:120],
            "photo": r.has_photo,
        }
        for r in reports
    ]
    counted = t.ngettext("{shared} shared report; ", "{shared} shared reports; ", shared).format(
        shared=t.number(shared)
    ) + t.ngettext(
        "{anonymous} anonymous record (counted only).",
        "{anonymous} anonymous records (counted only).",
        anonymous,
    ).format(anonymous=t.number(anonymous))
    return _html(request, "list", rows=rows, counted=counted)


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
    t, _ = _translator(request)
    return _html(
        request,
        "one",
        title=t.gettext(UI["one_title"]).format(day=report.reported_on.isoformat()),
        category=_category(t, report.category),
        region=report.region or "-",
        fields=[(t.gettext(LABELS[f]), report.details.get(f) or "-") for f in FIELDS],
        photo=base64.b64encode(photo).decode() if photo else "",
    )


def install(app: web.Application, runtime: Runtime) -> None:
    app.router.add_get("/admin/reports", reports_page)
    app.router.add_get(r"/admin/reports/{id:\d+}", report_page)
