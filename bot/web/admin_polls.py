"""The dashboard's polls section (``/admin/polls``): each poll's status, respondents, response
rate per segment and per province (cells under 10 hidden) and the time to reach N answers.

A poll awaiting approval shows its questions and an Approve button: a POST to
``/admin/polls/{id}/approve`` with the session's CSRF token, as every admin POST. Dashboard
sessions belong to admins only (the shared token, or a per-admin token whose holder is still an
admin); a per-admin session cannot approve a poll that admin created (a second person approves).

A poll whose invitation has not gone out yet shows who it will reach and, on WhatsApp, what it
costs (paid templates outside the 24-hour window, the template's category, the tier's headroom):
the same preview as ``votebot poll create`` and the broadcast previews. The page follows the
dashboard's language (Indonesian by default, ``?lang=en``, kept in a cookie).
"""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Translator
from bot.core.polls import store
from bot.core.polls.evidence import evidence
from bot.core.polls.render import localized
from bot.core.segments import SegmentError, audience_size, parse_segment
from bot.core.whatsapp_costs import CHANNEL as WHATSAPP
from bot.core.whatsapp_costs import whatsapp_cost
from bot.db.models import User
from bot.db.models_poll import APPROVED, AWAITING_APPROVAL, CANCELLED, CLOSED, Poll
from bot.reports.data import SUPPRESSED
from bot.runtime import Runtime
from bot.web import dashboard_text as dt
from bot.web.admin import (
    BASE,
    COOKIE,
    PER_ADMIN_PREFIX,
    SECURITY_HEADERS,
    checked_form,
    csrf_token,
    current_admin,
    is_https,
    require_admin,
)
from bot.web.app import RUNTIME_KEY

STATUSES = {
    AWAITING_APPROVAL: N_("awaiting approval"),
    APPROVED: N_("approved"),
    CLOSED: N_("closed"),
    CANCELLED: N_("cancelled"),
}
UI = {
    "title": N_("Suara Muda polls"),
    "back": N_("← engagement"),
    "none": N_("No polls yet: votebot poll create ID."),
    "segment": N_("segment"),
    "invitation": N_("The invitation (counted now; it goes out when the poll opens)"),
    "sent": N_("invitations sent"),
    "from_invitation": N_("answered from the invitation"),
    "rate": N_("response rate"),
    "without": N_("answered without an invitation"),
    "per_province": N_("Per province"),
    "province": N_("Province"),
    "province_sent": N_("sent"),
    "answered": N_("answered"),
    "province_rate": N_("rate"),
    "time_to": N_("Time to reach N answers"),
    "approve": N_("Approve"),
}

POLLS = """{% extends "base" %}{% block title %}{{ s.title }} · Teman Pemilih admin{% endblock %}
{% block body %}<header><h1>{{ s.title }}</h1><a href="/admin">{{ s.back }}</a></header>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% if approved %}<p id="approved">{{ approved }}</p>{% endif %}
{% if not polls %}<p class="note" id="none">{{ s.none }}</p>{% endif %}
{% for p in polls %}<section id="poll-{{ p.id }}"><h2>{{ p.title }}</h2>
<p class="note">{{ p.id }} · <span class="status">{{ p.status }}</span> · {{ p.opens }} →
{{ p.closes }} UTC · {{ s.segment }} <code>{{ p.segment }}</code></p>
{% if p.awaiting %}<ol class="questions">{% for q in p.questions %}<li>{{ q }}</li>{% endfor %}
</ol><form method="post" action="/admin/polls/{{ p.id }}/approve" class="approve">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit" id="approve-{{ p.id }}">{{ s.approve }}</button></form>{% endif %}
{% if p.preview %}<h3>{{ s.invitation }}</h3>
<p class="note invitation" style="white-space:pre-line">{{ p.preview }}</p>{% endif %}
<table class="evidence"><tr><th>{{ s.sent }}</th><th>{{ s.from_invitation }}</th>
<th>{{ s.rate }}</th><th>{{ s.without }}</th></tr>
<tr><td class="num">{{ p.e.invitations_sent }}</td>
<td class="num">{{ p.e.answered_from_invitation }}</td>
<td class="num">{{ p.rate }}</td>
<td class="num">{{ p.e.answered_without_invitation }}</td></tr></table>
{% if p.e.by_province %}<h3>{{ s.per_province }}</h3><table class="by-province">
<tr><th>{{ s.province }}</th><th>{{ s.province_sent }}</th><th>{{ s.answered }}</th>
<th>{{ s.province_rate }}</th></tr>
{% for r in p.e.by_province %}<tr><td>{{ r.province }}</td>
<td class="num">{{ hidden if r.invitations_sent is none else r.invitations_sent }}</td>
<td class="num">{{ hidden if r.answered is none else r.answered }}</td>
<td class="num">{{ "" if r.response_rate is none else percent(r.response_rate) }}
</td></tr>
{% endfor %}</table>{% endif %}
{% if p.e.time_to_answers %}<h3>{{ s.time_to }}</h3><table class="time-to">
{% for n, secs in p.e.time_to_answers.items() %}<tr><td class="num">{{ n }}</td>
<td class="num">{{ "%.1f" % (secs / 3600) }} h</td></tr>{% endfor %}</table>{% endif %}
</section>{% endfor %}{% endblock %}"""

ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"base": BASE, "polls": POLLS}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


