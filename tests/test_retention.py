"""Data the bot no longer needs is forgotten: old dedup ids, and a WhatsApp user's delivery rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.events import UserRef
from bot.core.privacy import erase_user
from bot.db import repo
from bot.db.maintenance import PROCESSED_RETENTION, Housekeeping, prune_processed
from bot.db.models import ProcessedMessage, utcnow
from bot.db.models_whatsapp import WhatsAppMessage, WhatsAppOptionPage
from bot.runtime import Runtime


async def test_old_inbound_ids_are_pruned_and_recent_ones_kept(runtime: Runtime) -> None:
    now = utcnow()
    async with runtime.db.transaction() as s:
        s.add(
            ProcessedMessage(
                channel="telegram",
                message_key="old",
                created_at=now - PROCESSED_RETENTION - timedelta(minutes=1),
            )
        )
        s.add(
            ProcessedMessage(
                channel="whatsapp", message_key="new", created_at=now - timedelta(days=1)
            )
        )
    async with runtime.db.transaction() as s:
        assert await prune_processed(s, now) == 1
    assert await Housekeeping(runtime).run_once() == 0
    async with runtime.db.transaction() as s:
        keys = (await s.scalars(select(ProcessedMessage.message_key))).all()
    assert keys == ["new"]


async def test_deleting_a_whatsapp_user_removes_their_delivery_rows(runtime: Runtime) -> None:
    now = utcnow()
    async with runtime.db.transaction() as s:
        for number in ("6281234567890", "6289999999999"):
            await repo.get_or_create_user(s, UserRef("whatsapp", number))
        for wa_id, mid in (("6281234567890", "wamid.A"), ("6289999999999", "wamid.B")):
            s.add(
                WhatsAppMessage(
                    message_id=mid,
                    wa_id=wa_id,
                    kind="text",
                    status="read",
                    created_at=now,
                    updated_at=now,
                )
            )
        s.add(
            WhatsAppOptionPage(
                wa_id="6281234567890", token="t", text="x", options=[], created_at=now
            )
        )
    async with runtime.db.transaction() as s:
        target = await repo.get_user(s, UserRef("whatsapp", "6281234567890"))
        assert target is not None
        await erase_user(s, target)
    async with runtime.db.transaction() as s:
        left = (await s.scalars(select(WhatsAppMessage.wa_id))).all()
        pages = await s.scalar(select(func.count()).select_from(WhatsAppOptionPage))
    assert left == ["6289999999999"]
    assert pages == 0


async def test_a_failing_round_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import asyncio

    from bot.periodic import PeriodicService

    class Flaky(PeriodicService):
        name = "flaky"

        def __init__(self) -> None:
            super().__init__(interval=0.01)
            self.rounds = 0

        async def run_once(self) -> None:
            self.rounds += 1
            if self.rounds == 1:
                raise RuntimeError("first round breaks")

    service = Flaky()
    await service.start()
    for _ in range(200):
        if service.rounds >= 3:
            break
        await asyncio.sleep(0.01)
    await service.stop()
    assert service.rounds >= 3
    assert "flaky failed" in caplog.text


async def test_an_abandoned_report_draft_is_wiped_after_a_day(runtime: Runtime) -> None:
    from bot.db.maintenance import DRAFT_RETENTION, expire_drafts
    from bot.db.models import ConversationState
    from tests.dialog import Dialog

    d = Dialog(runtime.core, language_code="en")
    await d.say("/lapor")
    await d.press("Money or goods given")
    await d.say("Amplop 50 ribu dari tim sukses calon X")
    other = Dialog(runtime.core, user="still-typing", language_code="en")
    await other.say("/lapor")
    await other.press("Money or goods given")

    async def drafts() -> list[str]:
        async with runtime.db.transaction() as s:
            rows = (await s.scalars(select(ConversationState))).all()
            return [repr(r.data) for r in rows if r.flow == "report"]

    assert any("Amplop" in d for d in await drafts())
    async with runtime.db.transaction() as s:
        assert await expire_drafts(s, utcnow() + timedelta(hours=1)) == 0  # still fresh
    async with runtime.db.transaction() as s:
        assert await expire_drafts(s, utcnow() + DRAFT_RETENTION + timedelta(minutes=1)) == 2
    assert await drafts() == []
    await d.say("hello")  # coming back later starts afresh, nothing of the draft is left
    assert "Amplop" not in d.text


async def test_log_rows_past_the_retention_are_unlinked_one_token_each(runtime: Runtime) -> None:
    from bot.core.privacy import ANON_KEY
    from bot.db.maintenance import anonymise_old_events
    from bot.db.models import EngagementEvent
    from tests.dialog import Dialog

    d = Dialog(runtime.core, language_code="en")
    await d.say("/start")
    await d.say("/jadwal")
    async with runtime.db.transaction() as s:
        linked = (
            await s.scalars(select(EngagementEvent).where(EngagementEvent.user_id.is_not(None)))
        ).all()
        assert len(linked) >= 3
        # Within the retention (default two years) nothing changes.
        assert await anonymise_old_events(s, 730, utcnow() + timedelta(days=729)) == 0
    async with runtime.db.transaction() as s:
        assert await anonymise_old_events(s, 730, utcnow() + timedelta(days=731)) == len(linked)
    async with runtime.db.transaction() as s:
        rows = (await s.scalars(select(EngagementEvent))).all()
        assert all(r.user_id is None for r in rows)
        tokens = [r.properties[ANON_KEY] for r in rows if ANON_KEY in r.properties]
        assert len(tokens) == len(set(tokens)) == len(linked)
        user = await repo.get_user(s, d.ref)
        assert user is not None  # the account itself is kept: only the log forgets
