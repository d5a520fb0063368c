"""The shared aiohttp application: ``/healthz`` here; channels and the dashboard add routes."""

from __future__ import annotations

from aiohttp import web

from bot.runtime import Runtime

RUNTIME_KEY = web.AppKey("runtime", Runtime)

#: Requests larger than this are refused with 413 before any handler reads them.
MAX_BODY_BYTES = 1024 * 1024


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    db_ok = await runtime.db.ping()
    status = 200 if db_ok else 503
    return web.json_response(
        {"status": "ok" if db_ok else "degraded", "database": "up" if db_ok else "down"},
        status=status,
    )


async def _server_header(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """No software versions in the ``Server`` header (aiohttp would name itself and Python)."""
    response.headers["Server"] = "votebot"


def create_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.on_response_prepare.append(_server_header)
    app[RUNTIME_KEY] = runtime
    app.router.add_get("/healthz", healthz)
    return app
