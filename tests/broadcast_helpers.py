"""Shared pieces for the broadcast tests: users, a recording channel, a fixed clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.channels.base import DeliveryError
from bot.core.events import UserRef
from bot.core.formatting import to_plain
from bot.core.replies import Reply
from bot.core.segments import parse_segment
from bot.db import repo
from bot.db.models import User
from bot.db.models_broadcast import Broadcast, OutboxRow
from bot.runtime import Runtime

#: 10:00 in Jakarta (WIB): outside the default quiet hours.
DAYTIME = datetime(2024, 2, 10, 3, 0, tzinfo=UTC)
#: 23:00 in Jakarta (WIB): inside them.
NIGHT = datetime(2024, 2, 10, 16, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = DAYTIME) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class RecordingChannel:
    """Records every send; ``fail`` maps an external id to an error to raise (once or always)."""

    name = "test"

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail: dict[str, DeliveryError] = {}
        self.fail_once: dict[str, DeliveryError] = {}
        self.delay = delay
        self.before_send: Callable[[str], object] | None = None

    async def send(self, external_id: str, replies: Sequence[Reply]) -> str:
        if self.before_send is not None:
            result = self.before_send(external_id)
            if asyncio.iscoroutine(result):
                await result
        if self.delay:
            await asyncio.sleep(self.delay)
        if external_id in self.fail_once:
            raise self.fail_once.pop(external_id)
        if external_id in self.fail:
            raise self.fail[external_id]
        self.sent.append((external_id, "\n".join(to_plain(r.text) for r in replies)))
        return f"m-{external_id}-{len(self.sent)}"

    @property
    def recipients(self) -> list[str]:
        return [e for e, _ in self.sent]


async def add_users(
    runtime: Runtime,
    ids: Sequence[str],
    *,
    channel: str = "test",
    opted_in: bool = True,
    **kw: object,
) -> list[User]:
    users = []
    async with runtime.db.transaction() as s:
        for ext in ids:
            user, _ = await repo.get_or_create_user(s, UserRef(channel, ext))
            user.opted_in, user.opt_in_asked = opted_in, True
            for key, value in kw.items():
                setattr(user, key, value)
            users.append(user)
    return users


async def new_broadcast(
    runtime: Runtime,
    segment: str = "all",
    *,
    texts: dict[str, str] | None = None,
    creator: User | None = None,
    now: datetime | None = None,
    **kw: object,
) -> int:
    from bot.core.broadcasts import create_broadcast

    async with runtime.db.transaction() as s:
        if creator is not None:
            creator = await s.get(User, creator.id)
        b = await create_broadcast(
            s,
            runtime.settings,
            title="Test",
            texts=texts or {"id": "Halo semua", "en": "Hello all"},
            segment=parse_segment(segment),
            creator=creator,
            now=now or DAYTIME,
            **kw,  # type: ignore[arg-type]
        )
        return b.id


async def outbox(runtime: Runtime, broadcast_id: int) -> list[OutboxRow]:
    async with runtime.db.sessions() as s:
        stmt = (
            select(OutboxRow).where(OutboxRow.broadcast_id == broadcast_id).order_by(OutboxRow.id)
        )
        return list((await s.scalars(stmt)).all())


async def get_broadcast(runtime: Runtime, broadcast_id: int) -> Broadcast:
    async with runtime.db.sessions() as s:
        b = await s.get(Broadcast, broadcast_id)
        assert b is not None
        return b


async def until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait until ``predicate()`` holds (polling; fails after ``limit`` seconds)."""
    for _ in range(int(limit / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in time")


class NoteChannel:
    """Records notifications as they are sent: (external id, replies)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        self.sent.append((external_id, list(replies)))


async def deliver_notifications(runtime: Runtime, channels: dict[str, NoteChannel]) -> None:
    """Run the outbox's sender until every queued notification is out (as ``serve`` does)."""
    from bot.broadcast.dispatcher import Dispatcher

    rates: dict[str, tuple[float | None, float | None]] = {
        name: (1000.0, None) for name in channels
    }
    d = Dispatcher(runtime, channels, rates=rates, poll_interval=0.01)  # type: ignore[arg-type]
    await d.run(until_done=True)
