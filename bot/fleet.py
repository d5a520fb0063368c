"""The fleet: several ``votebot serve`` workers sharing one database.

Named leases in ``fleet_leases`` (one row each, on SQLite and PostgreSQL alike):

- ``dispatch:<channel>``: the one worker sending proactive messages on a channel (the leader);
- ``reminders``, ``housekeeping``: jobs that run once per fleet;
- ``worker:<id>``: each live worker's heartbeat (how many share the conversation budget);
- ``busy:<channel>``: the leader has rows to send (conversation replies then keep to the reserve);
- ``pause:<channel>``: the platform asked us to wait (``retry_after``): nobody sends proactively.

Taking a lease is one guarded ``UPDATE`` (free, expired, or already ours), else an
``INSERT … ON CONFLICT DO NOTHING``: exactly one worker gets it. Times come from each worker's
clock, so the workers' clocks must agree to well within a lease (NTP does this).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from bot.db import repo
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.db.models_broadcast import FleetLease
from bot.loops import RoundLoop

log = logging.getLogger(__name__)

#: How often a worker renews its heartbeat; it counts as live for three of these.
HEARTBEAT_SECONDS = 5.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


#: This process's id in the fleet (its heartbeat and singleton leases).
PROCESS_ID = new_worker_id()


async def acquire(db: Database, name: str, holder: str, ttl: float, now: datetime) -> bool:
    """Take or renew lease ``name`` for ``ttl`` seconds; True if ``holder`` holds it now."""
    until = now + timedelta(seconds=ttl)
    async with db.transaction() as session:
        result = await session.execute(
            update(FleetLease)
            .where(
                FleetLease.name == name,
                (FleetLease.holder == holder) | (FleetLease.expires_at < now),
            )
            .values(holder=holder, expires_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            return True
        inserted = await session.execute(
            repo.insert_ignore(session, FleetLease, ["name"]).values(
                name=name, holder=holder, expires_at=until
            )
        )
        return bool(getattr(inserted, "rowcount", 0))


async def release(db: Database, name: str, holder: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(FleetLease).where(FleetLease.name == name, FleetLease.holder == holder)
        )


async def live(db: Database, prefix: str, now: datetime) -> int:
    """How many unexpired leases start with ``prefix`` (e.g. live workers)."""
    async with db.sessions() as session:
        stmt = select(func.count()).where(
            FleetLease.name.like(prefix + "%"), FleetLease.expires_at >= now
        )
        return int(await session.scalar(stmt) or 0)


async def held_until(db: Database, name: str, now: datetime) -> datetime | None:
    """When lease ``name`` ends, if someone holds it now."""
    async with db.sessions() as session:
        until = await session.scalar(
            select(FleetLease.expires_at).where(
                FleetLease.name == name, FleetLease.expires_at >= now
            )
        )
    return until


async def pause(db: Database, channel: str, until: datetime) -> None:
    """Pause the fleet's proactive sends on ``channel`` until ``until`` (never shortens one)."""
    name = f"pause:{channel}"
    async with db.transaction() as session:
        await session.execute(
            update(FleetLease)
            .where(FleetLease.name == name, FleetLease.expires_at < until)
            .values(expires_at=until)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            repo.insert_ignore(session, FleetLease, ["name"]).values(
                name=name, holder="fleet", expires_at=until
            )
        )


class Heartbeat:
    """Renews this worker's ``worker:<id>`` lease and tells listeners how many workers are live
    and which channels' senders are busy (for the conversation budget)."""

    def __init__(
        self,
        db: Database,
        worker_id: str,
        channels: list[str],
        *,
        interval: float = HEARTBEAT_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.worker_id, self.channels = db, worker_id, channels
        self.interval, self.clock = interval, clock
        self.workers = 1
        self.busy: dict[str, bool] = dict.fromkeys(channels, False)
        self.listeners: list[Callable[[int, dict[str, bool]], None]] = []
        self._rounds = RoundLoop(self._round, interval, name="fleet-heartbeat")

    async def beat(self) -> None:
        now = self.clock()
        await acquire(self.db, f"worker:{self.worker_id}", self.worker_id, 3 * self.interval, now)
        self.workers = max(1, await live(self.db, "worker:", now))
        for channel in self.channels:
            self.busy[channel] = await held_until(self.db, f"busy:{channel}", now) is not None
        for listener in self.listeners:
            listener(self.workers, dict(self.busy))

    async def _round(self) -> None:
        try:
            await self.beat()
        except Exception as exc:
            log.warning("fleet heartbeat failed (%s); trying again", type(exc).__name__)

    async def start(self) -> None:
        await self.beat()  # the fleet's figures are known before the worker serves
        self._rounds.start(wait_first=True)

    async def stop(self) -> None:
        await self._rounds.stop()
        with contextlib.suppress(Exception):
            await release(self.db, f"worker:{self.worker_id}", self.worker_id)
