"""Inbound edges through the real webhooks: replays, malformed bodies, odd ids and texts, a locked
database, and photos fetched only when a flow asks."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.telegram.render import render
from bot.channels.whatsapp.inbound import Message, to_event
from bot.core.events import UserRef
from bot.core.replies import Button, Reply
from bot.db.models import EngagementEvent, ProcessedMessage, User
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fake_telegram import FakeBotAPI
from tests.telegram_harness import running
from tests.whatsapp_fakes import USER, FakeGraph, Harness, serving, wa_env

NESTED = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def wa_runtime(db_url: str, graph: FakeGraph) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(db_url, **wa_env(graph.url)))
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def wa(wa_runtime: Runtime, graph: FakeGraph) -> AsyncIterator[Harness]:
    async with serving(wa_runtime, graph) as harness:
        yield harness


async def count(rt: Runtime, model: Any) -> int:
    async with rt.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


# --------------------------------------------------------------------------- WhatsApp


async def test_a_replayed_old_message_is_acknowledged_but_not_handled(
    wa: Harness, wa_runtime: Runtime
) -> None:
    message = wa.message("text", {"body": "STOP"})
    message["timestamp"] = str(int(time.time()) - 2 * 86_400)  # two days old, validly signed
    assert await wa.deliver(message) == 200
    assert wa.batch == [] and await count(wa_runtime, User) == 0
    fresh = wa.message("text", {"body": "/menu"})
    assert await wa.deliver(fresh) == 200 and len(wa.batch) == 1


async def test_deep_json_and_bad_senders_are_refused_and_nothing_is_stored(
    wa: Harness, wa_runtime: Runtime
) -> None:
    assert await wa.post(NESTED) == 400  # signed, but 50,000 levels deep: 400, not 500
    for sender in (6281234567890, ["6281"], None, "62" * 40, "+62 812"):
        message = wa.message("text", {"body": "/start"})
        message["from"] = sender
        status = await wa.post(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "changes": [
                            {
                                "field": "messages",
                                "value": {"metadata": {}, "messages": [message]},
                            }
                        ]
                    }
                ],
            }
        )
        assert status == 400, sender
    assert await count(wa_runtime, User) == 0
    assert await count(wa_runtime, ProcessedMessage) == 0
    assert wa.graph.sent == []


async def test_long_message_ids_are_hashed_not_cut(wa: Harness, wa_runtime: Runtime) -> None:
    prefix = "wamid." + "A" * 200
    for suffix in ("1", "2"):
        assert await wa.deliver(wa.message("text", {"body": "/menu"}, prefix + suffix)) == 200
        assert len(wa.batch) == 1  # both answered: the ids do not collide
    assert await wa.deliver(wa.message("text", {"body": "/menu"}, prefix + "2")) == 200
    assert wa.batch == []  # and a redelivery of one is still recognised
    async with wa_runtime.db.transaction() as s:
        keys = (await s.scalars(select(ProcessedMessage.message_key))).all()
    assert all(len(k) <= 128 for k in keys) and len(set(keys)) == 2


async def test_photos_are_downloaded_only_when_a_flow_asks(graph: FakeGraph) -> None:
    async with FakeGraphChannel(graph) as channel:
        message = Message(
            USER, "wamid.p1", time.time(), {"type": "image", "image": {"id": "555001"}}, None
        )

        async def no(user: UserRef) -> bool:
            return False

        async def yes(user: UserRef) -> bool:
            return True

        event = await to_event(message, no, channel.download_photo)
        assert getattr(event, "data", None) is None and graph.downloads == []
        event = await to_event(message, yes, channel.download_photo)
        assert getattr(event, "data", None) is not None and graph.downloads == ["555001"]


class FakeGraphChannel:
    """Just enough of the WhatsApp channel to download media from the fake Graph API."""

    def __init__(self, graph: FakeGraph) -> None:
        self.graph = graph

    async def __aenter__(self) -> Any:
        from bot.channels.whatsapp.api import GraphAPI
        from bot.channels.whatsapp.channel import MAX_MEDIA_BYTES
        from tests.whatsapp_fakes import PHONE_ID, TOKEN

        self.api = GraphAPI(self.graph.url, PHONE_ID, TOKEN)

        async def download(media_id: str) -> bytes | None:
            return await self.api.download_media(media_id, MAX_MEDIA_BYTES)

        self.download_photo = download
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.api.close()


# --------------------------------------------------------------------------- Telegram


async def test_telegram_webhook_edges(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, webhook=True) as h:
        assert await h.post(None, data=NESTED) == 400
        assert await h.post({"update_id": True, "message": {}}) == 400
        # A lone surrogate (a client's broken emoji) and an absurd language code.
        update = api.message_update("halo \ud83d", 61, language_code="x" * 40)
        raw = json.dumps(update).encode()  # "\ud83d" travels as an ASCII escape, as in JSON
        assert await h.post(None, data=raw) == 200
        assert api.replies(61)
        async with h.runtime.db.transaction() as s:
            user = (await s.scalars(select(User))).one()
        assert user.language_code == "x" * 16
        assert h.client is not None
        resp = await h.client.get("/healthz")
        assert resp.headers["Server"] == "votebot"


def test_the_telegram_renderer_survives_lone_surrogates() -> None:
    text = "Kamu bilang: \ud83d " * 600  # long enough to be split, too
    out = render(Reply(text, buttons=[[Button("ok \udc00", payload="menu")]]))
    assert out and all("\ufffd" in m.text for m in out)


# --------------------------------------------------------------------------- a locked database


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "locked.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def hold_lock(path: str, seconds: float, taken: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    taken.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


async def test_sqlite_locked_for_15_seconds_loses_nothing(sqlite_url: str, tmp_path: Path) -> None:
    """A CLI holding the write lock for 15 s: WhatsApp gets 503 until the database is free (Meta
    delivers again), Telegram's update stays unconfirmed; afterwards each is answered once."""
    graph = FakeGraph()
    await graph.start()
    rt = await open_runtime(make_settings(sqlite_url, **wa_env(graph.url)))
    rt.core.flood = None
    try:
        async with (
            serving(rt, graph) as wa,
            FakeBotAPI() as api,
            running(sqlite_url, api) as tg,
        ):
            taken = threading.Event()
            locker = threading.Thread(
                target=hold_lock, args=(sqlite_url.split("///", 1)[1], 15.0, taken)
            )
            locker.start()
            await asyncio.to_thread(taken.wait)
            started = time.monotonic()
            api.push(api.message_update("/menu", 71))
            message = wa.message("text", {"body": "/menu"})
            statuses = []
            while True:  # Meta's redelivery, compressed
                statuses.append(await wa.deliver(message))
                if statuses[-1] == 200:
                    break
            await api.wait_for(lambda: api.replies(71), limit=60)
            await asyncio.to_thread(locker.join)
            assert time.monotonic() - started >= 14
            assert 503 in statuses
            assert len([m for m in graph.sent if m["to"] == USER]) == 1
            await tg.settle()
            assert len(api.replies(71)) == 1
            async with rt.db.transaction() as s:
                handled = await s.scalar(
                    select(func.count())
                    .select_from(EngagementEvent)
                    .where(EngagementEvent.event_type == "message")
                )
            assert handled == 2
    finally:
        await rt.close()
        await graph.close()


