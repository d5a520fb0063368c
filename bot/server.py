"""``votebot serve``: run every configured channel, the web app and background services."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import signal
from typing import Protocol

from aiohttp import web

from bot.channels.base import Channel, StartupError
from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from bot.web.app import create_app

log = logging.getLogger(__name__)

#: Channel classes as ``module:Class``; each has ``configured(settings)`` and takes a Runtime.
CHANNELS: list[str] = [
    "bot.channels.whatsapp:WhatsAppChannel",
    "bot.channels.telegram:TelegramChannel",
    "bot.channels.sandbox:SandboxChannel",  # --sandbox only: prints what simulator users get
]
#: Background services (``module:factory``) started with the server, e.g. the broadcast dispatcher;
#: a factory takes the Runtime and the started channels and returns a Service or None.
SERVICES: list[str] = [
    "bot.db.maintenance:create",
    "bot.broadcast.service:create_service",
    "bot.broadcast.reminders:create_service",
    "bot.broadcast.answers:create_service",
    "bot.broadcast.verdicts:create_service",
    "bot.polls.service:create_service",
]
#: Route installers (``module:function``) called with the app, e.g. the admin dashboard.
WEB_EXTENSIONS: list[str] = [
    "bot.web.admin:install",
    "bot.web.questions:install",
    "bot.web.claims:install",
    "bot.web.public:install",
    "bot.web.admin_polls:install",
    "bot.web.links:install",
    "bot.web.experiments:install",
    "bot.web.shared_reports:install",
]

NO_CHANNEL = (
    "No channel configured: set TELEGRAM_BOT_TOKEN for Telegram, or WHATSAPP_TOKEN, "
    "WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN for WhatsApp "
    "(see README). To try the bot without one, run `votebot chat`."
)
#: Said once when ``serve`` starts with no channel: the web app and services still run.
WEB_ONLY = (
    "No channel configured: running the web app only (dashboard, /metrics, /healthz) and the "
    "background services; set TELEGRAM_BOT_TOKEN or the WHATSAPP_* variables to add a channel."
)


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def _load(ref: str) -> object:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def configured_channels(settings: Settings) -> list[type[Channel]]:
    classes = [_load(ref) for ref in CHANNELS]
    return [c for c in classes if isinstance(c, type) and c.configured(settings)]  # type: ignore[attr-defined]


def freeze_startup_objects() -> None:
    """Move what start-up built (content, indexes, place names, libraries) out of the garbage
    collector's reach: it lives as long as the process, and every full collection walked all of
    it again. py-spy charged about a tenth of an update's CPU to such collections."""
    gc.collect()
    gc.freeze()


class Server:
    """Owns the runtime, the channels, the services and the web app for one process."""

    def __init__(self, runtime: Runtime, channel_classes: list[type[Channel]]) -> None:
        self.runtime = runtime
        self.channels = [cls(runtime) for cls in channel_classes]
        self.app = create_app(runtime)
        for channel in self.channels:
            channel.setup_routes(self.app)
        for ref in WEB_EXTENSIONS:
            install = _load(ref)
            assert callable(install)
            install(self.app, runtime)
        self.services: list[Service] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        settings = self.runtime.settings
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        await site.start()
        log.info("web app listening on http://%s:%s", settings.host, settings.port)
        from bot.core.regions import warm_name_index

        await warm_name_index(self.runtime.db)
        self.runtime.core.warm()
        for channel in self.channels:
            await channel.start()
            log.info("channel %s started", channel.name)
        for ref in SERVICES:
            factory = _load(ref)
            assert callable(factory)
            service = factory(self.runtime, self.channels)
            if service is not None:
                await service.start()
                self.services.append(service)

    async def stop(self) -> None:
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                await service.stop()
        for channel in reversed(self.channels):
            try:
                await channel.stop()
            except Exception:
                log.exception("error stopping channel %s", channel.name)
        if self._runner is not None:
            await self._runner.cleanup()
        await self.runtime.close()


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); return the exit code."""
    classes = configured_channels(settings)
    if not classes:
        log.warning(WEB_ONLY)
    runtime = await open_runtime(settings, require_secret=True)
    server = Server(runtime, classes)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await server.start()
        except StartupError as exc:  # only configured channels start, so this is a real error
            log.error("%s", exc)
            return 1
        freeze_startup_objects()
        await stop.wait()
        log.info("stopping: finishing the updates in flight")
    finally:
        await server.stop()
    return 0
