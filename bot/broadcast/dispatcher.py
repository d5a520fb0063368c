"""The dispatcher: drains the durable outbox (broadcasts and notifications) through the channels.

How it stays correct with several workers and after a crash:

- **One sender per channel in the fleet.** Only the worker holding the ``dispatch:<channel>``
  lease (:mod:`bot.broadcast.fleet`) sends proactive messages on that channel, so the platform's
  rate is one budget for the whole fleet, and a ``retry_after`` pauses the fleet's sender (a
  ``pause:<channel>`` lease, honoured by whoever leads next). Another worker takes over when the
  leader stops renewing (crash, freeze) for ``leader_ttl`` seconds.
- **Rows are claimed with a lease** in small batches by one atomic ``UPDATE … RETURNING``
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL). Before each chunk (a tenth of a second of sending)
  the lease on its rows is renewed, and rows this worker no longer holds are dropped; before each
  send the worker checks it renewed recently enough (``renew_after``), else renews again. So a
  worker that was paused (a long ``retry_after``, a frozen process) never sends a row that another
  worker took over meanwhile.
- **Right before sending** each row is re-checked (:mod:`bot.broadcast.recheck`): still sending,
  not expired, consent still held, reachable, outside quiet hours.
- **Results are never dropped** (:mod:`bot.broadcast.outcomes`): a failed write is retried, never
  the send; bookkeeping after a successful send is part of that write.

What remains, and no platform without an idempotency key lets anyone avoid: a worker killed
after a message left but before its result was written has that row sent again by its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import fleet, retry
from bot.channels.base import PermanentError, RetryLater, TransientError, Unreachable
from bot.core import broadcasts as bc
from bot.core.replies import Reply
from bot.db import outbox_repo
from bot.db.models import utcnow
from bot.db.models_broadcast import FAILED, PENDING, SENT, SKIPPED
from bot.db.outbox_repo import Claimed
from bot.runtime import Runtime

from .notes import NotificationSender
from .outcomes import Counters, Outcome, ResultWriter
from .progress import finish_done, report_progress
from .ratelimit import ChannelLimiter
from .recheck import Rechecker

log = logging.getLogger(__name__)


class SupportsSend(Protocol):
    """What the dispatcher needs of a channel: ``send`` (a returned ``str`` is the message id).

    A channel's ``send_broadcast`` (see :class:`bot.channels.base.Channel`) is used instead when it
    has one: it applies the platform's rules for messages the user did not ask for.
    """

    async def send(self, external_id: str, replies: Sequence[Reply]) -> object: ...


def default_rates(settings: Any) -> dict[str, tuple[float | None, float | None]]:
    """channel → (messages per second overall, per chat): the platforms' limits."""
    return {
        "telegram": (settings.rate_telegram, settings.rate_telegram_per_chat),
        "whatsapp": (settings.rate_whatsapp, None),
    }


