"""What happened to each claimed row, and the writer that records it without ever dropping it.

A send that happened must be recorded, or the row is sent again once its lease expires. So the
writer retries a failed write (never the send: it already happened) with backoff until it lands;
only at shutdown, after a grace period, does it give up, logging the rows it could not record.
Bookkeeping that follows a send (the engagement-log row, marking a user unreachable) is written in
the same transaction, so it is retried with it and never turns into a second send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot import retry
from bot.core import broadcasts as bc
from bot.core.events import UserRef
from bot.db import outbox_repo, repo
from bot.db.engine import Database
from bot.db.models_broadcast import SENT
from bot.db.outbox_repo import Claimed

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one row (a broadcast's outbox row, or a notification)."""

    row: Claimed
    channel: str
    external_id: str | None
    values: dict[str, Any]
    #: engagement-log ``broadcast``/``delivery`` status, if the row reached an end state
    delivery: str | None = None
    reason: str | None = None
    unreachable: bool = False
    #: True for a row of the ``notifications`` table.
    notification: bool = False


@dataclass
class Counters:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    held: int = 0
    retried: int = 0
    rate_limited: int = 0
    expired: int = 0
    #: rows not sent by this worker because it no longer led the channel or held the row
    #: (its lease had passed and another worker took over)
    lease_lost: int = 0
    #: failed attempts to record results (each retried until it landed)
    write_retries: int = 0


class ResultWriter:
    """Records outcomes in small batches, as soon as they arrive, retrying failed writes."""

    def __init__(
        self,
        db: Database,
        worker_id: str,
        counters: Counters,
        *,
        grace: float = 30.0,
        after_write: Callable[[set[int]], Awaitable[None]] | None = None,
    ) -> None:
        self.db, self.worker_id, self.counters = db, worker_id, counters
        self.grace = grace
        self.after_write = after_write
        self._queue: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._give_up_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def put(self, outcome: Outcome) -> None:
        self._queue.put_nowait(outcome)

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-writer")

    async def close(self) -> None:
        """Write everything queued (retrying for up to ``grace`` seconds), then stop."""
        self._give_up_at = time.monotonic() + self.grace
        await self._queue.put(None)
        if self._task is not None:
            await self._task

    def _give_up(self) -> bool:
        return self._give_up_at is not None and time.monotonic() > self._give_up_at

    async def _run(self) -> None:
        done = False
        while not done:
            first = await self._queue.get()
            batch: list[Outcome] = []
            if first is None:
                done = True
            else:
                batch.append(first)
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    done = True
                else:
                    batch.append(item)
            if not batch:
                continue
            try:
                await retry.until_written(
                    lambda batch=batch: self._write(batch),  # type: ignore[misc]
                    give_up=self._give_up,
                    what=f"recording {len(batch)} outbox results",
                )
            except Exception:
                sent = [o.row.id for o in batch if o.values.get("status") == SENT]
                log.error(
                    "gave up recording %d outbox results at shutdown; rows sent but not "
                    "recorded (they will be sent again after their lease): %s",
                    len(batch),
                    sent,
                )
                continue
            if self.after_write is not None:
                try:
                    ids = {o.row.broadcast_id for o in batch if not o.notification}
                    await self.after_write(ids)
                except Exception:
                    log.exception("after recording outbox results")

    async def _write(self, batch: list[Outcome]) -> None:
        """One transaction: every row's result (one statement for all), then the bookkeeping."""
        try:
            async with self.db.transaction() as session:
                rows = [o for o in batch if not o.notification]
                saved = await outbox_repo.record_many(
                    session, self.worker_id, [(o.row, o.values) for o in rows]
                )
                done = [o for o in rows if o.row.id in saved]
                for o in batch:
                    if o.notification and await outbox_repo.record_notification(
                        session, o.row.id, self.worker_id, o.values
                    ):
                        done.append(o)
                changed = len(batch) - len(done)
                if changed:
                    log.warning(
                        "%d outbox rows changed hands before their results were saved", changed
                    )
                for o in done:
                    if o.unreachable and o.external_id is not None:
                        await repo.mark_unreachable(
                            session, UserRef(o.channel, o.external_id), o.reason or bc.BLOCKED
                        )
                    if o.delivery is not None and not o.notification:
                        props: dict[str, Any] = {
                            "broadcast_id": o.row.broadcast_id,
                            "status": o.delivery,
                        }
                        if o.reason:
                            props["reason"] = o.reason
                        await repo.log_event(
                            session,
                            user_id=o.row.user_id,
                            channel=o.channel,
                            event_type="broadcast",
                            name="delivery",
                            properties=props,
                        )
        except Exception:
            self.counters.write_retries += 1
            raise
