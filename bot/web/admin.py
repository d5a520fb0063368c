"""The admin dashboard at ``/admin`` and Prometheus metrics at ``/metrics``.

Installed on the shared web app through ``WEB_EXTENSIONS`` (``bot.web.admin:install``).

- Login: a token form (``VOTEBOT_ADMIN_TOKEN`` or a per-admin token; :func:`verify_token`),
  compared in constant time, with a CSRF check (a signed nonce in the form and a cookie) and a
  fleet-wide throttle on wrong tokens (:mod:`bot.web.sessions`). A good token opens a server-side
  session: an HttpOnly, ``SameSite=Strict`` cookie, ``Secure`` over HTTPS (also behind a proxy
  with ``VOTEBOT_TRUST_PROXY``), valid for :data:`SESSION_SECONDS`.
- Every ``/admin`` page refuses anonymous requests: pages redirect to the login form, CSV/JSON
  answer 401. Logout is a POST carrying a CSRF token and ends the session in the database;
  revoking an admin's role ends theirs too.
- Pages are rendered server-side with Jinja2 (autoescape on); charts are inline PNGs; no page
  shows names, usernames, phone numbers or platform ids, and regional cells under 10 show "<10".
- ``/metrics`` needs ``Authorization: Bearer <admin token>`` or a dashboard session, unless
  ``VOTEBOT_METRICS_PUBLIC=1`` opens it (a reverse proxy makes every request look local, so the
  bind address says nothing about who asks).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.core.i18n import N_, Translator
from bot.core.roles import any_live_admin_token, has_live_admin_token, verify_admin_token
from bot.keys import derive
from bot.metrics import CONTENT_TYPE, metrics_for
from bot.reports.data import (
    MIN_CELL,
    SECTIONS,
    SUPPRESSED,
    DateError,
    Period,
    build_report,
    report_meta,
)
from bot.reports.render import section_csv
from bot.runtime import Runtime
from bot.web import dashboard_text as dt
from bot.web.app import RUNTIME_KEY
from bot.web.sessions import (
    SESSION_SECONDS,
    client_key,
    end_session,
    find_session,
    fingerprint,
    open_session,
    record_failure,
    too_many_failures,
)
from bot.web.templates import BASE, SECURITY_HEADERS, render

__all__ = ["BASE", "SECURITY_HEADERS", "current_admin", "install", "require_admin"]

COOKIE = "votebot_admin"
#: A random nonce for the login form's CSRF check (double submit, signed).
LOGIN_COOKIE = "votebot_login"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --------------------------------------------------------------------------- authentication


async def verify_token(runtime: Runtime, token: str) -> str | None:
    """The admin's name for a valid dashboard token, else None (constant-time comparison).

    This is the one place that decides who may log in: per-admin tokens (``votebot role``) are
    added here, e.g. ``return await bot.core.roles.verify_admin_token(session, token)``.
    """
    expected = runtime.settings.admin_token
    if (
        expected is not None
        and token
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return "admin"
    if not token:
        return None
    async with runtime.db.transaction() as session:
        user = await verify_admin_token(session, token)
    # A per-admin token (votebot role token): the session names the user by id only.
    return f"{PER_ADMIN_PREFIX}{user.id}" if user is not None else None


#: Sessions of per-admin tokens carry this prefix and the admin's user id.
PER_ADMIN_PREFIX = "user:"


async def still_admin(runtime: Runtime, admin: str) -> bool:
    """A per-admin session stays valid only while that person is an admin with a live token."""
    if not admin.startswith(PER_ADMIN_PREFIX):
        return True
    try:
        user_id = int(admin.removeprefix(PER_ADMIN_PREFIX))
    except ValueError:
        return False
    async with runtime.db.transaction() as session:
        return await has_live_admin_token(session, user_id)


async def login_enabled(runtime: Runtime) -> bool:
    if runtime.settings.admin_token is not None:
        return True
    async with runtime.db.transaction() as session:
        return await any_live_admin_token(session)


def _key(runtime: Runtime) -> bytes:
    """The dashboard's own key, derived from the secret key (never the pseudonymisation key)."""
    return derive(runtime.require_secret(), "admin-session")