class Dispatcher:
    def __init__(
        self,
        runtime: Runtime,
        channels: Mapping[str, SupportsSend],
        *,
        broadcast_id: int | None = None,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        rates: Mapping[str, tuple[float | None, float | None]] | None = None,
        batch_size: int | None = None,
        lease: timedelta = timedelta(seconds=120),
        leader_ttl: float = 15.0,
        renew_after: float = 1.0,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        concurrency: int = 32,
        poll_interval: float = 1.0,
        recheck_window: float = 0.25,
        reserve: float | None = None,
    ) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.settings = runtime.settings
        self.channels = dict(channels)
        self.broadcast_id = broadcast_id
        self.worker_id = worker_id or fleet.new_worker_id()
        self.clock = clock
        self.lease = lease
        self.leader_ttl = leader_ttl
        self.renew_after = renew_after
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.poll_interval = poll_interval
        reserve = self.settings.conversation_reserve if reserve is None else reserve
        all_rates = {**default_rates(self.settings), **(rates or {})}
        self.limiters: dict[str, ChannelLimiter] = {}
        self.batch_sizes: dict[str, int] = {}
        #: rows re-checked (and their leases renewed) together just before sending: at most
        #: ``recheck_window`` seconds of sending at the channel's rate, so an opt-out counts for
        #: every send after that.
        self.recheck_sizes: dict[str, int] = {}
        for name in self.channels:
            rate, per_chat = all_rates.get(name, (30.0, None))
            # The fleet's sender leaves ``reserve`` of the platform's rate to conversation.
            share = rate * (1 - reserve) if rate else None
            self.limiters[name] = ChannelLimiter(share, per_chat)
            self.batch_sizes[name] = batch_size or max(1, min(200, int((share or 100) * 2)))
            self.recheck_sizes[name] = max(1, min(100, int((share or 1000) * recheck_window)))
        self.concurrency = asyncio.Semaphore(concurrency)
        self.counters = Counters()
        self.writer = ResultWriter(self.db, self.worker_id, self.counters)
        self.writer.after_write = self._after_write
        self.rechecker = Rechecker(runtime)
        self.notes = NotificationSender(self)
        self._stop = asyncio.Event()
        self._progress_checked: dict[int, float] = {}
        #: channel → monotonic time until which this worker surely leads (renewed lease − margin)
        self._leading_until: dict[str, float] = {}
        self._led_at: dict[str, float] = {}

    # ------------------------------------------------------------------------------ running

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def run(self, *, until_done: bool = False) -> None:
        """Send until stopped (or, with ``until_done``, until nothing is left to send now)."""
        self.writer.start()
        try:
            loops = [
                asyncio.create_task(self._channel_loop(name, until_done), name=f"outbox-{name}")
                for name in self.channels
            ]
            try:
                await asyncio.gather(*loops)
            finally:
                for task in loops:
                    task.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
        finally:
            await self.writer.close()
            for name in self.channels:
                with contextlib.suppress(Exception):
                    await fleet.release(self.db, f"dispatch:{name}", self.worker_id)
                    await fleet.release(self.db, f"busy:{name}", self.worker_id)
        await self.finish_done()

    async def idle(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the dispatcher is stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def lead(self, channel: str) -> bool:
        """Take or renew the ``dispatch:<channel>`` lease; True while this worker leads."""
        started = time.monotonic()
        try:
            ok = await fleet.acquire(
                self.db, f"dispatch:{channel}", self.worker_id, self.leader_ttl, self.clock()
            )
        except Exception as exc:
            log.warning("could not renew the %s sender lease (%s)", channel, type(exc).__name__)
            ok = False
        if ok:
            self._leading_until[channel] = started + self.leader_ttl * 0.8
            self._led_at[channel] = started
        else:
            self._leading_until.pop(channel, None)
        return ok

    def _still_leading(self, channel: str, *, fresh: float | None = None) -> bool:
        """Whether this worker surely still leads ``channel`` (its renewed lease has not run
        out); with ``fresh``, only if it was renewed less than that many seconds ago."""
        until = self._leading_until.get(channel, 0.0)
        if fresh is not None:
            until = min(until, self._led_at.get(channel, 0.0) + fresh)
        return time.monotonic() < until

    async def _channel_loop(self, name: str, until_done: bool) -> None:
        limiter = self.limiters[name]
        in_flight: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        housekept_at = -1e9
        try:
            while not self._stop.is_set():
                if not await self.lead(name):
                    if until_done and not await self.outstanding(name):
                        return
                    await self.idle(self.poll_interval)
                    continue
                await self._honour_fleet_pause(name)
                if loop.time() - housekept_at >= self.poll_interval:
                    await self.promote_due()
                    housekept_at = loop.time()
                notes = await self.notes.send_due(name, in_flight)
                rows = await self.claim(name, self.batch_sizes[name])
                if not rows and notes:
                    continue  # more notifications may be due: no idling between them
                if not rows:
                    await self._drain(in_flight)
                    await self.finish_done()
                    if until_done and not await self.outstanding(name):
                        return
                    await self.idle(self.poll_interval)
                    housekept_at = -1e9
                    continue
                await self._mark_busy(name)
                await self._send_rows(name, rows, limiter, in_flight)
        finally:
            await self._drain(in_flight)

    async def _send_rows(
        self,
        name: str,
        rows: list[Claimed],
        limiter: ChannelLimiter,
        in_flight: set[asyncio.Task[None]],
    ) -> None:
        step = self.recheck_sizes[name]
        for start in range(0, len(rows), step):
            rest = rows[start:]
            if self._stop.is_set() or limiter.paused_for() > self.lease.total_seconds() / 4:
                await self._release(rest, delay=limiter.paused_for())
                return
            if not self._still_leading(name, fresh=self.renew_after) and not await self.lead(name):
                # Another worker leads now (this one froze or paused past its lease).
                self.counters.lease_lost += len(rest)
                await self._release(rest)
                return
            renewed_at = time.monotonic()
            chunk = await self._renew(rows[start : start + step])
            verdicts = await self.rechecker.check(name, chunk, self.clock())
            for outcome in verdicts.outcomes:
                self._count_settled(outcome)
                self.writer.put(outcome)
            await self._release(verdicts.release)
            for row, external_id, replies in verdicts.send:
                await limiter.acquire(external_id)
                if time.monotonic() - renewed_at > self.renew_after:
                    # A long wait (a pause, a slow moment): make sure the row is still ours.
                    if not await self.lead(name) or not await self._renew([row]):
                        self.counters.lease_lost += 1
                        continue
                    renewed_at = time.monotonic()
                if not self._still_leading(name):
                    self.counters.lease_lost += 1
                    continue
                await self.concurrency.acquire()
                task = asyncio.create_task(self._send(name, row, external_id, replies))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)

    async def _mark_busy(self, channel: str) -> None:
        """Tell the fleet this channel's sender has rows (conversation keeps to the reserve)."""
        ttl = 3 * fleet.HEARTBEAT_SECONDS
        try:
            await fleet.acquire(self.db, f"busy:{channel}", self.worker_id, ttl, self.clock())
        except Exception as exc:
            log.warning("could not mark the %s sender busy (%s)", channel, type(exc).__name__)

    def _count_settled(self, outcome: Outcome) -> None:
        status, error = outcome.values.get("status"), outcome.values.get("error")
        if status == SKIPPED and error == bc.EXPIRED:
            self.counters.expired += 1
        elif status == SKIPPED:
            self.counters.skipped += 1
        elif status == PENDING:
            self.counters.held += 1

    @staticmethod
    async def _drain(tasks: set[asyncio.Task[None]]) -> None:
        if tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)

    async def _honour_fleet_pause(self, channel: str) -> None:
        now = self.clock()
        until = await fleet.held_until(self.db, f"pause:{channel}", now)
        if until is not None:
            self.limiters[channel].pause((until - now).total_seconds())

    # ------------------------------------------------------------------------------ claiming

    async def promote_due(self) -> None:
        """Queued broadcasts whose time has come start sending; expired rows are skipped."""
        now = self.clock()
        async with self.db.transaction() as session:
            await outbox_repo.promote_due(session, now, self.broadcast_id)
            self.counters.expired += await outbox_repo.expire_rows(session, now, self.broadcast_id)

    async def claim(self, channel: str, limit: int) -> list[Claimed]:
        """Atomically take up to ``limit`` due rows of ``channel`` for this worker."""
        now = self.clock()
        async with self.db.transaction() as session:
            return await outbox_repo.claim(
                session,
                channel=channel,
                limit=limit,
                worker=self.worker_id,
                now=now,
                lease_until=now + self.lease,
                broadcast_id=self.broadcast_id,
            )

    async def _renew(self, rows: Sequence[Claimed]) -> list[Claimed]:
        """Renew the lease on ``rows``; return those this worker still holds."""
        if not rows:
            return []
        async with self.db.transaction() as session:
            held = await outbox_repo.renew(
                session, [r.id for r in rows], self.worker_id, self.clock() + self.lease
            )
        lost = len(rows) - len(held)
        if lost:
            self.counters.lease_lost += lost
            log.warning("%d outbox rows were taken over by another worker; not sending them", lost)
        return [r for r in rows if r.id in held]

    async def outstanding(self, channel: str) -> int:
        """Rows (and, for the whole outbox, notifications) of ``channel`` still to do now."""
        async with self.db.sessions() as session:
            left = await outbox_repo.outstanding(session, channel, self.broadcast_id, self.clock())
            if self.broadcast_id is None:
                left += await outbox_repo.notifications_waiting(session, channel)
            return left

    async def _release(self, rows: Sequence[Claimed], *, delay: float = 0.0) -> None:
        if not rows:
            return
        async with self.db.transaction() as session:
            await outbox_repo.release(
                session,
                [r.id for r in rows],
                self.worker_id,
                self.clock() + timedelta(seconds=delay),
            )

    # ------------------------------------------------------------------------------ sending

    async def _send(
        self, channel: str, row: Claimed, external_id: str, replies: list[Reply]
    ) -> None:
        try:
            outcome = await self._deliver(channel, row, external_id, replies, broadcast=True)
        finally:
            self.concurrency.release()
        self.writer.put(outcome)

    async def _deliver(
        self,
        channel: str,
        row: Claimed,
        external_id: str,
        replies: list[Reply],
        *,
        broadcast: bool,
        template: tuple[str, dict[str, str]] | None = None,
    ) -> Outcome:
        attempts = row.attempts + 1
        now = self.clock
        note = not broadcast
        try:
            target = self.channels[channel]
            send = getattr(target, "send_broadcast", target.send) if broadcast else target.send
            if template is not None and hasattr(target, "send_template"):
                # Outside WhatsApp's 24-hour window the notification's approved template goes.
                send = functools.partial(
                    target.send,  # type: ignore[call-arg]
                    template=template[0],
                    params=template[1],
                )
            result = await send(external_id, replies)
        except RetryLater as exc:
            self.counters.rate_limited += 1
            self.limiters[channel].pause(exc.retry_after)
            until = now() + timedelta(seconds=exc.retry_after)
            try:
                await fleet.pause(self.db, channel, until)
            except Exception as err:
                log.warning("could not share a %s pause with the fleet (%s)", channel, err)
            values = {"status": PENDING, "error": "rate_limited", "next_attempt_at": until}
            return Outcome(row, channel, external_id, values, notification=note)
        except Unreachable as exc:
            self.counters.blocked += 1
            values = {"status": FAILED, "error": bc.BLOCKED, "attempts": attempts}
            return Outcome(
                row,
                channel,
                external_id,
                values,
                "blocked",
                exc.reason[:64],
                unreachable=True,
                notification=note,
            )
        except PermanentError as exc:
            self.counters.failed += 1
            values = {"status": FAILED, "error": exc.reason[:64], "attempts": attempts}
            return Outcome(
                row, channel, external_id, values, "failed", exc.reason[:64], notification=note
            )
        except Exception as exc:
            reason = (exc.reason if isinstance(exc, TransientError) else type(exc).__name__)[:64]
            if not isinstance(exc, TransientError):
                log.warning("sending outbox row %s failed: %r", row.id, exc)
            if attempts >= self.max_attempts:
                self.counters.failed += 1
                values = {"status": FAILED, "error": reason, "attempts": attempts}
                return Outcome(
                    row, channel, external_id, values, "failed", reason, notification=note
                )
            self.counters.retried += 1
            delay = retry.backoff(attempts, self.backoff_base, self.backoff_cap)
            values = {
                "status": PENDING,
                "error": reason,
                "attempts": attempts,
                "next_attempt_at": now() + timedelta(seconds=delay),
            }
            return Outcome(row, channel, external_id, values, notification=note)
        self.counters.sent += 1
        values = {"status": SENT, "sent_at": now(), "attempts": attempts, "error": None}
        if broadcast and isinstance(result, str) and result:
            values["message_id"] = result[:128]
        return Outcome(row, channel, external_id, values, "sent", notification=note)

    # ------------------------------------------------------------------------------ progress

    async def _after_write(self, broadcast_ids: set[int]) -> None:
        loop = asyncio.get_running_loop()
        for bid in broadcast_ids:
            last = self._progress_checked.get(bid, 0.0)
            if loop.time() - last < 1.0:
                continue
            self._progress_checked[bid] = loop.time()
            try:
                await report_progress(self.runtime, bid, self.clock())
            except Exception:
                log.exception("progress report for broadcast %s failed", bid)

    async def finish_done(self) -> list[int]:
        """Mark sending broadcasts with nothing left as finished (exactly once across workers)."""
        return await finish_done(self.runtime, self.clock, self.broadcast_id)

    async def report_progress(self, broadcast_id: int) -> None:
        await report_progress(self.runtime, broadcast_id, self.clock())
