"""The dashboard's HTML: Jinja2 templates (autoescaped) and the headers every page carries.

The layout reads on a 390 px phone: nothing is wider than the screen (tables scroll inside
their own box, charts shrink to the width), and the headline strip wraps into a grid.
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}

BASE = """<!doctype html>
<html lang="{{ lang | default('en') }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Teman Pemilih admin{% endblock %}</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:.8rem;
 color:#1b1b1b;overflow-wrap:anywhere}
header{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:space-between;align-items:center;
 border-bottom:2px solid #1f6f8b}
h1{font-size:1.3rem;margin:.5rem 0}h2{margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1rem;margin-bottom:.3rem}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.3rem 0 1rem}
td,th{padding:.2rem .6rem;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{text-align:left;background:#f3f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums;
 white-space:nowrap}
.error{color:#a40000;font-weight:bold}.note{color:#555;font-size:.9rem}
nav{display:flex;flex-wrap:wrap;gap:.3rem .8rem;margin:.6rem 0}
img{max-width:100%;height:auto;border:1px solid #eee}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(28rem,100%),1fr));gap:1rem}
.strip{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem;
 margin:.8rem 0}
.card{border:1px solid #d5e3ea;border-radius:.5rem;padding:.6rem;background:#f7fbfc}
.card b{display:block;font-size:1.8rem}.card span{font-size:.85rem;color:#444}
form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
input{max-width:100%}
</style></head><body>{% block body %}{% endblock %}</body></html>"""

LOGIN = """{% extends "base" %}{% block title %}{{ s.log_in }} · Teman Pemilih admin{% endblock %}
{% block body %}<h1>Teman Pemilih admin</h1>
<nav id="lang"><a href="/admin/login?lang=id" hreflang="id">Bahasa Indonesia</a>
<a href="/admin/login?lang=en" hreflang="en">English</a></nav>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if enabled %}
<form method="post" action="/admin/login">
<label for="token">{{ s.token }}</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit" id="login">{{ s.log_in }}</button></form>
{% else %}<p class="error">{{ s.disabled }}</p>{% endif %}
{% endblock %}"""

DASHBOARD = """{% extends "base" %}{% block title %}{{ s.title }}{% endblock %}
{% block body %}
<header><h1>{{ s.title }}</h1>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<span class="note">{{ s.signed_in }} {{ admin }}</span>
<button type="submit" id="logout">{{ s.logout }}</button></form>
</header>
<nav id="lang"><a href="/admin?lang=id" hreflang="id">Bahasa Indonesia</a>
<a href="/admin?lang=en" hreflang="en">English</a></nav>
{% if cards %}<h2 id="headline-title">{{ s.headline }}</h2>
<div class="strip" id="headline">{% for c in cards %}<div class="card" id="card-{{ c.key }}">
<span>{{ c.label }}</span><b>{{ c.value }}</b>
<span>{{ s.last_week }}: {{ c.last }}{% if c.change %} ({{ c.change }}){% endif %}</span>
</div>{% endfor %}</div>{% endif %}
<nav><a href="/admin/questions" id="questions-link">{{ s.unanswered }}</a>
<a href="/admin/reports" id="reports-link">{{ s.shared_reports }}</a>
<a href="/admin/claims" id="claims-link">{{ s.fact_checks }}</a>
<a href="/admin/polls" id="polls-link">{{ s.polls }}</a>
<a href="/admin/experiments" id="experiments-link">{{ s.experiments }}</a></nav>
<form method="get" action="/admin" id="range">
<label>{{ s.from }} <input type="date" name="since" value="{{ since }}"></label>
<label>{{ s.to }} <input type="date" name="until" value="{{ until }}"></label>
<button type="submit">{{ s.show }}</button> <a href="/admin">{{ s.reset }}</a></form>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
<p class="note" id="period">{{ period }}. {{ days }}
<a href="/admin/report.json{{ query }}">JSON</a></p>
<nav>{% for sec in sections %}<a href="#{{ sec.name }}">{{ sec.title }}</a>{% endfor %}</nav>
{% if charts %}<div class="charts">{% for name, title, data in charts %}
<img alt="{{ title }}" id="chart-{{ name }}" src="data:image/png;base64,{{ data }}">
{% endfor %}</div>{% endif %}
{% for sec in sections %}<section id="{{ sec.name }}"><h2>{{ sec.title }}</h2>
<p><a href="/admin/export/{{ sec.name }}.csv{{ query }}" id="csv-{{ sec.name }}" download>
{{ s.download }}</a></p>
{% for t in sec.tables %}<h3>{{ t.title }}</h3>
{% if t.rows %}<div class="scroll"><table id="{{ t.name }}">
<tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr>{% for v in row %}
<td{% if numeric(v) %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table></div>{% else %}<p class="note">{{ s.none }}</p>{% endif %}{% endfor %}
</section>{% endfor %}
{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": BASE, "login": LOGIN, "dashboard": DASHBOARD}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(name: str, status: int = 200, **values: Any) -> web.Response:
    html = ENV.get_template(name).render(**values)
    return web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )
