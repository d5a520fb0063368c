"""One inbound pipeline for every channel: read, de-duplicate, order, handle, deliver.

A channel turns its platform's update into a message key, a user and an event, and gives the
pipeline a ``deliver`` function. The pipeline then:

1. waits for the user's turn (one message of a user at a time in this process, in arrival
   order) and for a free slot (at most ``VOTEBOT_INBOUND_CONCURRENCY`` messages at once, by
   default the database pool's size), at most ``VOTEBOT_INBOUND_WAIT`` seconds;
2. asks the core to handle the message once (:meth:`bot.core.engine.Core.handle_once`): the key
   is claimed in the same transaction as the message's effects and its replies;
3. delivers the replies (a user who blocked the bot is marked unreachable) and then forgets them
   (in batches, see :class:`DeliveredMarks`).

:meth:`InboundPipeline.run` returns True once the message is safe: handled and its replies
delivered, or handled before. A webhook answers 200 only then; on False (no slot in time, the
database unavailable, another worker still delivering it) it answers 503 and the platform
delivers the message again. Polling acknowledges an update (advances the offset) only then.
A worker killed at any point therefore loses nothing: before the commit the redelivery is
handled as new; after it, the redelivery finds the stored replies and, once the dead worker's
lease (``VOTEBOT_INBOUND_LEASE``) has run out, delivers them. The one duplicate a crash can
cause is a reply sent just before the kill and sent again by the redelivery (the platforms have
no idempotency key for sends).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.channels.base import RetryLater, TransientError, Unreachable
from bot.channels.batching import Batcher
from bot.core.engine import Outcome
from bot.core.events import InboundEvent, UserRef
from bot.core.replies import Reply
from bot.db import inbound_repo, repo
from bot.db.engine import unavailable
from bot.runtime import Runtime
from bot.web.app import MAX_BODY_BYTES

log = logging.getLogger(__name__)

#: Deepest JSON nesting accepted from a webhook (real updates nest less than 10 levels).
MAX_JSON_DEPTH = 64
#: Messages waiting for a slot in one process beyond which a webhook answers 503 at once.
MAX_WAITING = 2000
#: Seconds a delivered message's mark waits to be written with others (see DeliveredMarks).
MARK_DELAY = 0.05

#: Delivers replies to a user; ``route`` is what the channel gave with the message (its chat,
#: the pressed message). Raises :class:`~bot.channels.base.Unreachable` when the user blocked us.
Deliver = Callable[[UserRef, list[Reply], dict[str, Any]], Awaitable[None]]
#: Builds the core's event (e.g. after downloading a photo); None when there is nothing to do.
MakeEvent = Callable[[], Awaitable[InboundEvent | None]]


class BadRequest(Exception):
    """A webhook body that is not what the platform sends: answer 400 (or 413)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.text)


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests at most ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


async def read_body(request: web.Request) -> bytes:
    """The raw body, refused with 413 when over the size limit."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(413, "request too large")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadRequest(413, "request too large") from None


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object from a webhook body; malformed, too deep or not an object → 400."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "expected a JSON object")
    if not json_depth_ok(data):
        raise BadRequest(400, "JSON nested too deeply")
    return data


def slots_for(runtime: Runtime) -> asyncio.Semaphore:
    """The process's inbound slots, shared by the channels; sized to the database pool."""
    if runtime.inbound_slots is None:
        size = runtime.settings.inbound_concurrency
        if not size:
            pool_size = getattr(runtime.db.engine.pool, "size", None)
            size = int(pool_size()) if callable(pool_size) else 5
        runtime.inbound_slots = asyncio.Semaphore(max(1, size))
    return runtime.inbound_slots


class DeliveredMarks(Batcher[str]):
    """Forgets delivered messages' stored replies in batches (see :mod:`bot.channels.batching`).

    Once a message's replies went out, their stored copy matters only if the platform delivers
    the message again after the lease. A crash before a batch is written is the same as a crash
    just before a single mark: a redelivery after the lease sends those replies again (the
    at-least-once window the module docstring states).
    """

    def __init__(self, runtime: Runtime, channel: str) -> None:
        async def write(keys: list[str]) -> None:
            async with runtime.db.transaction() as session:
                await inbound_repo.delivered(session, channel, keys)

        super().__init__(write, what=f"{channel} delivered mark(s)", delay=MARK_DELAY)
        #: Delivered here and not yet marked in the database (waiting or being written): a
        #: redelivery of one of these is acknowledged at once, not left for the lease to end.
        self.unmarked: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.unmarked

    def add(self, key: str) -> None:
        self.unmarked.add(key)
        super().add(key)

    def written(self, batch: list[str]) -> None:
        self.unmarked.difference_update(batch)