# --------------------------------------------------------------------------- one poller per bot


async def test_a_second_poller_refuses_to_start_and_no_webhook_is_deleted(db_url: str) -> None:
    from bot.channels.base import StartupError
    from bot.channels.telegram import TelegramChannel
    from tests.fake_telegram import TOKEN

    async with FakeBotAPI() as api, running(db_url, api) as first:
        second = TelegramChannel(first.runtime)
        with pytest.raises(StartupError, match="already polling Telegram for this bot"):
            await second.start()
        await second.stop()
        assert first.channel.poller is not None and first.channel.poller.lock.held
        api.push(api.message_update("/menu", 81))
        await first.settle()
        assert len(api.replies(81)) == 1  # the first poller carries on
    async with FakeBotAPI() as api:
        api.webhook_url = "https://bot.example.org/telegram"  # the fleet's webhook
        rt = await open_runtime(
            make_settings(db_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url)
        )
        try:
            channel = TelegramChannel(rt)
            with pytest.raises(StartupError, match="webhook is set"):
                await channel.start()
            await channel.stop()
        finally:
            await rt.close()
        assert api.webhook_url == "https://bot.example.org/telegram"
        assert not api.calls("deleteWebhook") and not api.calls("getUpdates")


# --------------------------------------------------------------------------- a burst


