"""Runs the real Telegram channel (python-telegram-bot's Application) against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel
from bot.db.models import User
from bot.runtime import Runtime, open_runtime
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.fake_telegram import TOKEN, FakeBotAPI

WEBHOOK_SECRET = "s3cret-token-for-the-tests_0123456789"
WEBHOOK_URL = "https://bot.example.org/telegram"


@dataclass
class Harness:
    api: FakeBotAPI
    runtime: Runtime
    channel: TelegramChannel
    client: TestClient[Any, Any] | None = None

    async def settle(self) -> None:
        """Wait until every pushed update has been fetched and fully handled."""
        if self.client is None:
            await self.api.drained()
            # The poller queues a batch before it asks for the next one.
            seen = len(self.api.log)
            await self.api.wait_for(
                lambda: any(c.method == "getUpdates" for c in self.api.log[seen:])
            )
        await self.channel.drain()

    async def post(
        self, update: Any, *, secret: str | None = WEBHOOK_SECRET, data: bytes | None = None
    ) -> int:
        """POST to the webhook like Telegram does; returns the HTTP status."""
        assert self.client is not None
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if data is None:
            import json

            data = json.dumps(update).encode()
        resp = await self.client.post("/telegram", data=data, headers=headers)
        return resp.status

    async def user_count(self) -> int:
        async with self.runtime.db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)


@asynccontextmanager
async def running(
    db_url: str,
    api: FakeBotAPI,
    *,
    webhook: bool = False,
    flood: bool = False,
    **overrides: object,
) -> AsyncIterator[Harness]:
    values: dict[str, object] = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": api.url}
    if webhook:
        values["TELEGRAM_WEBHOOK_URL"] = WEBHOOK_URL
        values["TELEGRAM_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    values.update(overrides)
    runtime = await open_runtime(make_settings(db_url, **values))
    if not flood:
        runtime.core.flood = None
    channel = TelegramChannel(runtime)
    channel.backoff_base = 0.01
    channel.backoff_cap = 0.05
    client: TestClient[Any, Any] | None = None
    try:
        if webhook:
            app = create_app(runtime)
            channel.setup_routes(app)
            client = TestClient(TestServer(app))
            await client.start_server()
        await channel.start()
        try:
            yield Harness(api, runtime, channel, client)
        finally:
            await channel.stop()
    finally:
        if client is not None:
            await client.close()
        await runtime.close()