def _sign(runtime: Runtime, message: str) -> str:
    return hmac.new(_key(runtime), message.encode(), hashlib.sha256).hexdigest()


def _admin_token_fingerprint(runtime: Runtime) -> str:
    token = runtime.settings.admin_token
    return fingerprint(_key(runtime), token.get_secret_value() if token else None)


async def make_session(runtime: Runtime, admin: str) -> str:
    """Open a server-side session for ``admin``; return the cookie value."""
    fp = _admin_token_fingerprint(runtime) if admin == "admin" else ""
    async with runtime.db.transaction() as session:
        return await open_session(session, admin, fp)


async def read_session(runtime: Runtime, value: str | None) -> str | None:
    """The admin a session cookie belongs to while its session is live, else None."""
    if not value:
        return None
    async with runtime.db.transaction() as session:
        row = await find_session(session, value)
    if row is None:
        return None
    if row.admin == "admin" and (
        runtime.settings.admin_token is None
        or not hmac.compare_digest(row.token_fingerprint, _admin_token_fingerprint(runtime))
    ):
        return None  # VOTEBOT_ADMIN_TOKEN was changed or removed since this login
    return row.admin


def csrf_token(runtime: Runtime, session: str) -> str:
    return _sign(runtime, "csrf\x00" + session)


async def current_admin(request: web.Request) -> str | None:
    runtime = request.app[RUNTIME_KEY]
    admin = await read_session(runtime, request.cookies.get(COOKIE))
    if admin is None or not await still_admin(runtime, admin):
        return None
    return admin


def is_https(request: web.Request) -> bool:
    """Whether the browser reached us over HTTPS (through a trusted proxy, by its header)."""
    if request.secure:
        return True
    if request.app[RUNTIME_KEY].settings.trust_proxy:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return proto == "https"
    return False


