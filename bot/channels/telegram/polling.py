"""Telegram long polling: one poller per bot across the fleet, offsets confirmed after handling.

:meth:`Poller.claim` runs before the channel starts: it refuses to poll while a webhook is set
(polling would fail with 409, and deleting the webhook would cut off the workers serving it) and
while another process polls the same bot (a PostgreSQL advisory lock, or a file lock beside the
SQLite database). Each batch from ``getUpdates`` is handled through the inbound pipeline, and the
next ``getUpdates`` confirms only what was handled: an update whose handling could not finish
(the database unavailable) is fetched again, and after a crash every unconfirmed update comes
back (the ones already handled are recognised and skipped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from telegram.error import Conflict, RetryAfter, TelegramError

from bot.channels.base import StartupError
from bot.channels.telegram.adapter import ALLOWED_UPDATES
from bot.channels.telegram.delivery import retry_after_seconds
from bot.db.locks import FleetLock

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)

#: Updates asked for per ``getUpdates`` (the Bot API's maximum).
BATCH = 100


class Poller:
    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel
        self.lock = FleetLock(channel.runtime.db, f"telegram-polling-{channel.bot_id}")
        self._task: asyncio.Task[None] | None = None

    async def claim(self) -> None:
        """Take the fleet's polling lock, and make sure no webhook is set; else StartupError."""
        if not await self.lock.try_acquire():
            raise StartupError(
                "Another votebot process is already polling Telegram for this bot (it holds the "
                "polling lock on this database). Run one poller, or set TELEGRAM_WEBHOOK_URL to "
                "serve Telegram from several workers."
            )
        try:
            info = await self.channel.bot.get_webhook_info()
        except TelegramError as exc:
            # A Bot API server without it (a local one): getUpdates would say 409 if one is set.
            log.warning("telegram: could not ask whether a webhook is set (%s); polling", exc)
            return
        if getattr(info, "url", ""):
            await self.lock.release()
            raise StartupError(
                f"A Telegram webhook is set ({info.url}), so this worker cannot poll. Start it "
                "with TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET like the other workers, or "
                "delete the webhook first (Bot API deleteWebhook) if you mean to switch the "
                "whole bot to polling."
            )

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.lock.release()

    async def _poll(self) -> None:
        channel = self.channel
        offset: int | None = None
        delay = redo = 0.0
        while True:
            try:
                raw = await channel.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "limit": BATCH,
                        "timeout": channel.poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=channel.poll_timeout + 10,
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (TelegramError, ValueError, TypeError) as exc:
                delay = min(channel.poll_backoff_cap, max(channel.backoff_base, delay * 2))
                if isinstance(exc, Conflict):
                    log.warning(
                        "telegram: getUpdates conflict (a webhook was set, or another poller "
                        "without this database's lock): %s; retrying in %.1fs",
                        exc,
                        delay,
                    )
                else:
                    log.warning("telegram: getUpdates failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            offset, failed = await self.handle_batch(raw if isinstance(raw, list) else [], offset)
            delay = 0.0
            if not failed:
                redo = 0.0
                continue
            redo = min(channel.poll_backoff_cap, max(channel.backoff_base, redo * 2))
            log.warning("telegram: %d update(s) to be fetched again in %.1fs", failed, redo)
            await asyncio.sleep(redo)

    async def handle_batch(self, items: list[Any], offset: int | None) -> tuple[int | None, int]:
        """Handle a batch (users concurrently, each user's updates in order); return the next
        offset (the first update not safely handled, else past the last) and the failures."""
        channel = self.channel
        ids: list[int] = []
        tasks: list[asyncio.Task[bool]] = []
        for item in items:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if type(update_id) is not int:
                log.warning("telegram: skipped an update without an update_id")
                continue
            update = channel.decode(item)
            if update is None:
                offset = max(offset or 0, update_id + 1)
                continue
            ids.append(update_id)
            tasks.append(asyncio.create_task(channel.handle_update(update, wait=None)))
        results = await asyncio.gather(*tasks)
        failed = [i for i, ok in zip(ids, results, strict=True) if not ok]
        if failed:
            return min(failed), len(failed)
        if ids:
            offset = max(offset or 0, max(ids) + 1)
        return offset, 0
