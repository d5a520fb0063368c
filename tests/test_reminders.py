"""Voting-day reminders: created from the calendar when due, once, for those who asked (through
the pledge flow), and never queued or delivered once they are out of date; broadcasts expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.broadcast.dispatcher import Dispatcher
from bot.broadcast.reminders import create_due_reminders
from bot.core import broadcast_stats as bstats
from bot.core import broadcasts as bc
from bot.db.models import Region
from bot.db.models_broadcast import Broadcast, OutboxRow
from bot.runtime import Runtime
from tests.broadcast_helpers import Clock, RecordingChannel, add_users, new_broadcast, outbox
from tests.dialog import Dialog
from tests.test_broadcast_dispatch import dispatcher
from tests.test_pledge import sign_quickly

#: The bundled calendar's Pilkada 2024 voting day is 27 November 2024.
EVENING_DUE = datetime(2024, 11, 26, 11, 0, tzinfo=UTC)  # 18:00 WIB, 20:00 WIT


async def add_user(runtime: Runtime, ext: str, *, reminder: bool) -> None:
    """A Telegram user who signs the pledge and, if ``reminder``, taps "Remind me"."""
    d = Dialog(runtime.core, user=ext, channel="telegram", language_code="en")
    await sign_quickly(d)
    if reminder:
        await d.press("Remind me on voting day")


async def province(runtime: Runtime, name: str, tz: str, source_id: int) -> int:
    async with runtime.db.transaction() as s:
        region = Region(
            level="province", source_id=source_id, name=name, name_key=name.lower(), timezone=tz
        )
        s.add(region)
        await s.flush()
        return region.id


async def test_reminders_are_created_when_due_once_for_those_who_asked(runtime: Runtime) -> None:
    await add_user(runtime, "1", reminder=True)
    await add_user(runtime, "2", reminder=False)
    assert await create_due_reminders(runtime, EVENING_DUE - timedelta(minutes=1)) == []
    evening = await create_due_reminders(runtime, EVENING_DUE)
    assert len(evening) == 1
    assert await create_due_reminders(runtime, datetime(2024, 11, 26, 14, 0, tzinfo=UTC)) == []
    morning = await create_due_reminders(runtime, datetime(2024, 11, 26, 21, 0, tzinfo=UTC))
    assert len(morning) == 1
    async with runtime.db.transaction() as s:
        broadcasts = (await s.scalars(select(Broadcast).order_by(Broadcast.id))).all()
        rows = (await s.scalars(select(OutboxRow))).all()
    assert [b.content_id for b in broadcasts] == ["reminder-evening", "reminder-morning"]
    assert [b.consent for b in broadcasts] == ["voting_day", "voting_day"]
    assert [b.audience for b in broadcasts] == [1, 1]
    assert "Besok hari pencoblosan: Pilkada Serentak 2024" in broadcasts[0].texts["id"]
    assert "Tomorrow is voting day" in broadcasts[0].texts["en"]
    assert len(rows) == 2 and len({r.user_id for r in rows}) == 1


async def test_a_missed_reminder_is_not_sent_late(runtime: Runtime) -> None:
    await add_user(runtime, "1", reminder=True)
    assert await create_due_reminders(runtime, datetime(2024, 11, 27, 5, 0, tzinfo=UTC)) == []


async def test_expected_elections_get_no_reminders_and_no_quiet_period_hold(
    runtime: Runtime,
) -> None:
    import datetime as dt

    from bot.broadcast.reminders import due_reminders, quiet_period_rule
    from bot.core.calendar import CALENDAR_ID, Calendar

    await add_user(runtime, "1", reminder=True)
    calendar = runtime.content.get("calendar", CALENDAR_ID, "id")
    assert isinstance(calendar, Calendar) and calendar.expected_elections()
    # The bundled calendar expects the next national election in 2029 without a date: no
    # reminder is ever due for it, whatever the time, and nothing is held.
    for year in (2026, 2029, 2031):
        now = datetime(year, 2, 14, 1, 0, tzinfo=UTC)
        assert due_reminders(calendar, now) == []
        assert await create_due_reminders(runtime, now) == []
        async with runtime.db.sessions() as s:
            assert await quiet_period_rule(runtime)(s, None, now) is None
    # Dated voting days still work next to the expected ones.
    evening = dt.datetime(2024, 11, 26, 11, 0, tzinfo=UTC)
    assert [(e.id, kind) for e, kind, _ in due_reminders(calendar, evening)] == [
        ("pilkada-2024", "evening")
    ]


async def test_tomorrow_is_never_queued_on_voting_day_anywhere(runtime: Runtime) -> None:
    await add_user(runtime, "1", reminder=True)
    # 15:00 UTC is 22:00 WIB on the 26th but already 00:00 WIT on voting day.
    assert await create_due_reminders(runtime, datetime(2024, 11, 26, 15, 0, tzinfo=UTC)) == []


async def test_tomorrow_is_never_delivered_on_voting_day_in_any_zone(runtime: Runtime) -> None:
    papua = await province(runtime, "Papua", "WIT", 91)
    jateng = await province(runtime, "Jawa Tengah", "WIB", 33)
    for ext, region in (("east", papua), ("west", jateng), ("late", jateng)):
        await add_user(runtime, ext, reminder=True)
        await add_users(runtime, [ext], channel="telegram", region_id=region)
    [bid] = await create_due_reminders(runtime, EVENING_DUE)
    # The sender is busy until 16:30 UTC: 23:30 WIB (quiet hours) and 01:30 WIT on voting day.
    clock = Clock(datetime(2024, 11, 26, 16, 30, tzinfo=UTC))
    ch = RecordingChannel()
    d = Dispatcher(
        runtime,
        {"telegram": ch},
        clock=clock,
        rates={"telegram": (1000.0, None)},
        poll_interval=0.01,
    )
    await d.run(until_done=True)
    assert ch.sent == []  # nobody hears "tomorrow" after midnight, wherever they live
    assert {r.error for r in await outbox(runtime, bid)} == {bc.EXPIRED}
    async with runtime.db.sessions() as s:
        stats = await bstats.broadcast_stats(s, bid)
    assert stats.skipped == {"expired": 3} and stats.as_dict()["expired"] == 3


async def test_a_broadcast_expires_and_status_shows_it(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b"])
    clock = Clock()
    bid = await new_broadcast(runtime, expires_at=clock.now + timedelta(hours=1))
    clock.advance(hours=2)
    ch = RecordingChannel()
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert ch.sent == []
    async with runtime.db.sessions() as s:
        stats = await bstats.broadcast_stats(s, bid)
        b = await s.get(Broadcast, bid)
    assert stats.skipped == {"expired": 2} and b is not None and b.status == "finished"


async def test_broadcasts_get_a_default_expiry(runtime: Runtime) -> None:
    await add_users(runtime, ["a"])
    clock = Clock()
    bid = await new_broadcast(runtime, now=clock.now)
    async with runtime.db.sessions() as s:
        b = await s.get(Broadcast, bid)
    assert b is not None and b.expires_at == clock.now + timedelta(hours=72)
    assert b.expires_local is False
