"""The Telegram channel: the real python-telegram-bot Application against a fake Bot API server.

Polling mode pulls updates from the fake's getUpdates queue; webhook mode gets real HTTP posts
into the shared aiohttp app. Every Bot API call is recorded by the fake and asserted on.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from bot import fleet
from bot.channels.base import (
    PermanentError,
    RetryLater,
    StartupError,
    TransientError,
    Unreachable,
)
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.adapter import parse_update
from bot.channels.telegram.channel import file_url, webhook_path
from bot.channels.telegram.render import MAX_TEXT, render, split_html, utf16_len
from bot.config import ConfigError
from bot.core.events import CommandEvent, TextEvent, UnsupportedEvent, UserRef
from bot.core.formatting import escape
from bot.core.replies import Button, Image, Reply
from bot.db.models import EngagementEvent, User, utcnow
from bot.runtime import open_runtime
from bot.web.app import MAX_BODY_BYTES
from tests.conftest import make_settings
from tests.fake_telegram import BOT_ID, BOT_USERNAME, TOKEN, FakeBotAPI
from tests.telegram_harness import WEBHOOK_SECRET, Harness, running

# --------------------------------------------------------------------------- helpers


async def reachable(h: Harness, user_id: int) -> bool | None:
    async with h.runtime.db.transaction() as session:
        return await session.scalar(
            select(User.reachable).where(
                User.channel == "telegram", User.external_id == str(user_id)
            )
        )


def button_payload(api: FakeBotAPI, chat_id: int, label: str) -> str:
    for call in reversed(api.replies(chat_id)):
        rows = (call.markup or {}).get("inline_keyboard") or []
        for row in rows:
            for b in row:
                if label in b["text"]:
                    return str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


# --------------------------------------------------------------------------- polling mode


async def test_polling_conversation_start_menu_press_and_edit(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        calls = {c.method for c in api.log}
        assert {"getMe", "setMyCommands", "setChatMenuButton", "getWebhookInfo"} <= calls
        assert "deleteWebhook" not in calls  # it never deletes a webhook it did not set
        langs = {c.params.get("language_code") for c in api.calls("setMyCommands")}
        assert langs == {None, "id", "en"}

        api.push(api.message_update("/start", 42))
        await h.settle()
        replies = api.replies(42)
        assert "<b>Teman Pemilih</b>" in replies[0].text
        assert replies[0].params["parse_mode"] == "HTML"
        assert replies[-1].callback_data == ["lang:set:id", "lang:set:en"]

        press = api.callback_update("lang:set:en", 42, message_id=7)
        api.push(press)
        await h.settle()
        answered = api.calls("answerCallbackQuery")
        assert [c.params["callback_query_id"] for c in answered] == [press["callback_query"]["id"]]
        assert "talk to you in English" in api.replies(42)[-2].text

        api.push(api.callback_update(button_payload(api, 42, "Not now"), 42))
        await h.settle()
        menu = api.replies(42)[-1]
        assert "⚙️ More" in menu.button_labels

        # "🌐 Language" (on the More screen) answers with replace=True: the pressed message is
        # edited in place.
        api.push(api.callback_update("lang", 42, message_id=77))
        await h.settle()
        edit = api.replies(42)[-1]
        assert edit.method == "editMessageText"
        assert int(edit.params["message_id"]) == 77
        assert edit.callback_data == ["lang:set:id", "lang:set:en"]
        assert len(api.calls("answerCallbackQuery")) == 3


async def test_a_failed_edit_falls_back_to_a_new_message(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.fail("editMessageText", "400", description="Bad Request: message can't be edited")
        api.push(api.callback_update("lang", 42, message_id=5))
        await h.settle()
        last = api.replies(42)[-1]
        assert last.method == "sendMessage"
        assert last.callback_data == ["lang:set:id", "lang:set:en"]


async def test_a_duplicate_update_is_handled_once_also_after_a_restart(db_url: str) -> None:
    async with FakeBotAPI() as api:
        update = api.message_update("/start", 7)
        async with running(db_url, api) as h:
            api.push(update, update)
            await h.settle()
            first = len(api.replies(7))
            assert first == 2
        async with running(db_url, api) as h:
            api.push(update)
            api.push(api.message_update("/menu", 8))
            await h.settle()
            assert len(api.replies(7)) == first
            assert api.replies(8)


async def test_cosmetic_calls_failing_leave_the_bot_serving(db_url: str) -> None:
    async with FakeBotAPI() as api:
        for method in ("setMyCommands", "setChatMenuButton", "deleteWebhook", "sendChatAction"):
            api.fail(method, "500", times=-1)
        api.fail("answerCallbackQuery", "garbage", times=-1)
        async with running(db_url, api) as h:
            api.push(api.message_update("/start", 9), api.callback_update("lang:set:en", 9))
            await h.settle()
            assert "English" in api.replies(9)[-2].text


async def test_429_is_retried_after_retry_after_and_pauses_the_fleets_sender(
    db_url: str,
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        before = utcnow()
        api.fail("sendMessage", "429", retry_after=3)
        api.push(api.message_update("/menu", 11))
        await h.settle()
        attempts = [c for c in api.log if c.method == "sendMessage"]
        assert [c.ok for c in attempts] == [False, True]
        assert attempts[1].at - attempts[0].at >= 3.0
        assert attempts[1].params["text"] == attempts[0].params["text"]
        # Replies and broadcasts share the bot's limit: every worker's sender honours the pause.
        until = await fleet.held_until(h.runtime.db, "pause:telegram", before)
        assert until is not None and until - before >= timedelta(seconds=3)


async def test_5xx_and_garbage_are_retried_with_backoff(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.fail("sendMessage", "500", times=2)
        api.fail("sendMessage", "garbage")
        api.push(api.message_update("/menu", 12))
        await h.settle()
        assert [c.ok for c in api.log if c.method == "sendMessage"] == [False] * 3 + [True]


async def test_403_marks_the_user_unreachable_and_a_new_message_undoes_it(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.fail("sendMessage", "403")
        api.push(api.message_update("/menu", 13))
        await h.settle()
        assert await reachable(h, 13) is False
        assert len([c for c in api.log if c.method == "sendMessage"]) == 1  # never retried
        api.push(api.message_update("/menu", 13))
        await h.settle()
        assert await reachable(h, 13) is True
        assert api.replies(13)


async def test_blocking_the_bot_marks_the_user_unreachable(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.push(api.message_update("/start", 14))
        member = {"user": api.user(14), "status": "kicked", "until_date": 0}
        api.push(
            {
                "update_id": api.next_update_id(),
                "my_chat_member": {
                    "chat": {"id": 14, "type": "private"},
                    "from": api.user(14),
                    "date": 1,
                    "old_chat_member": {"user": api.user(14), "status": "member"},
                    "new_chat_member": member,
                },
            }
        )
        await h.settle()
        assert await reachable(h, 14) is False


async def test_group_chats_answer_only_what_is_addressed_to_the_bot(db_url: str) -> None:
    group = -100200
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.push(
            api.message_update("halo semua", 21, chat_id=group, chat_type="supergroup"),
            api.message_update("/start", 21, chat_id=group, chat_type="supergroup"),
            api.message_update("/start@other_bot", 21, chat_id=group, chat_type="supergroup"),
            api.message_update(None, 21, chat_id=group, chat_type="group", sticker=None),
        )
        await h.settle()
        assert api.replies(group) == []
        assert await h.user_count() == 0

        api.push(api.message_update(f"/menu@{BOT_USERNAME}", 21, chat_id=group, chat_type="group"))
        await h.settle()
        assert len(api.replies(group)) == 1
        api.push(
            api.message_update("halo", 22, chat_id=group, chat_type="group", reply_to_bot=True)
        )
        api.push(api.callback_update("about", 23, chat_id=group, chat_type="group"))
        await h.settle()
        # The reply is a greeting from a new user (onboarding: 2 messages), the press 1 more.
        assert len(api.replies(group)) == 4
        assert len(api.calls("answerCallbackQuery")) == 1
        assert api.replies(21) == api.replies(22) == []


async def test_handler_error_is_logged_with_context_and_the_user_gets_an_apology(
    db_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        import bot.channels.telegram.delivery as delivery_module

        def broken(reply: Reply, **options: object) -> list[object]:
            raise RuntimeError("renderer exploded")

        monkeypatch.setattr(delivery_module, "render", broken)
        text = "x" * 500 + " 3174012345678901"
        with caplog.at_level(logging.ERROR):
            api.push(api.message_update(text, 31))
            await h.settle()  # acknowledged: a bug is not retried (polling would stall on it)
        monkeypatch.undo()
        record = next(r for r in caplog.records if "failed" in r.getMessage())
        message = record.getMessage()
        assert message == "telegram: a message failed: RuntimeError"
        assert "xxxx" not in caplog.text  # never the user's text
        assert TOKEN not in message and TOKEN not in caplog.text
        # The apology could not be rendered either (render is broken), so nothing was sent;
        # with a working renderer the same path delivers it:
        event = TextEvent(user=parse_ref(31), text="hi")
        replies = await h.runtime.core.apologise(event, RuntimeError("x"))
        await h.channel.deliver(31, event.user, replies)
        assert "Maaf" in api.replies(31)[-1].text


def parse_ref(user_id: int) -> UserRef:
    return UserRef("telegram", str(user_id))


async def test_a_core_crash_still_answers_with_the_apology(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:

        async def crash(*args: object) -> None:
            raise ValueError("flow bug")

        monkeypatch.setitem(h.runtime.core.router.commands, "menu", _with(crash))
        api.push(api.message_update("/menu", 32))
        await h.settle()
        assert "Maaf" in api.replies(32)[-1].text


def _with(handler: object) -> object:
    from bot.core.router import CommandInfo

    return CommandInfo("menu", handler, "main menu")  # type: ignore[arg-type]


async def test_long_texts_split_and_user_text_is_escaped(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        user_text = "<script>alert('x')</script> & **not bold** <b>"
        paragraphs = [f"**Bagian {i}** " + "kata " * 150 for i in range(12)]
        reply = Reply(
            escape(user_text) + "\n\n" + "\n\n".join(paragraphs),
            [[Button("OK", payload="menu")]],
        )
        await h.channel.deliver(41, parse_ref(41), [reply])
        sent = api.replies(41)
        assert len(sent) > 1
        assert all(utf16_len(c.text) <= MAX_TEXT for c in sent)
        assert [bool(c.markup) for c in sent] == [False] * (len(sent) - 1) + [True]
        assert sent[0].text.startswith(html.escape(user_text, quote=False))
        for call in sent:
            assert_balanced(call.text)
            assert call.text.count("<b>Bagian") == call.text.count("</b>")
        # Paragraphs are never cut in the middle here: each one is whole in one message.
        for i in range(12):
            assert sum(f"<b>Bagian {i}</b>" in c.text for c in sent) == 1


async def test_images_and_location_requests(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        reply = Reply("Lihat gambar", request_location=True, location_label="📍 Kirim lokasi")
        pic = Reply(image=Image(b"\x89PNG...", "card.png", "**Kartu** kamu"))
        await h.channel.deliver(51, parse_ref(51), [reply, pic])
        sent = api.replies(51)
        keyboard = sent[0].markup or {}
        assert keyboard["keyboard"][0][0] == {"text": "📍 Kirim lokasi", "request_location": True}
        assert keyboard["one_time_keyboard"] is True
        assert sent[1].method == "sendPhoto"
        assert sent[1].params["caption"] == "<b>Kartu</b> kamu"


async def test_an_image_is_uploaded_once_then_sent_by_its_file_id(db_url: str) -> None:
    """A result chart going to thousands: one upload, then Telegram's file_id."""
    chart = Reply(image=Image(b"\x89PNG chart", "chart.png", "Hasil"))
    async with FakeBotAPI() as api, running(db_url, api) as h:
        for chat in (61, 62, 63):
            await h.channel.deliver(chat, parse_ref(chat), [chart])
        photos = [c.params["photo"] for c in api.calls("sendPhoto")]
        assert photos[0] == "<file>" and photos[1] == photos[2] != "<file>"
        # A file_id Telegram no longer knows: uploaded again, and the user still gets it.
        api.sent_photos.clear()
        await h.channel.deliver(64, parse_ref(64), [chart])
        last = [c for c in api.log if c.method == "sendPhoto" and c.chat_id == 64]
        assert [(c.ok, c.params["photo"]) for c in last] == [(False, photos[1]), (True, "<file>")]
        await h.channel.deliver(65, parse_ref(65), [chart])
        assert api.calls("sendPhoto")[-1].params["photo"] not in ("<file>", photos[1])