async def invitation_preview(
    runtime: Runtime, session: AsyncSession, poll: Poll, t: Translator
) -> str:
    """Who a poll's invitation reaches and its WhatsApp cost; "" once it has gone out."""
    if poll.broadcast_id is not None or poll.status not in (AWAITING_APPROVAL, APPROVED):
        return ""
    try:
        segment = parse_segment(poll.segment)
        sizes = await audience_size(
            session,
            segment,
            default_locale=runtime.settings.default_locale,
            sandbox=runtime.settings.sandbox,
        )
    except SegmentError as exc:
        return str(exc.translate(t.gettext))
    total = sum(sizes.values())
    lines = [
        t.ngettext(
            "It will go to {n} person ({channels}).",
            "It will go to {n} people ({channels}).",
            total,
        ).format(
            n=t.number(total),
            channels=", ".join(f"{c}: {t.number(n)}" for c, n in sorted(sizes.items())) or "-",
        )
    ]
    if sizes.get(WHATSAPP):
        cost = await whatsapp_cost(
            session, segment, settings=runtime.settings, content=runtime.content
        )
        if cost is not None:
            lines.append(cost.describe(t))
    return "\n".join(lines)


@require_admin("page")
async def polls_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, 200, approved=request.query.get("approved", "")[:48])


async def _page(
    request: web.Request, status: int, *, error: str = "", approved: str = ""
) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    lang, chosen = dt.choose_lang(request)
    t = runtime.core.translator(lang)
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
                    "status": t.gettext(STATUSES.get(poll.status, poll.status)),
                    "segment": poll.segment,
                    "opens": f"{poll.opens_at:%Y-%m-%d %H:%M}",
                    "closes": f"{poll.closes_at:%Y-%m-%d %H:%M}",
                    "e": e,
                    "rate": "–" if rate is None else t.percent(rate, 1),
                    "preview": await invitation_preview(runtime, session, poll, t),
                    "awaiting": poll.status == AWAITING_APPROVAL,
                    "questions": [localized(q.text, lang, default) for q in store.questions(poll)],
                }
            )
    html = ENV.get_template("polls").render(
        lang=lang,
        s={k: t.gettext(v) for k, v in UI.items()},
        polls=items,
        hidden=SUPPRESSED,
        percent=lambda v: t.percent(v, 1),
        csrf=csrf_token(runtime, request.cookies.get(COOKIE, "")),
        error=error,
        approved=(
            t.gettext("Poll {id} approved.").format(id=approved)
            if any(p["id"] == approved for p in items)
            else ""
        ),
    )
    response = web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )
    if chosen:
        dt.remember(response, lang, is_https(request))
    return response


@require_admin("page")
async def approve(request: web.Request) -> web.StreamResponse:
    """Approve a poll (CSRF-checked); the page again with the outcome."""
    runtime = request.app[RUNTIME_KEY]
    await checked_form(request)
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
