"""A background service of ``votebot serve`` that runs one step now and then every few minutes."""

from __future__ import annotations

import abc
import logging

from bot import fleet
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.loops import RoundLoop

log = logging.getLogger(__name__)


class PeriodicService(abc.ABC):
    """Calls :meth:`run_once` at start and every ``interval`` seconds; a failure is logged, and
    the next round tries again.

    With ``singleton`` set, a round runs only in the worker holding the fleet lease of that name
    (:mod:`bot.fleet`), so the job runs once per fleet; another worker takes over when the
    holder has missed a round by a minute.
    """

    #: Names the task and the log line of a failed round.
    name: str = "periodic"
    #: The fleet lease that makes this a once-per-fleet job, or None (every worker runs it).
    singleton: str | None = None

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._rounds: RoundLoop | None = None
        #: The database holding the fleet's leases (set by services that are singletons).
        self.db: Database | None = None
        #: Who this worker is in the fleet's leases.
        self.holder = fleet.PROCESS_ID

    async def leads(self) -> bool:
        """Whether this worker should run the round (always, unless a singleton it doesn't hold)."""
        if self.singleton is None or self.db is None:
            return True
        ttl = self.interval + 60.0
        return await fleet.acquire(self.db, self.singleton, self.holder, ttl, utcnow())

    @abc.abstractmethod
    async def run_once(self) -> object:
        """One round of work."""

    async def _round(self) -> None:
        try:
            if await self.leads():
                await self.run_once()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", self.name, self.interval)

    async def start(self) -> None:
        self._rounds = RoundLoop(self._round, self.interval, name=self.name)
        self._rounds.start()

    async def stop(self) -> None:
        """Stop after the round in progress (a round is never cut off half-way)."""
        if self._rounds is not None:
            await self._rounds.stop()