async def test_a_whatsapp_burst_is_bounded_and_nothing_is_dropped(
    db_url: str, graph: FakeGraph
) -> None:
    """150 messages from 50 users at once to one process with 3 slots and a 1 s wait: never more
    than 3 handled at a time, the overflow answered 503 (Meta retries), every message answered."""
    rt = await open_runtime(
        make_settings(
            db_url,
            **wa_env(graph.url),
            VOTEBOT_INBOUND_CONCURRENCY="3",
            # Far less than the burst's work (150 × 0.05 s over 3 slots ≈ 2.5 s), so some
            # messages must be answered 503 however fast the rest of handling is.
            VOTEBOT_INBOUND_WAIT="0.2",
        )
    )
    rt.core.flood = None
    busy = peak = 0
    real = rt.core.handle_once

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal busy, peak
        busy += 1
        peak = max(peak, busy)
        try:
            await asyncio.sleep(0.05)  # a slow database: the slots fill up
            return await real(*args, **kwargs)
        finally:
            busy -= 1

    rt.core.handle_once = counting  # type: ignore[method-assign]
    statuses: list[int] = []
    try:
        async with serving(rt, graph) as wa:

            async def post(wa_id: str, n: int) -> None:
                message = wa.message("text", {"body": "/menu"}, f"wamid.burst.{wa_id}.{n}")
                message["from"] = wa_id
                body = {
                    "object": "whatsapp_business_account",
                    "entry": [
                        {
                            "changes": [
                                {
                                    "field": "messages",
                                    "value": {"metadata": {}, "messages": [message]},
                                }
                            ]
                        }
                    ],
                }
                while True:
                    statuses.append(await wa.post(body))
                    if statuses[-1] == 200:
                        return
                    assert statuses[-1] == 503
                    await asyncio.sleep(0.05)

            users = [f"62815{n:07d}" for n in range(50)]
            await asyncio.gather(*(post(u, n) for u in users for n in range(3)))
            await wa.channel.drain()
            # Delivered replies are forgotten (in batches, off the messages' path) by the drain.
            async with rt.db.transaction() as s:
                kept = await s.scalar(
                    select(func.count())
                    .select_from(ProcessedMessage)
                    .where(ProcessedMessage.pending.is_not(None))
                )
                keys = await s.scalar(select(func.count()).select_from(ProcessedMessage))
            assert (kept, keys) == (0, 150)
    finally:
        await rt.close()
    assert peak <= 3
    assert 503 in statuses
    sent = [m["to"] for m in graph.sent]
    assert sorted(sent) == sorted(u for u in users for _ in range(3))


def test_stored_replies_round_trip() -> None:
    """What waits in ``processed_messages`` comes back as the same replies (images, quiz hints,
    location requests, a lone surrogate included)."""
    from bot.core import reply_codec
    from bot.core.replies import Image, QuizHint

    replies = [
        Reply(
            "Soal 1 \ud83d",
            buttons=[[Button("A", payload="quiz:a"), Button("Web", url="https://kpu.go.id")]],
            replace=True,
            quiz=QuizHint("Q?", ("A", "B"), 1, header="1/10", explanation="why"),
        ),
        Reply("Bagikan lokasi", request_location=True, location_label="📍 Kirim"),
        Reply("", image=Image(b"\x89PNG\x00\xff", "sertifikat.png", "**Selamat**")),
    ]
    text = reply_codec.encode(replies, {"chat_id": -100123, "edit": 7})
    assert text.isascii()
    back, route = reply_codec.decode(text)
    assert back == replies and route == {"chat_id": -100123, "edit": 7}
