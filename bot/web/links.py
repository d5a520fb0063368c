"""``/r/<token>``: the redirect behind an experiment's link button (see
:mod:`bot.experiments.links`). Installed through ``WEB_EXTENSIONS``; no login (users tap it)."""

from __future__ import annotations

from aiohttp import web

from bot.experiments.links import record_tap
from bot.web.app import RUNTIME_KEY

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def redirect(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    async with runtime.db.transaction() as session:
        target = await record_tap(session, request.match_info["token"])
    if target is None:
        raise web.HTTPNotFound(text="This link is not known (or has been removed).\n")
    raise web.HTTPFound(target, headers=HEADERS)


def install(app: web.Application, runtime: object) -> None:
    """Add ``/r/{token}`` (a ``WEB_EXTENSIONS`` entry)."""
    app.router.add_get("/r/{token}", redirect)
