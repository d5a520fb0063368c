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
