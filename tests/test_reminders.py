"""Voting-day reminders: created from the calendar when due, once, for the reminder segment."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.broadcast.reminders import create_due_reminders
from bot.core.events import UserRef
from bot.db import repo
from bot.db.models_broadcast import Broadcast, OutboxRow
from bot.runtime import Runtime


async def add_user(runtime: Runtime, ext: str, *, reminder: bool) -> None:
    async with runtime.db.transaction() as s:
        user, _ = await repo.get_or_create_user(s, UserRef("telegram", ext))
        user.opted_in, user.opt_in_asked, user.locale = True, True, "id"
        if reminder:
            await repo.log_event(
                s, user_id=user.id, channel="telegram", event_type="pledge", name="reminder_opt_in"
            )


async def test_reminders_are_created_when_due_once_for_those_who_asked(runtime: Runtime) -> None:
    await add_user(runtime, "1", reminder=True)
    await add_user(runtime, "2", reminder=False)
    # The bundled calendar's Pilkada 2024 voting day is 27 November 2024.
    assert await create_due_reminders(runtime, datetime(2024, 11, 26, 10, 59, tzinfo=UTC)) == []
    evening = await create_due_reminders(runtime, datetime(2024, 11, 26, 11, 0, tzinfo=UTC))
    assert len(evening) == 1
    assert await create_due_reminders(runtime, datetime(2024, 11, 26, 15, 0, tzinfo=UTC)) == []
    morning = await create_due_reminders(runtime, datetime(2024, 11, 26, 21, 0, tzinfo=UTC))
    assert len(morning) == 1
    async with runtime.db.transaction() as s:
        broadcasts = (await s.scalars(select(Broadcast).order_by(Broadcast.id))).all()
        rows = (await s.scalars(select(OutboxRow))).all()
    assert [b.content_id for b in broadcasts] == ["reminder-evening", "reminder-morning"]
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
    assert [(e.id, kind) for e, kind in due_reminders(calendar, evening)] == [
        ("pilkada-2024", "evening")
    ]
