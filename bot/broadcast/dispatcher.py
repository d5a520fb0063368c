"""The dispatcher: drains the durable outbox through the channels, at each channel's rate.

How it stays correct with several processes and after a crash:

- Rows are *claimed* in small batches with one atomic ``UPDATE … SET status='sending',
  claimed_by=…, lease_until=… WHERE id IN (SELECT … LIMIT n)``; on PostgreSQL the inner select
  uses ``FOR UPDATE SKIP LOCKED`` so two dispatchers take disjoint rows without waiting; SQLite
  serialises writers, and the single statement makes the claim atomic. A crashed dispatcher's rows
  are claimable again once their lease expires, so a broadcast resumes where it stopped.
- Right before each send the row is re-checked against the database: the broadcast must still be
  sending, the user still opted in and reachable, and outside quiet hours in their time zone.
- Results are written as soon as each send returns (grouped into one transaction when several
  finish together), guarded by ``claimed_by`` so a row that changed hands is never overwritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.channels.base import PermanentError, RetryLater, TransientError, Unreachable
from bot.core import broadcasts as bc
from bot.core.events import UserRef
from bot.core.i18n import Translator
from bot.core.replies import Reply
from bot.core.roles import SYSTEM_ACTOR, audit
from bot.db import repo
from bot.db.models import Region, User, utcnow
from bot.db.models_broadcast import (
    CANCELLED,
    CLAIMED,
    FAILED,
    FINISHED,
    PENDING,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    Broadcast,
    OutboxRow,
)
from bot.runtime import Runtime

from .ratelimit import ChannelLimiter

log = logging.getLogger(__name__)

PROGRESS_STEPS = (25, 50, 75, 100)


class SupportsSend(Protocol):
    """What the dispatcher needs of a channel: ``send`` (a returned ``str`` is the message id).

    A channel's ``send_broadcast`` (see :class:`bot.channels.base.Channel`) is used instead when it
    has one: it applies the platform's rules for messages the user did not ask for.
    """

    async def send(self, external_id: str, replies: Sequence[Reply]) -> object: ...


@dataclass(frozen=True)
class Claimed:
    id: int
    broadcast_id: int
    user_id: int
    attempts: int


@dataclass
class Outcome:
    """What happened to one row; written by the result writer."""

    row: Claimed
    channel: str
    external_id: str | None
    values: dict[str, Any]
    #: engagement-log ``broadcast``/``delivery`` status, if the row reached an end state
    delivery: str | None = None
    reason: str | None = None
    unreachable: bool = False


@dataclass
class Counters:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    held: int = 0
    retried: int = 0
    rate_limited: int = 0


def default_rates(settings: Any) -> dict[str, tuple[float | None, float | None]]:
    """channel → (messages per second overall, per chat)."""
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
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        concurrency: int = 32,
        poll_interval: float = 1.0,
        recheck_window: float = 0.1,
    ) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.settings = runtime.settings
        self.channels = dict(channels)
        self.broadcast_id = broadcast_id
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.poll_interval = poll_interval
        self.is_pg = self.db.dialect == "postgresql"
        all_rates = {**default_rates(self.settings), **(rates or {})}
        self.limiters: dict[str, ChannelLimiter] = {}
        self.batch_sizes: dict[str, int] = {}
        #: rows re-checked together just before sending: at most ``recheck_window`` seconds of
        #: sending at the channel's rate, so an opt-out counts for every send after that.
        self.recheck_sizes: dict[str, int] = {}
        for name in self.channels:
            rate, per_chat = all_rates.get(name, (30.0, None))
            self.limiters[name] = ChannelLimiter(rate, per_chat)
            self.batch_sizes[name] = batch_size or max(1, min(200, int((rate or 100) * 2)))
            self.recheck_sizes[name] = max(1, min(100, int((rate or 1000) * recheck_window)))
        self.concurrency = asyncio.Semaphore(concurrency)
        self.counters = Counters()
        self._results: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._stop = asyncio.Event()
        self._progress_checked: dict[int, float] = {}
        self._translators: dict[str, Translator] = {}

    # ------------------------------------------------------------------------------ running

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def run(self, *, until_done: bool = False) -> None:
        """Send until stopped (or, with ``until_done``, until nothing is left to send now)."""
        writer = asyncio.create_task(self._writer(), name="outbox-writer")
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
            await self._results.put(None)
            await writer
        await self.finish_done()

    async def idle(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the dispatcher is stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _channel_loop(self, name: str, until_done: bool) -> None:
        limiter = self.limiters[name]
        in_flight: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        promoted_at = -1e9
        try:
            while not self._stop.is_set():
                if loop.time() - promoted_at >= self.poll_interval:
                    await self.promote_due()
                    promoted_at = loop.time()
                rows = await self.claim(name, self.batch_sizes[name])
                if not rows:
                    await self._drain(in_flight)
                    await self.finish_done()
                    if until_done and not await self.outstanding(name):
                        return
                    await self.idle(self.poll_interval)
                    promoted_at = -1e9
                    continue
                step = self.recheck_sizes[name]
                for start in range(0, len(rows), step):
                    chunk = rows[start : start + step]
                    if self._stop.is_set() or limiter.paused_for() > self.lease.total_seconds() / 4:
                        await self._release(rows[start:], delay=limiter.paused_for())
                        break
                    for row, target in await self.recheck_many(name, chunk):
                        if target is None:
                            continue
                        await limiter.acquire(target[0])
                        await self.concurrency.acquire()
                        task = asyncio.create_task(self._send(name, row, *target))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
        finally:
            await self._drain(in_flight)

    @staticmethod
    async def _drain(tasks: set[asyncio.Task[None]]) -> None:
        if tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)

    # ------------------------------------------------------------------------------ claiming

    async def promote_due(self) -> None:
        """Queued broadcasts whose time has come start sending."""
        now = self.clock()
        async with self.db.transaction() as session:
            stmt = update(Broadcast).where(
                Broadcast.status == QUEUED,
                or_(Broadcast.scheduled_at.is_(None), Broadcast.scheduled_at <= now),
            )
            if self.broadcast_id is not None:
                stmt = stmt.where(Broadcast.id == self.broadcast_id)
            await session.execute(stmt.values(status=SENDING, started_at=now))

    def _claimable(self, channel: str, now: datetime) -> Any:
        conds = [
            Broadcast.status == SENDING,
            OutboxRow.channel == channel,
            or_(
                and_(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now),
                and_(OutboxRow.status == CLAIMED, OutboxRow.lease_until < now),
            ),
        ]
        if self.broadcast_id is not None:
            conds.append(OutboxRow.broadcast_id == self.broadcast_id)
        return and_(*conds)

    async def claim(self, channel: str, limit: int) -> list[Claimed]:
        """Atomically take up to ``limit`` due rows of ``channel`` for this worker."""
        now = self.clock()
        sub = (
            select(OutboxRow.id)
            .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
            .where(self._claimable(channel, now))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if self.is_pg:
            sub = sub.with_for_update(skip_locked=True, of=OutboxRow)
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(sub.scalar_subquery()))
            .values(status=CLAIMED, claimed_by=self.worker_id, lease_until=now + self.lease)
            .returning(OutboxRow.id, OutboxRow.broadcast_id, OutboxRow.user_id, OutboxRow.attempts)
            .execution_options(synchronize_session=False)
        )
        async with self.db.transaction() as session:
            rows = (await session.execute(stmt)).all()
        return sorted((Claimed(*r) for r in rows), key=lambda c: c.id)

    async def outstanding(self, channel: str) -> int:
        """Rows of this channel still to do now: pending and not held, or claimed by anyone."""
        conds = [
            Broadcast.status == SENDING,
            OutboxRow.channel == channel,
            or_(
                and_(
                    OutboxRow.status == PENDING,
                    or_(OutboxRow.error.is_(None), OutboxRow.error.not_in(bc.HELD_REASONS)),
                ),
                OutboxRow.status == CLAIMED,
            ),
        ]
        if self.broadcast_id is not None:
            conds.append(OutboxRow.broadcast_id == self.broadcast_id)
        async with self.db.sessions() as session:
            stmt = (
                select(func.count())
                .select_from(OutboxRow)
                .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
                .where(*conds)
            )
            return int(await session.scalar(stmt) or 0)

    async def _release(self, rows: Sequence[Claimed], *, delay: float = 0.0) -> None:
        if not rows:
            return
        when = self.clock() + timedelta(seconds=delay)
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_([r.id for r in rows]),
                    OutboxRow.claimed_by == self.worker_id,
                    OutboxRow.status == CLAIMED,
                )
                .values(status=PENDING, claimed_by=None, lease_until=None, next_attempt_at=when)
                .execution_options(synchronize_session=False)
            )

    # ------------------------------------------------------------------------------ one row

    async def recheck(self, channel: str, row: Claimed) -> tuple[str, list[Reply]] | None:
        return (await self.recheck_many(channel, [row]))[0][1]

    async def recheck_many(
        self, channel: str, rows: Sequence[Claimed]
    ) -> list[tuple[Claimed, tuple[str, list[Reply]] | None]]:
        """Check rows just before sending; for each, (external id, replies) or None if it is
        skipped or held (its outcome is queued for the writer)."""
        now = self.clock()
        province = aliased(Region)
        stmt = (
            select(
                OutboxRow.id,
                Broadcast,
                User.external_id,
                User.opted_in,
                User.reachable,
                User.locale,
                User.language_code,
                User.region_id,
                Region.level,
                Region.timezone,
                province.timezone,
            )
            .select_from(OutboxRow)
            .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
            .join(User, User.id == OutboxRow.user_id)
            .outerjoin(Region, Region.id == User.region_id)
            .outerjoin(province, province.id == Region.province_id)
            .where(OutboxRow.id.in_([r.id for r in rows]))
        )
        holds: dict[int, tuple[str, datetime]] = {}
        async with self.db.sessions() as session:
            found = {r[0]: r[1:] for r in (await session.execute(stmt)).all()}
            if bc.HOLD_RULES:
                for row_id, (
                    b,
                    _,
                    opted_in,
                    reachable,
                    *_rest,
                    region_id,
                    _l,
                    _t,
                    _p,
                ) in found.items():
                    if b.status != SENDING or not opted_in or not reachable:
                        continue
                    if bc.is_reminder(b.content_id):
                        continue
                    for rule in bc.HOLD_RULES:
                        until = await rule(session, region_id, now)
                        if until is not None and until > now:
                            holds[row_id] = ("quiet_period", until)
                            break
        out: list[tuple[Claimed, tuple[str, list[Reply]] | None]] = []
        release: list[Claimed] = []
        for row in rows:
            if row.id not in found:  # the user deleted their data meanwhile
                out.append((row, None))
                continue
            (b, external_id, opted_in, reachable, locale, lang, _, level, tz, ptz) = found[row.id]
            target = None
            if b.status != SENDING:
                if b.status == CANCELLED:
                    self._skip(row, channel, external_id, "cancelled")
                else:
                    release.append(row)
            elif not opted_in:
                self._skip(row, channel, external_id, "opted_out")
            elif not reachable:
                self._skip(row, channel, external_id, "unreachable")
            else:
                timezone = tz if level == "province" else ptz
                until = bc.quiet_until(now, timezone, self.settings.quiet_hours_range)
                hold = ("quiet_hours", until) if until is not None else holds.get(row.id)
                if hold is not None:
                    self.counters.held += 1
                    values = {"status": PENDING, "next_attempt_at": hold[1], "error": hold[0]}
                    self._put(Outcome(row, channel, external_id, values))
                else:
                    core = self.runtime.core
                    t = self._translator(core.user_locale(locale, lang))
                    target = (external_id, bc.render_for(b, t, self.settings.default_locale))
            out.append((row, target))
        await self._release(release)
        return out

    def _translator(self, locale: str) -> Translator:
        t = self._translators.get(locale)
        if t is None:
            t = self._translators[locale] = self.runtime.core.translator(locale)
        return t

    def _skip(self, row: Claimed, channel: str, external_id: str, reason: str) -> None:
        self.counters.skipped += 1
        self._put(Outcome(row, channel, external_id, {"status": SKIPPED, "error": reason}))

    def _put(self, outcome: Outcome) -> None:
        self._results.put_nowait(outcome)

    async def _send(
        self, channel: str, row: Claimed, external_id: str, replies: list[Reply]
    ) -> None:
        try:
            outcome = await self._deliver(channel, row, external_id, replies)
        finally:
            self.concurrency.release()
        self._put(outcome)

    async def _deliver(
        self, channel: str, row: Claimed, external_id: str, replies: list[Reply]
    ) -> Outcome:
        attempts = row.attempts + 1
        now = self.clock
        try:
            target = self.channels[channel]
            send = getattr(target, "send_broadcast", target.send)
            result = await send(external_id, replies)
        except RetryLater as exc:
            self.counters.rate_limited += 1
            self.limiters[channel].pause(exc.retry_after)
            return Outcome(
                row,
                channel,
                external_id,
                {
                    "status": PENDING,
                    "error": "rate_limited",
                    "next_attempt_at": now() + timedelta(seconds=exc.retry_after),
                },
            )
        except Unreachable as exc:
            self.counters.blocked += 1
            values = {"status": FAILED, "error": bc.BLOCKED, "attempts": attempts}
            return Outcome(
                row, channel, external_id, values, "blocked", exc.reason[:64], unreachable=True
            )
        except PermanentError as exc:
            self.counters.failed += 1
            values = {"status": FAILED, "error": exc.reason[:64], "attempts": attempts}
            return Outcome(row, channel, external_id, values, "failed", exc.reason[:64])
        except Exception as exc:
            reason = (exc.reason if isinstance(exc, TransientError) else type(exc).__name__)[:64]
            if not isinstance(exc, TransientError):
                log.warning("sending broadcast row %s failed: %r", row.id, exc)
            if attempts >= self.max_attempts:
                self.counters.failed += 1
                values = {"status": FAILED, "error": reason, "attempts": attempts}
                return Outcome(row, channel, external_id, values, "failed", reason)
            self.counters.retried += 1
            delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
            values = {
                "status": PENDING,
                "error": reason,
                "attempts": attempts,
                "next_attempt_at": now() + timedelta(seconds=delay),
            }
            return Outcome(row, channel, external_id, values)
        self.counters.sent += 1
        values = {"status": SENT, "sent_at": now(), "attempts": attempts, "error": None}
        if isinstance(result, str) and result:
            values["message_id"] = result[:128]
        return Outcome(row, channel, external_id, values, "sent")

    # ------------------------------------------------------------------------------ results

    async def _writer(self) -> None:
        done = False
        while not done:
            first = await self._results.get()
            batch: list[Outcome] = []
            if first is None:
                done = True
            else:
                batch.append(first)
            while not self._results.empty():
                item = self._results.get_nowait()
                if item is None:
                    done = True
                else:
                    batch.append(item)
            if batch:
                try:
                    await self._write(batch)
                except Exception:
                    log.exception("could not record %d broadcast results", len(batch))
                    continue
                await self._after_write({o.row.broadcast_id for o in batch})

    async def _write(self, batch: list[Outcome]) -> None:
        async with self.db.transaction() as session:
            for o in batch:
                values = {"claimed_by": None, "lease_until": None, **o.values}
                result = await session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id == o.row.id,
                        OutboxRow.claimed_by == self.worker_id,
                        OutboxRow.status == CLAIMED,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if not getattr(result, "rowcount", 0):
                    log.warning("outbox row %s changed hands before its result was saved", o.row.id)
                    continue
                if o.unreachable and o.external_id is not None:
                    await repo.mark_unreachable(
                        session, UserRef(o.channel, o.external_id), o.reason or bc.BLOCKED
                    )
                if o.delivery is not None:
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

    async def _after_write(self, broadcast_ids: set[int]) -> None:
        loop = asyncio.get_running_loop()
        for bid in broadcast_ids:
            last = self._progress_checked.get(bid, 0.0)
            if loop.time() - last < 1.0:
                continue
            self._progress_checked[bid] = loop.time()
            try:
                await self.report_progress(bid)
            except Exception:
                log.exception("progress report for broadcast %s failed", bid)

    # ------------------------------------------------------------------------------ progress

    async def finish_done(self) -> list[int]:
        """Mark sending broadcasts with nothing left as finished (exactly once across workers)."""
        left = exists().where(
            OutboxRow.broadcast_id == Broadcast.id, OutboxRow.status.in_([PENDING, CLAIMED])
        )
        stmt = select(Broadcast.id).where(Broadcast.status == SENDING, ~left)
        if self.broadcast_id is not None:
            stmt = stmt.where(Broadcast.id == self.broadcast_id)
        async with self.db.sessions() as session:
            candidates = list((await session.scalars(stmt)).all())
        finished = []
        for bid in candidates:
            async with self.db.transaction() as session:
                result = await session.execute(
                    update(Broadcast)
                    .where(Broadcast.id == bid, Broadcast.status == SENDING, ~left)
                    .values(status=FINISHED, finished_at=self.clock())
                    .execution_options(synchronize_session=False)
                )
                if not getattr(result, "rowcount", 0):
                    continue
                stats = await bc.broadcast_stats(session, bid, receipts=False)
                figures = {
                    "broadcast_id": bid,
                    "sent": stats.sent,
                    "failed": stats.failed_total,
                    "blocked": stats.blocked,
                }
                await repo.log_event(
                    session,
                    user_id=None,
                    channel="system",
                    event_type="broadcast",
                    name="broadcast_finished",
                    properties=figures,
                )
                await audit(
                    session, SYSTEM_ACTOR, "broadcast_finish", f"broadcast:{bid}", **figures
                )
            finished.append(bid)
            await self.report_progress(bid)
        return finished

    async def report_progress(self, broadcast_id: int) -> None:
        """Tell the volunteer who created it in chat at 25, 50, 75 and 100 %."""
        async with self.db.transaction() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None or b.created_by_id is None:
                return
            stats = await bc.broadcast_stats(session, broadcast_id, receipts=False)
            if stats.total == 0:
                pct = 100 if b.status == FINISHED else 0
            else:
                pct = 100 if b.status == FINISHED else int(100 * stats.done / stats.total)
            step = max((s for s in PROGRESS_STEPS if s <= pct), default=0)
            if step == 100 and b.status != FINISHED:
                step = 75
            if step <= b.notified_pct:
                return
            result = await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.notified_pct < step)
                .values(notified_pct=step)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                return
            creator = await session.get(User, b.created_by_id)
        if creator is None or not creator.reachable:
            return
        core = self.runtime.core
        t = core.translator(core.user_locale(creator.locale, creator.language_code))
        replies = [Reply(bc.progress_text(t, b, stats, step))]
        try:
            channel = self.channels.get(creator.channel)
            if channel is not None:
                await self.limiters[creator.channel].acquire(creator.external_id)
                await channel.send(creator.external_id, replies)
            elif creator.channel in core.senders:
                await core.senders[creator.channel](creator.external_id, replies)
        except Exception as exc:
            log.warning("progress note to the broadcast's creator failed: %s", exc)