# --------------------------------------------------------------------------- webhook mode


async def test_webhook_mode_registers_and_answers(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, webhook=True) as h:
        hook = api.calls("setWebhook")[0].params
        assert hook["url"] == "https://bot.example.org/telegram"
        assert hook["secret_token"] == WEBHOOK_SECRET
        assert hook["allowed_updates"] == [
            "message",
            "callback_query",
            "my_chat_member",
            "poll_answer",
        ]
        assert int(hook["max_connections"]) == 40
        assert not api.calls("getUpdates") and not api.calls("deleteWebhook")

        update = api.message_update("/start", 61)
        assert await h.post(update) == 200
        assert await h.post(update) == 200  # Telegram redelivers: handled once
        await h.settle()
        assert len(api.replies(61)) == 2
        api_press = api.callback_update("lang:set:en", 61)
        assert await h.post(api_press) == 200
        await h.settle()
        assert api.calls("answerCallbackQuery")


async def test_webhook_rejects_bad_requests_and_changes_nothing(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, webhook=True) as h:
        good = api.message_update("/start", 62)
        assert await h.post(good, secret=None) == 403
        assert await h.post(good, secret="wrong-secret-wrong-secret") == 403
        assert await h.post(None, data=b'{"update_id": 1, "message": ') == 400
        assert await h.post(None, data=b"[1, 2, 3]") == 400
        assert await h.post(None, data=b'{"message": {}}') == 400
        big = b'{"update_id": 5, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
        assert await h.post(None, data=big) == 413
        await h.settle()
        assert api.replies(62) == []
        assert await h.user_count() == 0
        # An update Telegram could send but we cannot read is acknowledged and skipped.
        odd = {"update_id": 99, "message": {"chat": "not a chat"}}
        assert await h.post(odd) == 200
        await h.settle()
        assert await h.user_count() == 0