def client_address(request: web.Request) -> str:
    """The client's address: the proxy's ``X-Forwarded-For`` when trusted, else the peer."""
    if request.app[RUNTIME_KEY].settings.trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def require_admin(kind: str) -> Callable[[Handler], Handler]:
    """Pages redirect anonymous requests to the login form; data answers 401."""

    def deco(fn: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            if await current_admin(request) is None:
                if kind == "page":
                    raise web.HTTPSeeOther("/admin/login")
                raise web.HTTPUnauthorized(
                    text="login required\n", headers={"WWW-Authenticate": 'Bearer realm="votebot"'}
                )
            return await fn(request)

        return wrapper

    return deco


# --------------------------------------------------------------------------- handlers


def _login_page(
    request: web.Request, status: int, enabled: bool, error: str | None
) -> web.Response:
    """The login form with a fresh CSRF nonce: a cookie and the same value signed in the form.

    In the dashboard's language (Indonesian by default, ``?lang=en``); ``error`` is a msgid."""
    runtime = request.app[RUNTIME_KEY]
    lang, chosen = dt.choose_lang(request)
    t = runtime.core.translator(lang)
    nonce = secrets.token_urlsafe(16)
    response = render(
        "login",
        status,
        lang=lang,
        s={k: t.gettext(v) for k, v in dt.LOGIN.items()},
        enabled=enabled,
        error=t.gettext(error) if error else None,
        csrf=_sign(runtime, "login\x00" + nonce),
    )
    if chosen:
        dt.remember(response, lang, is_https(request))
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/admin",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    if await current_admin(request) is not None:
        raise web.HTTPSeeOther("/admin")
    enabled = await login_enabled(request.app[RUNTIME_KEY])
    return _login_page(request, 200, enabled, None)


async def login(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    form = await request.post()
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("csrf")
    if not (
        nonce
        and isinstance(given, str)
        and hmac.compare_digest(given, _sign(runtime, "login\x00" + nonce))
    ):
        return _login_page(request, 403, True, dt.EXPIRED)
    client = client_key(_key(runtime), client_address(request))
    async with runtime.db.transaction() as session:
        throttled = await too_many_failures(session, client)
    if throttled:
        raise web.HTTPTooManyRequests(
            text=request_translator(request).gettext(dt.TOO_MANY) + "\n",
            headers={"Retry-After": "900"},
        )
    token = form.get("token")
    admin = await verify_token(runtime, token if isinstance(token, str) else "")
    if admin is None:
        async with runtime.db.transaction() as session:
            await record_failure(session, client)
        await asyncio.sleep(0.2)  # slows down guessing a little more; tokens are long anyway
        enabled = await login_enabled(runtime)
        return _login_page(request, 401, enabled, dt.WRONG_TOKEN)
    response = web.HTTPSeeOther("/admin")
    response.set_cookie(
        COOKIE,
        await make_session(runtime, admin),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )
    response.del_cookie(LOGIN_COOKIE, path="/admin")
    raise response


async def checked_form(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | FileField]:
    """The POSTed form of an admin action, or 403 without the session's CSRF token in it."""
    runtime = request.app[RUNTIME_KEY]
    form = await request.post()
    given = form.get("csrf")
    cookie = request.cookies.get(COOKIE, "")
    if not isinstance(given, str) or not hmac.compare_digest(given, csrf_token(runtime, cookie)):
        _stale_form(request)
    return form


#: Shown for a POST without the session's form token (an old tab after a new login, or a form
#: from another site): plain text, in the dashboard's language.
STALE_FORM = N_(
    "This form is out of date or did not come from this dashboard, so nothing was changed. "
    "Go back, reload the page and try again."
)


def request_translator(request: web.Request) -> Translator:
    """The translator of the dashboard's language for this request."""
    lang, _ = dt.choose_lang(request)
    return request.app[RUNTIME_KEY].core.translator(lang)


def _stale_form(request: web.Request) -> NoReturn:
    raise web.HTTPForbidden(text=request_translator(request).gettext(STALE_FORM) + "\n")


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session server-side (the cookie stops working everywhere), then forget it."""
    runtime = request.app[RUNTIME_KEY]
    cookie = request.cookies.get(COOKIE, "")
    if await read_session(runtime, cookie) is None:
        _stale_form(request)
    await checked_form(request)
    async with runtime.db.transaction() as session:
        await end_session(session, cookie)
    response = web.HTTPSeeOther("/admin/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def _period(request: web.Request) -> Period:
    return Period.parse(request.query.get("since") or None, request.query.get("until") or None)


async def _report(request: web.Request, period: Period) -> dict[str, Any]:
    async with request.app[RUNTIME_KEY].db.transaction() as session:
        return await build_report(session, period)


def _charts(report: dict[str, Any], t: Translator) -> list[tuple[str, str, str]]:
    """``(name, title, PNG as base64)`` of each chart, drawn in the admin's language."""
    from bot.reports.charts import CHARTS, TITLES, png

    return [
        (name, t.gettext(TITLES[name]), base64.b64encode(png(draw(report, t))).decode())
        for name, draw in CHARTS.items()
    ]


async def _broadcast_titles(request: web.Request) -> dict[str, tuple[str, str]]:
    """Broadcast id → (title, status) for the dashboard's broadcast table."""
    from sqlalchemy import select

    from bot.db.models_broadcast import Broadcast

    async with request.app[RUNTIME_KEY].db.sessions() as session:
        stmt = select(Broadcast.id, Broadcast.title, Broadcast.status)
        rows = (await session.execute(stmt)).all()
    return {str(i): (title, status) for i, title, status in rows}


@require_admin("page")
async def dashboard(request: web.Request) -> web.StreamResponse:
    from bot.reports.data import today
    from bot.reports.headline import headline

    runtime = request.app[RUNTIME_KEY]
    session = request.cookies[COOKIE]
    lang, chosen = dt.choose_lang(request)
    t = runtime.core.translator(lang)
    s = dt.ui(t)
    values: dict[str, Any] = {
        "lang": lang,
        "s": s,
        "admin": await current_admin(request),
        "csrf": csrf_token(runtime, session),
        "days": s["days"].format(min_cell=MIN_CELL, suppressed=SUPPRESSED),
        "numeric": dt.numeric,
        "since": request.query.get("since", ""),
        "until": request.query.get("until", ""),
        "query": "",
        "error": None,
        "cards": [],
        "charts": [],
        "sections": [],
        "period": "",
    }
    try:
        period = _period(request)
    except DateError as exc:
        values["error"] = str(exc).replace("--since", s["from"]).replace("--until", s["to"])
        response = render("dashboard", 400, **values)
    else:
        report = await _report(request, period)
        async with runtime.db.sessions() as db:
            values["cards"] = dt.headline_cards(t, await headline(db, today()))
        meta = report_meta(period)
        values["query"] = "?" + "&".join(
            f"{k}={v}" for k, v in (("since", meta["since"]), ("until", meta["until"])) if v
        )
        values["period"] = s["period"].format(
            since=meta["since"] or s["beginning"], until=meta["until"]
        )
        values["since"] = meta["since"] or ""
        values["until"] = meta["until"]
        values["charts"] = await asyncio.to_thread(_charts, report, t)
        titles = await _broadcast_titles(request)
        values["sections"] = [
            {
                "name": name,
                "title": t.gettext(dt.TITLES[name]),
                "tables": dt.display_tables(t, runtime.content, name, report[name], titles),
            }
            for name in SECTIONS
        ]
        response = render("dashboard", **values)
    if chosen:
        dt.remember(response, lang, is_https(request))
    return response


@require_admin("data")
async def export_csv(request: web.Request) -> web.StreamResponse:
    section = request.match_info["section"]
    if section not in SECTIONS:
        raise web.HTTPNotFound(text=f"no section {section!r}; use one of {', '.join(SECTIONS)}\n")
    try:
        period = _period(request)
    except DateError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    report = await _report(request, period)
    name = f"{section}_{period.since or 'start'}_{period.until}.csv"
    return web.Response(
        text=section_csv(report[section]),
        content_type="text/csv",
        charset="utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@require_admin("data")
async def export_json(request: web.Request) -> web.StreamResponse:
    try:
        period = _period(request)
    except DateError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    report = await _report(request, period)
    return web.Response(
        text=json.dumps(report, ensure_ascii=False),
        content_type="application/json",
        headers=SECURITY_HEADERS,
    )


async def metrics(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    if not runtime.settings.metrics_public and await current_admin(request) is None:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or await verify_token(runtime, token.strip()) is None:
            raise web.HTTPUnauthorized(
                text="metrics need Authorization: Bearer <admin token>\n",
                headers={"WWW-Authenticate": 'Bearer realm="votebot"'},
            )
    body = metrics_for(runtime.core).render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def admin_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/admin")


def install(app: web.Application, runtime: Runtime) -> None:
    """Add the dashboard and ``/metrics`` to the web app (a ``WEB_EXTENSIONS`` entry)."""
    metrics_for(runtime.core)
    app.router.add_get("/admin", dashboard)
    app.router.add_get("/admin/", admin_root)
    app.router.add_get("/admin/login", login_form)
    app.router.add_post("/admin/login", login)
    app.router.add_post("/admin/logout", logout)
    app.router.add_get("/admin/export/{section}.csv", export_csv)
    app.router.add_get("/admin/report.json", export_json)
    app.router.add_get("/metrics", metrics)
