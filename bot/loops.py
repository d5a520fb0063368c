"""A background loop that stops between rounds, never in the middle of one.

Cancelling a task that is half-way through a database call can leave a connection attempt or a
transaction cut off (asyncpg then logs a "Future exception was never retrieved" for the
abandoned connection). A :class:`RoundLoop` is asked to stop instead: the round in progress
ends, the wait before the next one is cut short, and only a round that outlasts the grace
period is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

#: How long :meth:`RoundLoop.stop` lets a round in progress finish before cancelling it.
GRACE_SECONDS = 10.0


class RoundLoop:
    """Runs ``step`` every ``interval`` seconds in a task of its own until stopped."""

    def __init__(self, step: Callable[[], Awaitable[None]], interval: float, *, name: str) -> None:
        self.step, self.interval, self.name = step, interval, name
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self, wait_first: bool) -> None:
        if wait_first:
            await self._wait()
        while not self._stop.is_set():
            await self.step()
            await self._wait()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), self.interval)

    def start(self, *, wait_first: bool = False) -> None:
        """Run a round now and every ``interval`` after (``wait_first``: the first one later,
        for a caller that has just run one itself)."""
        self._stop.clear()
        self._task = asyncio.create_task(self._run(wait_first), name=self.name)

    async def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Stop after the round in progress (cancelled if it takes longer than ``grace``)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