async def test_webhook_needs_its_secret() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET: required"):
        make_settings(
            "sqlite+aiosqlite:///:memory:",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
        )


# --------------------------------------------------------------------------- start-up & send()


async def test_a_rejected_token_is_one_clear_start_up_error(db_url: str) -> None:
    async with FakeBotAPI(token="987654321:another-token-entirely-xxxxxxxx") as api:
        settings = make_settings(db_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url)
        runtime = await open_runtime(settings)
        channel = TelegramChannel(runtime)
        try:
            with pytest.raises(StartupError, match="TELEGRAM_BOT_TOKEN was rejected"):
                await channel.start()
        finally:
            await channel.stop()
            await runtime.close()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("403", Unreachable),
        ("400", PermanentError),
        ("500", TransientError),
        ("garbage", TransientError),
    ],
)
async def test_send_maps_bot_api_errors_without_retrying(
    db_url: str, kind: str, error: type[Exception]
) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.fail("sendMessage", kind)
        with pytest.raises(error):
            await h.channel.send("71", [Reply("Pengingat: besok hari pencoblosan!")])
        assert len([c for c in api.log if c.method == "sendMessage"]) == 1


async def test_send_rate_limited_says_when_to_retry(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api) as h:
        api.fail("sendMessage", "429", retry_after=7)
        with pytest.raises(RetryLater) as info:
            await h.channel.send("72", [Reply("Pengingat")])
        assert info.value.retry_after == 7
        await h.channel.send("72", [Reply("Pengingat")])
        assert api.replies(72)[-1].text == "Pengingat"
        assert h.runtime.core.senders["telegram"] == h.channel.send
    assert "telegram" not in h.runtime.core.senders