class InboundPipeline:
    """The shared path of one channel's inbound messages (see the module docstring)."""

    def __init__(self, runtime: Runtime, channel: str, deliver: Deliver) -> None:
        self.runtime, self.channel, self.deliver = runtime, channel, deliver
        self.wait = runtime.settings.inbound_wait
        self._locks: weakref.WeakValueDictionary[UserRef, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[bool]] = set()
        self.waiting = 0
        self.marks = DeliveredMarks(runtime, channel)

    def _lock(self, user: UserRef) -> asyncio.Lock:
        lock = self._locks.get(user)
        if lock is None:
            lock = self._locks.setdefault(user, asyncio.Lock())
        return lock

    async def drain(self) -> None:
        """Wait until every message taken so far is handled, delivered and marked so."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.marks.flush()

    async def run(
        self,
        key: str,
        user: UserRef,
        make_event: MakeEvent,
        route: dict[str, Any] | None = None,
        *,
        wait: float | None = -1.0,
    ) -> bool:
        """Handle one message; True once it is safe to acknowledge (see the module docstring).

        ``wait`` caps the wait for the user's turn and a slot (-1: ``VOTEBOT_INBOUND_WAIT``;
        None: no cap, for polling). Once started, the work is shielded from the caller's
        cancellation (a platform hanging up) and finishes.
        """
        limit = self.wait if wait is not None and wait < 0 else wait
        if self.waiting >= MAX_WAITING:
            return False
        lock, slots = self._lock(user), slots_for(self.runtime)
        self.waiting += 1
        try:
            async with asyncio.timeout(limit):
                await lock.acquire()
                try:
                    await slots.acquire()
                except BaseException:
                    lock.release()
                    raise
        except TimeoutError:
            log.warning(
                "%s: no slot for a message in %.0fs; asking for redelivery", self.channel, limit
            )
            return False
        finally:
            self.waiting -= 1
        task = asyncio.create_task(
            self._run_locked(key, user, make_event, route or {}, lock, slots)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    async def _run_locked(
        self,
        key: str,
        user: UserRef,
        make_event: MakeEvent,
        route: dict[str, Any],
        lock: asyncio.Lock,
        slots: asyncio.Semaphore,
    ) -> bool:
        try:
            return await self._run(key, user, make_event, route)
        except (TransientError, RetryLater) as exc:
            log.warning(
                "%s: replies not delivered (%s); asking for redelivery", self.channel, exc.reason
            )
            return False
        except Exception as exc:
            if unavailable(exc):
                log.warning("%s: database unavailable (%s)", self.channel, type(exc).__name__)
                return False
            # A bug, not a passing fault: delivering the message again would fail again (and
            # polling would stall behind it), so it is acknowledged and logged, without content.
            log.error("%s: a message failed: %s", self.channel, type(exc).__name__, exc_info=exc)
            return True
        finally:
            slots.release()
            lock.release()

    async def _run(
        self, key: str, user: UserRef, make_event: MakeEvent, route: dict[str, Any]
    ) -> bool:
        if key in self.marks:
            return True  # a redelivery of a message this process handled and delivered
        event = await make_event()
        if event is None:
            return True
        handled = await self.runtime.core.handle_once(event, key, route)
        if handled.outcome is Outcome.RETRY:
            return False
        if handled.outcome is Outcome.DUPLICATE:
            log.debug("%s: a redelivered message was already handled", self.channel)
            return True
        if handled.replies:
            try:
                await self.deliver(user, handled.replies, handled.route)
            except Unreachable as exc:
                await self._mark_unreachable(user, exc.reason)
        if handled.stored:
            self.marks.add(key)
        return True

    async def _mark_unreachable(self, user: UserRef, reason: str) -> None:
        log.info(
            "%s: a user cannot be reached (%s); marking them unreachable", self.channel, reason[:64]
        )
        try:
            async with self.runtime.db.transaction() as session:
                await repo.mark_unreachable(session, user, reason[:64])
        except Exception as exc:
            log.warning(
                "%s: could not mark a user unreachable (%s)", self.channel, type(exc).__name__
            )

    async def claim_only(self, key: str) -> bool:
        """Claim a key with no core event behind it (e.g. a status); False if seen before."""
        from bot.db.models import utcnow

        async with self.runtime.db.transaction() as session:
            claim = await inbound_repo.claim(session, self.channel, key, utcnow())
        return claim.state is inbound_repo.State.FRESH
