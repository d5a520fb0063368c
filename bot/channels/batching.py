"""Bookkeeping written in batches, off a message's path.

After a reply went out, what remains to write about it (that its stored copy can be forgotten,
which WhatsApp message ids it got) changes nothing the user sees. :class:`Batcher` collects such
items for at most ``delay`` seconds and writes them with one call per ``size`` items, so a burst
costs one write per batch instead of one transaction per message (and SQLite, with one writer at
a time, is not asked for hundreds of small ones). A failed write is logged and dropped: it is
bookkeeping after a send, never a reason to send again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Batcher(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        *,
        what: str,
        delay: float = 0.05,
        size: int = 200,
    ) -> None:
        self.write, self.what, self.delay, self.size = write, what, delay, size
        self.items: list[T] = []
        self._timer: asyncio.Task[None] | None = None

    def add(self, item: T) -> None:
        self.items.append(item)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._soon())

    async def _soon(self) -> None:
        await asyncio.sleep(self.delay)
        await self._write_all()

    async def flush(self) -> None:
        """Write every item taken so far (also those a timer is writing now)."""
        timer = self._timer
        await self._write_all()
        if timer is not None and not timer.done():
            await asyncio.gather(timer, return_exceptions=True)

    async def _write_all(self) -> None:
        while self.items:
            batch, self.items = self.items[: self.size], self.items[self.size :]
            try:
                await self.write(batch)
            except Exception as exc:
                log.warning("could not write %d %s (%s)", len(batch), self.what, type(exc).__name__)
            finally:
                self.written(batch)

    def written(self, batch: list[T]) -> None:
        """Called after each batch, written or not (a hook for subclasses)."""
