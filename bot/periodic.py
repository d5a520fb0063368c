"""A background service of ``votebot serve`` that runs one step now and then every few minutes."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class PeriodicService(abc.ABC):
    """Calls :meth:`run_once` at start and every ``interval`` seconds; a failure is logged, and
    the next round tries again."""

    #: Names the task and the log line of a failed round.
    name: str = "periodic"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def run_once(self) -> object:
        """One round of work."""

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self.name, self.interval)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
