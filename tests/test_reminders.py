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
