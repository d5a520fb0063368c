"""The public results page of closed Suara Muda polls (no login), at ``/hasil``.

Every figure is suppressed exactly as in the chat and the CLI (:mod:`bot.core.polls.suppress`);
open answers appear only as counts of the themes an admin assigned. Pages are small, server-
rendered HTML with no JavaScript; each poll's page, CSV and charts are computed once and cached
for :data:`CACHE_SECONDS` (a deleted user's answers leave within that time).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy import select

from bot.core.i18n import Translator
from bot.core.polls import export
from bot.core.polls.chart import bar_chart, percent
from bot.core.polls.links import RESULTS_PATH
from bot.core.polls.render import localized, option_labels
from bot.core.polls.results import PollResults, compute
from bot.core.polls.spec import OPEN
from bot.db.models_poll import CLOSED, Poll
from bot.runtime import Runtime
from bot.web.app import RUNTIME_KEY

CACHE_SECONDS = 300.0
HEADERS = {
    "Cache-Control": f"public, max-age={int(CACHE_SECONDS)}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}

PAGE = """<!doctype html>
<html lang="{{ locale }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Teman Pemilih</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:.8rem 1rem;
 color:#1b1b1b;line-height:1.45}
h1{font-size:1.35rem;border-bottom:3px solid #1f6f8b;padding-bottom:.3rem}
h2{font-size:1.1rem;margin-top:2rem}.note{color:#555;font-size:.88rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.9rem}
td,th{padding:.25rem .4rem;border-bottom:1px solid #e3e3e3;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto}.scroll{overflow-x:auto;max-width:100%}
th{font-weight:600;font-size:.8rem}details{margin:.4rem 0}summary{cursor:pointer;color:#1f6f8b}
</style></head><body>{% block body %}{% endblock %}</body></html>"""

INDEX = """{% extends "page" %}{% block body %}
<h1>{{ title }}</h1>
<p>{{ intro }}</p>
{% if polls %}<ul id="polls">{% for p in polls %}
<li><a href="{{ base }}/{{ p.id }}{{ lang }}">{{ p.title }}</a>
<span class="note">({{ p.closed }})</span></li>{% endfor %}</ul>
{% else %}<p id="none">{{ empty }}</p>{% endif %}
{% endblock %}"""

POLL = """{% extends "page" %}{% block body %}
<h1 id="title">{{ title }}</h1>
<p id="summary">{{ summary }}</p>
<p class="note" id="rule">{{ rule }}</p>
<p><a id="csv" href="{{ base }}/{{ poll_id }}.csv{{ lang }}" download>{{ csv }}</a></p>
{% for q in questions %}<section id="q{{ q.number }}">
<h2>{{ q.number }}. {{ q.text }}</h2>
{% if q.chart %}<img src="{{ base }}/{{ poll_id }}/{{ q.number }}.png{{ lang }}"
 alt="{{ q.text }}" loading="lazy" width="480">{% endif %}
{% for t in q.tables %}{% if t.open %}<details><summary>{{ t.title }}</summary>{% else %}
<h3 class="note">{{ t.title }}</h3>{% endif %}
<div class="scroll"><table class="results" data-dimension="{{ t.dimension }}">
<tr><th></th><th class="num">{{ answered }}</th>{% for o in q.options %}
<th class="num">{{ o }}</th>{% endfor %}</tr>
{% for r in t.rows %}<tr><td>{{ r.group }}</td><td class="num">{{ r.n }}</td>
{% for c in r.cells %}<td class="num">{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table></div>{% if t.open %}</details>{% endif %}{% endfor %}
</section>{% endfor %}
{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"page": PAGE, "index": INDEX, "poll": POLL}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
HIDDEN = "–"


@dataclass
class Rendered:
    html: str
    csv: str
    #: question number → chart PNG
    charts: dict[int, bytes] = field(default_factory=dict)


class Cache:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[float, Rendered]] = {}
        self.locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(self, runtime: Runtime, poll_id: str, locale: str) -> Rendered | None:
        key = (poll_id, locale)
        hit = self.items.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self.locks.setdefault(key, asyncio.Lock()):
            hit = self.items.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            async with runtime.db.sessions() as session:
                poll = await session.get(Poll, poll_id)
                if poll is None or poll.status != CLOSED:
                    return None
                results = await compute(session, poll)
            t = runtime.core.translator(locale)
            rendered = await asyncio.to_thread(render_poll, runtime, poll, results, t)
            self.items[key] = (time.monotonic() + CACHE_SECONDS, rendered)
            return rendered


CACHE_KEY = web.AppKey("poll_cache", Cache)


def _locale(request: web.Request, runtime: Runtime) -> str:
    wanted = request.query.get("lang")
    if wanted in runtime.core.locales:
        return wanted
    return runtime.settings.default_locale


def _fmt(t: Translator, value: int | None, n: int | None, kind: str) -> str:
    if value is None:
        return HIDDEN
    p = percent(value, n)
    if kind == OPEN or p is None:
        return t.number(value)
    return f"{t.number(value)} ({t.percent(p / 100)})"


def render_poll(runtime: Runtime, poll: Poll, results: PollResults, t: Translator) -> Rendered:
    _ = t.gettext
    default = runtime.settings.default_locale
    titles = {
        "national": _("Indonesia"),
        "province": _("By province"),
        "kabupaten": _("By kabupaten/kota"),
        "channel": _("By channel"),
        "locale": _("By language"),
        "age_band": _("By age"),
        "theme": _("Themes of the answers"),
    }
    rendered = Rendered("", export.csv_text(results, t.locale, default, _))
    questions: list[dict[str, Any]] = []
    for qi, qr in enumerate(results.questions):
        q = qr.question
        labels = option_labels(q, t.locale, default, _)
        by_dim: dict[str, list[dict[str, Any]]] = {}
        for dim, group, row in export.groups(results, qi):
            cells = [_fmt(t, c.shown, row.n.shown, q.kind) for c in row.counts]
            n = HIDDEN if row.n.shown is None else t.number(row.n.shown)
            by_dim.setdefault(dim, []).append({"group": group, "n": n, "cells": cells})
        tables = [
            {"dimension": d, "title": titles.get(d, d), "rows": rows, "open": d != "national"}
            for d, rows in by_dim.items()
        ]
        text = localized(q.text, t.locale, default)
        chart = q.kind != OPEN and not qr.total.hidden
        if chart:
            series = [
                (_("Indonesia"), [percent(c.shown, qr.total.n.shown) for c in qr.total.counts])
            ]
            short = [label.split(" · ")[-1] for label in labels]
            rendered.charts[qi + 1] = bar_chart(text, short, series)
        questions.append(
            {
                "number": qi + 1,
                "text": text,
                "options": labels if q.kind != OPEN else [],
                "tables": tables,
                "chart": chart,
            }
        )
    closed = poll.closed_at or poll.closes_at
    rendered.html = ENV.get_template("poll").render(
        locale=t.locale,
        title=poll.title,
        poll_id=poll.id,
        base=RESULTS_PATH,
        lang=f"?lang={t.locale}",
        summary=_("{n} people answered. Closed on {date}.").format(
            n=t.number(results.respondents), date=t.date(closed.date())
        ),
        rule=_(
            "To protect who answered, groups with fewer than 10 answers and counts from 1 to 9 "
            "are hidden (–), together with a few others so that no hidden number can be worked "
            "out. Written answers are never shown, only how many fit each theme."
        ),
        csv=_("Download CSV"),
        answered=_("answered"),
        questions=questions,
    )
    return rendered


async def index(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    locale = _locale(request, runtime)
    t = runtime.core.translator(locale)
    async with runtime.db.sessions() as session:
        polls = (
            await session.scalars(
                select(Poll).where(Poll.status == CLOSED).order_by(Poll.closes_at.desc())
            )
        ).all()
    html = ENV.get_template("index").render(
        locale=locale,
        title=t.gettext("Suara Muda: poll results"),
        intro=t.gettext("What young voters told Teman Pemilih, poll by poll."),
        empty=t.gettext("No poll has closed yet."),
        base=RESULTS_PATH,
        lang=f"?lang={locale}",
        polls=[
            {"id": p.id, "title": p.title, "closed": t.date((p.closed_at or p.closes_at).date())}
            for p in polls
        ],
    )
    return web.Response(text=html, content_type="text/html", headers=HEADERS)


async def _rendered(request: web.Request, poll_id: str) -> Rendered:
    runtime = request.app[RUNTIME_KEY]
    found = await request.app[CACHE_KEY].get(runtime, poll_id, _locale(request, runtime))
    if found is None:
        raise web.HTTPNotFound(text="no closed poll with that id\n")
    return found


async def poll_page(request: web.Request) -> web.StreamResponse:
    name = request.match_info["poll"]
    if name.endswith(".csv"):
        rendered = await _rendered(request, name.removesuffix(".csv"))
        return web.Response(
            text=rendered.csv,
            content_type="text/csv",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
    rendered = await _rendered(request, name)
    return web.Response(text=rendered.html, content_type="text/html", headers=HEADERS)


async def chart(request: web.Request) -> web.StreamResponse:
    rendered = await _rendered(request, request.match_info["poll"])
    number = request.match_info["number"]
    png = rendered.charts.get(int(number)) if number.isdigit() else None
    if png is None:
        raise web.HTTPNotFound(text="no chart\n")
    return web.Response(body=png, content_type="image/png", headers=HEADERS)


def install(app: web.Application, runtime: Runtime) -> None:
    app[CACHE_KEY] = Cache()
    app.router.add_get(RESULTS_PATH, index)
    app.router.add_get(RESULTS_PATH + "/{poll}", poll_page)
    app.router.add_get(RESULTS_PATH + "/{poll}/{number}.png", chart)
