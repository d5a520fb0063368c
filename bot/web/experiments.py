"""``/admin/experiments``: broadcast experiments on the dashboard, behind the dashboard login.

A list, a page per experiment (the table of ``votebot experiment show``, the verdict, warnings
and a chart per outcome as inline PNGs), its JSON, and a form that creates an experiment from
broadcast files in ``content/broadcasts`` (as ``votebot broadcast create --variants``). The page
is in the dashboard's language, form errors too; the analysis table and charts are the CLI's
(English).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import jinja2
from aiohttp import web

from bot.core import broadcasts as bc
from bot.core.i18n import N_, Explained, available_locales
from bot.core.segments import SegmentError, parse_segment
from bot.core.understanding.places import load_places
from bot.db.models import User, utcnow
from bot.experiments import analysis as an
from bot.experiments import render, service
from bot.experiments.outcomes import OUTCOMES, OutcomeError, parse_outcomes
from bot.runtime import Runtime
from bot.web.admin import (
    COOKIE,
    PER_ADMIN_PREFIX,
    SECURITY_HEADERS,
    checked_form,
    csrf_token,
    current_admin,
    is_https,
    request_translator,
    require_admin,
)
from bot.web.app import RUNTIME_KEY
from bot.web.dashboard_text import choose_lang, remember
from bot.web.templates import ENV

UI = {
    "title": N_("Experiments"),
    "heading": N_("Teman Pemilih: broadcast experiments"),
    "signed_in": N_("signed in as"),
    "logout": N_("Log out"),
    "back": N_("← engagement"),
    "all": N_("all experiments"),
    "created": N_("Experiment #{id} created."),
    "note": N_(
        "Segment {segment}, holdout {holdout}, outcomes within {days} day(s) of each user's "
        "send time; windows close {closes} ({state})."
    ),
    "final": N_("final"),
    "provisional": N_("provisional"),
    "open": N_("open"),
    "col_title": N_("title"),
    "arms": N_("arms"),
    "holdout": N_("holdout"),
    "outcomes": N_("outcomes"),
    "started": N_("started"),
    "state": N_("state"),
    "new": N_("New experiment"),
    "variants": N_("Variants (broadcast files, in order A, B, …):"),
    "segment": N_("Segment"),
    "holdout_label": N_("Holdout"),
    "window": N_("Window (days)"),
    "outcomes_label": N_("Outcomes:"),
    "create": N_("Create and queue"),
}

PAGE = """{% extends "base" %}
{% block title %}{{ s.title }} · Teman Pemilih admin{% endblock %}
{% block body %}
<header><h1>{{ s.heading }}</h1>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<span class="note">{{ s.signed_in }} {{ admin }}</span>
<button type="submit" id="logout">{{ s.logout }}</button></form></header>
<nav><a href="/admin">{{ s.back }}</a><a href="/admin/experiments">{{ s.all }}</a></nav>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if created %}<p id="created">{{ s.created.format(id=created) }}</p>{% endif %}
{% if analysis %}
<h2 id="experiment">#{{ analysis.id }} “{{ analysis.title }}”</h2>
<p class="note">{{ s.note.format(segment=analysis.segment,
 holdout="%.0f%%"|format(analysis.holdout*100), days=analysis.window_days,
 closes=analysis.window_closes_at, state=s.final if analysis.final else s.provisional) }}
