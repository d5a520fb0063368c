"""`/hapus` through each real channel leaves no row anywhere that holds the person's id or number.

The person is created the way people are: by talking (onboarding with reminders, a pledge with a
name, a quiz answer, a half-written report), over the real Telegram Application (fake Bot API)
and signed WhatsApp webhooks (fake Graph API). Then every column of every table is scanned.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.schema import load_models
from bot.runtime import Runtime
from tests.fake_telegram import FakeBotAPI
from tests.scenario_drivers import TelegramDriver, WhatsAppDriver
from tests.telegram_harness import running

TELEGRAM_ID = 770011223
WA_NUMBER = "6281299887766"


async def cells_with(runtime: Runtime, needle: str) -> list[str]:
    """``table.column`` of every value anywhere in the database that contains ``needle``."""
    found = []
    async with runtime.db.transaction() as s:
        for table in load_models().sorted_tables:
            for row in (await s.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is not None and needle in str(value):
                        found.append(f"{table.name}.{column}")
    return found


async def live_a_little(d: Any) -> None:
    await d.say("/start")
    await d.press("English")
    await d.press("Remind me")
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.say("Budi")
    await d.press("Skip")
    await d.press("Remind me on voting day")
    await d.say("/kuis voting-basics")
    await d.press("A. ")
    await d.say("/lapor")
    await d.press("Money or goods given")
    await d.say("Amplop dari tim sukses")  # a draft left behind in the conversation


async def forget_me(d: Any) -> None:
    await d.say("/hapus")
    await d.press("Yes, delete my data")
    assert "your data is deleted" in d.text


@asynccontextmanager
async def telegram(db_url: str) -> Any:
    async with FakeBotAPI() as api, running(db_url, api, webhook=True) as h:
        yield TelegramDriver(h, user_id=TELEGRAM_ID), h.runtime, str(TELEGRAM_ID)


@asynccontextmanager
async def whatsapp(db_url: str) -> Any:
    from tests.scenario_drivers import whatsapp_driver

    async with whatsapp_driver(db_url) as (driver, runtime):
        yield WhatsAppDriver(driver.deliver, wa_id=WA_NUMBER), runtime, WA_NUMBER


@pytest.mark.parametrize("channel", [telegram, whatsapp], ids=["telegram", "whatsapp"])
async def test_hapus_leaves_no_row_with_the_persons_id(db_url: str, channel: Any) -> None:
    async with channel(db_url) as (d, runtime, needle):
        await live_a_little(d)
        assert await cells_with(runtime, needle)  # the scan does find them before
        assert await cells_with(runtime, "Amplop") == ["conversation_state.data"]
        await forget_me(d)
        assert await cells_with(runtime, needle) == []
        assert await cells_with(runtime, "Amplop") == []
        assert await cells_with(runtime, "Budi") == []


async def test_hapus_erases_telegram_quiz_polls(db_url: str) -> None:
    async with (
        FakeBotAPI() as api,
        running(db_url, api, webhook=True, TELEGRAM_QUIZ_POLLS="1") as h,
    ):
        d = TelegramDriver(h, user_id=TELEGRAM_ID)
        await d.say("/start")
        await d.press("English")
        await d.press("Not now")
        await d.say("/kuis voting-basics")
        assert "telegram_polls.user_id" in await cells_with(h.runtime, str(TELEGRAM_ID))
        await forget_me(d)
        assert await cells_with(h.runtime, str(TELEGRAM_ID)) == []