async def test_flood_from_one_user_gets_one_slow_down(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, flood=True) as h:
        api.push(*[api.message_update("/menu", 81) for _ in range(14)])
        api.push(api.message_update("/menu", 82))
        await h.settle()
        texts = [c.text for c in api.replies(81)]
        assert len(texts) == 11
        assert "pelan" in texts[-1].lower()
        assert len(api.replies(82)) == 1
        async with h.runtime.db.transaction() as session:
            names = (await session.scalars(select(EngagementEvent.name))).all()
        assert names.count("slow_down") == 1


# --------------------------------------------------------------------------- the adapter alone


def assert_balanced(text: str) -> None:
    class Check(HTMLParser):
        stack: list[str]

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag, text

    checker = Check()
    checker.stack = []
    checker.feed(text)
    assert checker.stack == [], text


def test_split_html_never_breaks_tags_or_entities() -> None:
    text = "<b>" + "a &amp; b " * 900 + "</b>\n\n<i>" + "x" * 5000 + "</i>"
    chunks = split_html(text)
    assert all(utf16_len(c) <= MAX_TEXT for c in chunks)
    for chunk in chunks:
        assert_balanced(chunk)
        assert "&amp" not in chunk.replace("&amp;", "")
    visible = "".join(html.unescape(c.replace("<b>", "").replace("</b>", "")) for c in chunks)
    assert visible.replace(" ", "").replace("<i>", "").replace("</i>", "").count("x") == 5000
    assert split_html("  \n\n ") == []
    assert split_html("pendek") == ["pendek"]
    # Emoji count double in UTF-16, as Telegram counts them.
    assert all(utf16_len(c) <= 100 for c in split_html("🗳️ " * 200, 100))


