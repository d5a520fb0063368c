"""The delivery engine on both backends: opt-out, quiet hours, 429s, blocked users, crash resume,
concurrent dispatchers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.broadcast.dispatcher import Dispatcher
from bot.channels.base import PermanentError, RetryLater, TransientError, Unreachable
from bot.core.events import UserRef
from bot.core.replies import Reply
from bot.db import repo
from bot.db.models import EngagementEvent, User
from bot.db.models_broadcast import OutboxRow
from bot.runtime import Runtime
from tests.broadcast_helpers import (
    DAYTIME,
    NIGHT,
    Clock,
    RecordingChannel,
    add_users,
    get_broadcast,
    new_broadcast,
    outbox,
    until,
)

FAST = {"test": (1000.0, None)}


def dispatcher(runtime: Runtime, channel: RecordingChannel, **kw: object) -> Dispatcher:
    kw.setdefault("clock", Clock())
    kw.setdefault("rates", FAST)
    kw.setdefault("poll_interval", 0.01)
    return Dispatcher(runtime, {"test": channel}, **kw)  # type: ignore[arg-type]


async def test_a_broadcast_reaches_every_opted_in_user_once(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b", "c"])
    await add_users(runtime, ["no"], opted_in=False)
    await add_users(runtime, ["gone"], reachable=False)
    bid = await new_broadcast(runtime)
    ch = RecordingChannel()
    await dispatcher(runtime, ch).run(until_done=True)
    assert sorted(ch.recipients) == ["a", "b", "c"]
    assert "Halo semua" in ch.sent[0][1] and "/berhenti" in ch.sent[0][1]
    b = await get_broadcast(runtime, bid)
    assert b.status == "finished" and b.audience == 3
    rows = await outbox(runtime, bid)
    assert {r.status for r in rows} == {"sent"} and all(r.message_id for r in rows)
    async with runtime.db.sessions() as s:
        events = (
            await s.scalars(
                select(EngagementEvent).where(EngagementEvent.event_type == "broadcast")
            )
        ).all()
    names = [e.name for e in events]
    assert names.count("delivery") == 3 and "broadcast_created" in names
    finished = next(e for e in events if e.name == "broadcast_finished")
    assert finished.properties == {"broadcast_id": bid, "sent": 3, "failed": 0, "blocked": 0}


async def test_an_opt_out_mid_broadcast_is_honoured_immediately(runtime: Runtime) -> None:
    users = await add_users(runtime, [f"u{i}" for i in range(6)])
    await new_broadcast(runtime)
    ch = RecordingChannel()

    async def opt_out_u4(external_id: str) -> None:
        if external_id == "u1":  # while u1 is being sent, u4 says STOP
            async with runtime.db.transaction() as s:
                await repo.set_opt_in(s, users[4].id, False)

    ch.before_send = opt_out_u4
    d = dispatcher(runtime, ch, concurrency=1, batch_size=6, recheck_window=0)
    await d.run(until_done=True)
    assert "u4" not in ch.recipients and len(ch.recipients) == 5


async def test_quiet_hours_hold_rows_and_release_them_in_the_morning(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b"])
    bid = await new_broadcast(runtime, now=NIGHT)
    ch = RecordingChannel()
    clock = Clock(NIGHT)  # 23:00 WIB
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert ch.sent == []
    rows = await outbox(runtime, bid)
    assert {(r.status, r.error) for r in rows} == {("pending", "quiet_hours")}
    # held until 06:00 WIB = 23:00 UTC
    assert rows[0].next_attempt_at == NIGHT.replace(hour=23)
    clock.advance(hours=7, minutes=1)
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert sorted(ch.recipients) == ["a", "b"]


async def test_quiet_hours_follow_the_recipients_time_zone(runtime: Runtime) -> None:
    from bot.db.models import Region

    async with runtime.db.transaction() as s:
        papua = Region(
            level="province", source_id=91, name="Papua", name_key="papua", timezone="WIT"
        )
        s.add(papua)
        await s.flush()
        papua_id = papua.id
    await add_users(runtime, ["jakarta"])
    await add_users(runtime, ["jayapura"], region_id=papua_id)
    await new_broadcast(runtime)
    ch = RecordingChannel()
    # 21:30 WIB is 23:30 WIT: both quiet. 20:30 WIB = 22:30 WIT: only Papua is quiet.
    clock = Clock(NIGHT.replace(hour=13, minute=30))
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert ch.recipients == ["jakarta"]


async def test_a_429_pauses_the_channel_and_loses_nothing(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b", "c"])
    bid = await new_broadcast(runtime)
    ch = RecordingChannel()
    ch.fail_once["b"] = RetryLater("Too Many Requests", retry_after=0.2)
    clock = Clock()
    d = dispatcher(runtime, ch, clock=clock, concurrency=1)
    task = asyncio.create_task(d.run(until_done=True))
    await until(lambda: d.limiters["test"].pauses > 0)
    assert 0 < d.limiters["test"].paused_for() <= 0.2
    clock.advance(seconds=1)  # the row's next attempt is due
    await task
    assert sorted(ch.recipients) == ["a", "b", "c"]
    rows = await outbox(runtime, bid)
    assert all(r.status == "sent" for r in rows)
    assert d.counters.rate_limited == 1


async def test_blocked_users_are_marked_unreachable_and_skipped_after(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "blocker"])
    first = await new_broadcast(runtime)
    ch = RecordingChannel()
    ch.fail["blocker"] = Unreachable("Forbidden: bot was blocked by the user")
    await dispatcher(runtime, ch).run(until_done=True)
    rows = {r.user_id: r for r in await outbox(runtime, first)}
    assert sorted(r.error or "" for r in rows.values()) == ["", "blocked"]
    async with runtime.db.sessions() as s:
        blocker = await repo.get_user(s, UserRef("test", "blocker"))
        assert blocker is not None and not blocker.reachable
    second = await new_broadcast(runtime)
    assert (await get_broadcast(runtime, second)).audience == 1
    from bot.core.broadcast_stats import broadcast_stats

    async with runtime.db.sessions() as s:
        stats = await broadcast_stats(s, first)
    assert stats.blocked == 1 and stats.sent == 1 and stats.failed == {}


async def test_a_user_blocked_after_queueing_is_skipped_at_send_time(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b"])
    bid = await new_broadcast(runtime)
    async with runtime.db.transaction() as s:
        await repo.mark_unreachable(s, UserRef("test", "b"), "blocked elsewhere")
    ch = RecordingChannel()
    await dispatcher(runtime, ch).run(until_done=True)
    assert ch.recipients == ["a"]
    assert {r.error for r in await outbox(runtime, bid)} == {None, "unreachable"}


async def test_transient_errors_retry_with_backoff_then_give_up(runtime: Runtime) -> None:
    await add_users(runtime, ["flaky", "broken", "bad"])
    bid = await new_broadcast(runtime)
    ch = RecordingChannel()
    ch.fail_once["flaky"] = TransientError("HTTP 502")
    ch.fail["broken"] = TransientError("HTTP 503")
    ch.fail["bad"] = PermanentError("Bad Request: chat not found")
    clock = Clock()
    d = dispatcher(runtime, ch, clock=clock, max_attempts=3, backoff_base=10, backoff_cap=15)
    run = asyncio.create_task(d.run(until_done=True))  # it waits for the retries to fall due
    while not run.done():
        await asyncio.sleep(0.05)
        clock.advance(seconds=16)  # past the capped backoff
    await run
    rows = {r.user_id: r for r in await outbox(runtime, bid)}
    by_error = sorted((r.status, r.error, r.attempts) for r in rows.values())
    assert by_error == [
        ("failed", "Bad Request: chat not found", 1),
        ("failed", "HTTP 503", 3),
        ("sent", None, 2),
    ]
    assert ch.recipients == ["flaky"]


async def test_resume_after_a_crash_sends_every_row_exactly_once(runtime: Runtime) -> None:
    await add_users(runtime, [f"u{i}" for i in range(10)])
    bid = await new_broadcast(runtime)
    clock = Clock()
    ch = RecordingChannel()
    # a dispatcher sent three rows, then claimed four more and died before sending them
    crashed = dispatcher(runtime, ch, clock=clock, worker_id="crashed")
    await crashed.promote_due()
    claimed = await crashed.claim("test", 3)
    verdicts = await crashed.rechecker.check("test", claimed, clock())
    assert len(verdicts.send) == 3
    for row, ext, replies in verdicts.send:
        await crashed.writer._write(
            [await crashed._deliver("test", row, ext, replies, broadcast=True)]
        )
    await crashed.claim("test", 4)  # in flight at the "kill": never sent
    assert len(ch.sent) == 3
    # a new dispatcher first takes only the rows nobody holds ...
    d = dispatcher(runtime, ch, clock=clock)
    run = asyncio.create_task(d.run(until_done=True))
    await until(lambda: len(ch.sent) >= 6)
    await asyncio.sleep(0.05)
    assert len(ch.sent) == 6
    clock.advance(seconds=121)  # ... and the crashed worker's rows once their lease expires
    await run
    assert sorted(ch.recipients) == sorted(f"u{i}" for i in range(10))
    assert len(ch.sent) == 10
    assert {r.status for r in await outbox(runtime, bid)} == {"sent"}


async def test_two_dispatchers_never_send_the_same_row(runtime: Runtime) -> None:
    await add_users(runtime, [f"u{i}" for i in range(60)])
    bid = await new_broadcast(runtime)
    ch = RecordingChannel(delay=0.002)
    d1 = dispatcher(runtime, ch, worker_id="one", batch_size=5)
    d2 = dispatcher(runtime, ch, worker_id="two", batch_size=5)
    await asyncio.gather(d1.run(until_done=True), d2.run(until_done=True))
    assert len(ch.sent) == 60 and len(set(ch.recipients)) == 60
    # One sender per channel in the fleet: whoever leads sends, the other waits.
    assert sorted([d1.counters.sent, d2.counters.sent]) == [0, 60]
    assert (await get_broadcast(runtime, bid)).status == "finished"


async def test_claims_are_disjoint_while_both_transactions_are_open(runtime: Runtime) -> None:
    await add_users(runtime, [f"u{i}" for i in range(20)])
    await new_broadcast(runtime)
    ch = RecordingChannel()
    d1 = dispatcher(runtime, ch, worker_id="one")
    d2 = dispatcher(runtime, ch, worker_id="two")
    await d1.promote_due()
    results = await asyncio.gather(*(d.claim("test", 7) for d in (d1, d2, d1, d2)))
    ids = [r.id for batch in results for r in batch]
    assert len(ids) == 20 and len(set(ids)) == 20
    async with runtime.db.sessions() as s:
        owners = (await s.scalars(select(OutboxRow.claimed_by))).all()
    assert set(owners) == {"one", "two"}


async def test_paused_and_cancelled_broadcasts_stop_sending(runtime: Runtime) -> None:
    from bot.core import broadcasts as bc

    await add_users(runtime, ["a", "b"])
    paused = await new_broadcast(runtime)
    async with runtime.db.transaction() as s:
        await bc.pause(s, paused, None)
    ch = RecordingChannel()
    await dispatcher(runtime, ch).run(until_done=True)
    assert ch.sent == []
    async with runtime.db.transaction() as s:
        await bc.resume(s, paused, None)
    cancelled = await new_broadcast(runtime)
    async with runtime.db.transaction() as s:
        assert await bc.cancel(s, cancelled, None) == 2
    await dispatcher(runtime, ch).run(until_done=True)
    assert sorted(ch.recipients) == ["a", "b"]
    assert {r.error for r in await outbox(runtime, cancelled)} == {"cancelled"}


async def test_a_scheduled_broadcast_waits_for_its_time(runtime: Runtime) -> None:
    await add_users(runtime, ["a"])
    clock = Clock()
    await new_broadcast(runtime, scheduled_at=clock.now + timedelta(hours=1))
    ch = RecordingChannel()
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert ch.sent == []
    clock.advance(hours=1)
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert ch.recipients == ["a"]


async def test_the_creator_gets_progress_in_chat(runtime: Runtime) -> None:
    (volunteer,) = await add_users(runtime, ["vol"], opted_in=False, role="volunteer", locale="en")
    await add_users(runtime, [f"u{i}" for i in range(4)])
    await new_broadcast(runtime, creator=volunteer)
    ch = RecordingChannel()
    await dispatcher(runtime, ch).run(until_done=True)
    notes = [text for ext, text in ch.sent if ext == "vol"]
    assert notes and "finished: 4 sent, 0 failed, 0 blocked" in notes[-1]
    async with runtime.db.sessions() as s:
        rows = (await s.scalars(select(User).where(User.external_id == "vol"))).all()
        assert rows[0].opted_in is False  # progress notes are not broadcasts


async def test_a_row_that_changed_hands_is_not_overwritten(runtime: Runtime) -> None:
    await add_users(runtime, ["a"])
    bid = await new_broadcast(runtime)
    ch = RecordingChannel()
    d = dispatcher(runtime, ch, worker_id="slow")
    await d.promote_due()
    (row,) = await d.claim("test", 1)
    async with runtime.db.transaction() as s:
        await s.execute(update(OutboxRow).values(claimed_by="other"))
    [(row, ext, replies)] = (await d.rechecker.check("test", [row], DAYTIME)).send
    await d.writer._write([await d._deliver("test", row, ext, replies, broadcast=True)])
    (saved,) = await outbox(runtime, bid)
    assert saved.status == "sending" and saved.claimed_by == "other"


def test_the_sliding_window_never_exceeds_the_limit_in_any_second() -> None:
    from bot.broadcast.ratelimit import SlidingWindow

    now = [100.0]
    window = SlidingWindow(30, headroom=0.97, clock=lambda: now[0])
    sent: list[float] = []
    while now[0] < 110.0:
        if window.take():
            sent.append(now[0])
        else:
            now[0] += max(window.wait_time(), 0.0001)
        now[0] += 0.003  # each send takes a little while
    assert all(sum(1 for t in sent if s <= t < s + 1.0) <= 29 for s in sent)
    assert len(sent) >= 29 * 9  # and it keeps up with the limit


async def test_a_paused_limiter_waits_and_a_chat_gets_one_message_a_second() -> None:
    from bot.broadcast.ratelimit import ChannelLimiter

    now = [0.0]
    limiter = ChannelLimiter(None, per_chat=1.0, headroom=1.0, clock=lambda: now[0])
    await limiter.acquire("a")
    limiter.pause(5)
    assert limiter.paused_for() == 5 and limiter.pauses == 1
    now[0] = 5.0
    await limiter.acquire("b")  # the pause is over; another chat needs no gap
    now[0] = 5.5
    waiter = asyncio.create_task(limiter.acquire("b"))
    await asyncio.sleep(0.01)
    assert not waiter.done()  # "b" got a message half a second ago
    now[0] = 6.0
    await asyncio.wait_for(waiter, 2)


async def test_the_dispatcher_runs_as_a_service_of_serve(runtime: Runtime) -> None:
    import bot.server
    from bot.broadcast.service import create_service

    assert "bot.broadcast.service:create_service" in bot.server.SERVICES
    assert create_service(runtime, []) is None
    await add_users(runtime, ["a", "b"])
    await new_broadcast(runtime)
    ch = RecordingChannel()
    ch.name = "test"
    service = create_service(runtime, [ch])  # type: ignore[list-item]
    assert service is not None
    service.dispatcher.clock = Clock()
    service.dispatcher.poll_interval = 0.01
    await service.start()
    await until(lambda: len(ch.sent) == 2)
    await service.stop()
    assert sorted(ch.recipients) == ["a", "b"]


async def test_a_channel_with_broadcast_rules_is_sent_through_them(runtime: Runtime) -> None:
    class WindowedChannel(RecordingChannel):
        """Like WhatsApp: broadcasts go through ``send_broadcast`` (templates, windows)."""

        async def send_broadcast(self, external_id: str, replies: Sequence[Reply]) -> str:
            await self.send(external_id, replies)
            return f"via-broadcast-{external_id}"

    await add_users(runtime, ["a", "b"])
    bid = await new_broadcast(runtime)
    await dispatcher(runtime, WindowedChannel()).run(until_done=True)
    assert sorted(r.message_id or "" for r in await outbox(runtime, bid)) == [
        "via-broadcast-a",
        "via-broadcast-b",
    ]


async def test_the_quiet_period_holds_broadcasts_but_not_voting_day_reminders(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from bot.broadcast.reminders import quiet_period_rule
    from bot.core import broadcasts as bc
    from bot.core.calendar import CALENDAR_ID, WIB, Calendar, Election, Stage
    from bot.core.content import Source

    kpu = [Source(id="kpu", title="Komisi Pemilihan Umum (KPU RI)")]
    day = DAYTIME.astimezone(WIB).date()
    election = Election(
        id="test-election",
        name={"id": "Pemilu Uji"},
        stages=[
            Stage(kind="quiet-period", date=day - dt.timedelta(days=1), end=day, sources=kpu),
            Stage(kind="voting-day", date=day + dt.timedelta(days=1), sources=kpu),
        ],
    )
    calendars = runtime.content.items.setdefault("calendar", {}).setdefault("id", {})
    monkeypatch.setitem(calendars, CALENDAR_ID, Calendar([election], Path("calendar.md")))
    monkeypatch.setattr(bc, "HOLD_RULES", [quiet_period_rule(runtime)])

    await add_users(runtime, ["a"])
    normal = await new_broadcast(runtime, now=DAYTIME)
    reminder = await new_broadcast(runtime, now=DAYTIME, content_id="reminder-evening")
    ch = RecordingChannel()
    clock = Clock(DAYTIME)
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert len(ch.sent) == 1  # the reminder only
    held = await outbox(runtime, normal)
    assert [(r.status, r.error) for r in held] == [("pending", "quiet_period")]
    assert held[0].next_attempt_at == dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time(0, 0), WIB
    )
    assert [r.status for r in await outbox(runtime, reminder)] == ["sent"]
    # Voting day: the quiet period is over and the held broadcast goes out.
    clock.now = held[0].next_attempt_at + dt.timedelta(hours=7)
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert len(ch.sent) == 2