<a href="/admin/experiments/{{ analysis.id }}.json">JSON</a></p>
<pre id="table">{{ table }}</pre>
<div class="charts">{% for name, data in charts %}
<img alt="{{ name }}" id="chart-{{ name }}" src="data:image/png;base64,{{ data }}">
{% endfor %}</div>
{% else %}
<div class="scroll"><table id="experiments"><tr><th>#</th><th>{{ s.col_title }}</th>
<th>{{ s.arms }}</th><th>{{ s.holdout }}</th><th>{{ s.outcomes }}</th><th>{{ s.started }}</th>
<th>{{ s.state }}</th></tr>
{% for e in experiments %}<tr><td><a href="/admin/experiments/{{ e.id }}">{{ e.id }}</a></td>
<td>{{ e.title }}</td><td>{{ e.arms }}</td><td class="num">{{ e.holdout }}</td>
<td>{{ e.outcomes }}</td><td>{{ e.started }}</td><td>{{ e.state }}</td></tr>{% endfor %}
</table></div>
<h2>{{ s.new }}</h2>
<form method="post" action="/admin/experiments" id="create">
<input type="hidden" name="csrf" value="{{ csrf }}">
<p>{{ s.variants }}
{% for f in files %}<label><input type="checkbox" name="variant" value="{{ f }}"> {{ f }}</label>
{% endfor %}</p>
<p><label>{{ s.segment }} <input name="segment" value="all"></label>
<label>{{ s.holdout_label }} <input name="holdout" value="10%" size="5"></label>
<label>{{ s.window }} <input name="window_days" value="7" size="3"></label></p>
<p>{{ s.outcomes_label }} {% for o in outcomes %}<label><input type="checkbox" name="outcome"
value="{{ o }}"> {{ o }}</label> {% endfor %}</p>
<button type="submit">{{ s.create }}</button></form>
{% endif %}
{% endblock %}"""

_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [ENV.loader, jinja2.DictLoader({"experiments": PAGE})]  # type: ignore[list-item]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _page(request: web.Request, status: int = 200, **values: Any) -> web.Response:
    """The page in the dashboard's language (the analysis table and charts stay as the CLI
    prints them)."""
    lang, chosen = choose_lang(request)
    t = request.app[RUNTIME_KEY].core.translator(lang)
    html = _ENV.get_template("experiments").render(
        lang=lang, s={k: t.gettext(v) for k, v in UI.items()}, **values
    )
    response = web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )
    if chosen:
        remember(response, lang, is_https(request))
    return response


def _state(request: web.Request, final: bool) -> str:
    return request_translator(request).gettext(UI["final"] if final else UI["open"])


async def _base(request: web.Request) -> dict[str, Any]:
    runtime = request.app[RUNTIME_KEY]
    return {
        "admin": await current_admin(request),
        "csrf": csrf_token(runtime, request.cookies[COOKIE]),
        "error": None,
        "created": None,
        "analysis": None,
        "experiments": [],
        "files": [],
        "outcomes": list(OUTCOMES),
    }


def _files(runtime: Runtime) -> dict[str, bc.BroadcastFile]:
    s = runtime.settings
    files, _ = bc.broadcast_files(s.content_dir, available_locales(s.locales_dir), s.default_locale)
    return {f.meta.id: f for f in files}


async def _list(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    values = await _base(request)
    async with runtime.db.sessions() as session:
        found = await service.list_experiments(session)
    values["experiments"] = [
        {
            "id": e.id,
            "title": e.title,
            "arms": ", ".join(str(a["arm"]) for a in e.arms),
            "holdout": f"{e.holdout:.0%}",
            "outcomes": ", ".join(map(str, e.outcomes)),
            "started": f"{e.starts_at:%Y-%m-%d %H:%M}",
            "state": _state(request, utcnow() >= e.ends_at),
        }
        for e in found
    ]
    values["files"] = sorted(_files(runtime))
    values.update(extra)
    return _page(request, status, **values)


@require_admin("page")
async def list_page(request: web.Request) -> web.StreamResponse:
    return await _list(request)


async def _analysis(request: web.Request) -> an.Analysis:
    runtime = request.app[RUNTIME_KEY]
    try:
        experiment_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="no such experiment\n") from None
    async with runtime.db.sessions() as session:
        try:
            e = await service.get_experiment(session, experiment_id)
        except service.ExperimentError:
            raise web.HTTPNotFound(text="no such experiment\n") from None
        return await an.analyse(session, e, settings=runtime.settings)


def _charts(analysis: an.Analysis) -> list[tuple[str, str]]:
    return [
        (o, base64.b64encode(render.chart_png(analysis, o)).decode()) for o in analysis.outcomes
    ]


@require_admin("page")
async def show_page(request: web.Request) -> web.StreamResponse:
    analysis = await _analysis(request)
    values = await _base(request)
    values["analysis"] = analysis.as_dict()
    values["table"] = render.text_table(analysis)
    values["charts"] = await asyncio.to_thread(_charts, analysis)
    return _page(request, **values)


@require_admin("data")
async def show_json(request: web.Request) -> web.StreamResponse:
    analysis = await _analysis(request)
    return web.Response(
        text=json.dumps(analysis.as_dict(), ensure_ascii=False),
        content_type="application/json",
        headers=SECURITY_HEADERS,
    )


def _days(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise service.ExperimentError(N_("the outcome window is 1 to 90 days")) from None


def _explain(request: web.Request, exc: Exception) -> str:
    """The error in the dashboard's language (a message not written for translation as is)."""
    if not isinstance(exc, Explained):
        return str(exc)
    return exc.translate(request_translator(request).gettext)


@require_admin("page")
async def create(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    form = await checked_form(request)
    files = _files(runtime)
    chosen = [str(v) for v in form.getall("variant", [])]
    try:
        if not chosen or any(c not in files for c in chosen):
            raise service.ExperimentError(N_("choose one or more broadcast files as variants"))
        segment = parse_segment(
            str(form.get("segment") or "all"), load_places(runtime.settings.content_dir)
        )
        holdout = service.parse_holdout(str(form.get("holdout") or "10%"))
        outcomes = parse_outcomes(",".join(str(o) for o in form.getall("outcome", [])))
        window = _days(str(form.get("window_days") or "7"))
    except (service.ExperimentError, SegmentError, OutcomeError) as exc:
        return await _list(request, 400, error=_explain(request, exc))
    admin = await current_admin(request) or ""
    variants = [
        service.Variant(files[c].meta.title, files[c].texts(runtime.core.translator), c)
        for c in chosen
    ]
    async with runtime.db.transaction() as session:
        creator = None
        if admin.startswith(PER_ADMIN_PREFIX):
            creator = await session.get(User, int(admin.removeprefix(PER_ADMIN_PREFIX)))
        try:
            e = await service.create_experiment(
                session,
                runtime.settings,
                variants=variants,
                holdout=holdout,
                segment=segment,
                creator=creator,
                outcomes=outcomes,
                window_days=window,
                via="dashboard",
            )
        except (service.ExperimentError, bc.BroadcastError) as exc:
            await session.rollback()
            return await _list(request, 400, error=_explain(request, exc))
        created = e.id
    raise web.HTTPSeeOther(f"/admin/experiments/{created}")


def install(app: web.Application, runtime: object) -> None:
    """Add ``/admin/experiments`` (a ``WEB_EXTENSIONS`` entry)."""
    app.router.add_get("/admin/experiments", list_page)
    app.router.add_post("/admin/experiments", create)
    app.router.add_get("/admin/experiments/{id}.json", show_json)
    app.router.add_get("/admin/experiments/{id}", show_page)