def test_render_puts_buttons_on_the_last_message_and_splits_captions() -> None:
    msgs = render(Reply("", [[Button("Buka", url="https://www.kpu.go.id")]]))
    assert msgs[0].text and msgs[0].markup is not None
    long_caption = Image(b"png", caption="kata " * 400)
    msgs = render(Reply(image=long_caption))
    assert msgs[-1].image is not None and msgs[-1].text == ""
    both = render(Reply("Pilih", [[Button("A", payload="a")]], request_location=True))
    assert len(both) == 2 and both[1].markup is not None


def test_parse_update_deep_links_media_and_odd_updates() -> None:
    from telegram import Update

    api = FakeBotAPI()

    def parse(data: dict[str, object]) -> object:
        return parse_update(Update.de_json(data, None), BOT_ID, BOT_USERNAME)  # type: ignore[arg-type]

    deep = parse(api.message_update("/start ref_abc123", 5))
    assert deep.event == CommandEvent(  # type: ignore[attr-defined]
        user=parse_ref(5),
        language_code="id",
        first_name="User5",
        name="start",
        args=("ref_abc123",),
    )
    voice = parse(
        api.message_update(None, 5, voice={"file_id": "v", "file_unique_id": "v", "duration": 1})
    )
    assert isinstance(voice.event, UnsupportedEvent) and voice.event.kind == "voice"  # type: ignore[attr-defined]
    loc = parse(api.message_update(None, 5, location={"latitude": -6.2, "longitude": 106.8}))
    assert loc.kind == "location"  # type: ignore[attr-defined]
    channel_post = parse(
        {
            "update_id": 1,
            "channel_post": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": -1, "type": "channel"},
                "text": "x",
            },
        }
    )
    assert channel_post.event is None and not channel_post.acts  # type: ignore[attr-defined]


def test_helpers() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
    assert webhook_path("https://bot.example.org/") == "/telegram"
    assert webhook_path("https://bot.example.org/hooks/tg") == "/hooks/tg"


async def test_stop_finishes_the_updates_in_flight(db_url: str) -> None:
    async with FakeBotAPI() as api:
        async with running(db_url, api) as h:
            h.channel.backoff_base = h.channel.backoff_cap = 0.3
            api.fail("sendMessage", "500", times=2)
            api.push(api.message_update("/menu", 91))
            await api.wait_for(lambda: any(c.method == "sendMessage" for c in api.log))
        # stop() returned only after the retried reply went out.
        assert [c.ok for c in api.log if c.method == "sendMessage"] == [False, False, True]
