"""`votebot serve` as a real process against a minimal Bot API server, then SIGTERM → exit 0.

The server knows only getMe, getUpdates, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery and deleteMessage; everything else (setMyCommands, setChatMenuButton,
getWebhookInfo, sendChatAction) answers 500, and the bot must carry on regardless.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

from bot import ROOT
from tests.fake_telegram import TOKEN, FakeBotAPI

MINIMAL = {
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessage",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def payload_of(api: FakeBotAPI, chat_id: int, label: str) -> str:
    for call in reversed(api.replies(chat_id)):
        for row in (call.markup or {}).get("inline_keyboard") or []:
            for button in row:
                if label in button["text"]:
                    return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {[c.text for c in api.replies(chat_id)]}")


async def test_votebot_serve_holds_a_whole_conversation(db_url: str) -> None:
    async with FakeBotAPI(only=MINIMAL) as api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "DATABASE_URL": db_url,
            "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "LOG_LEVEL": "INFO",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            chat = 4242
            replies = lambda: len(api.replies(chat))  # noqa: E731

            async def step(update: dict[str, object], expect_more: int = 1) -> None:
                before = replies()
                api.push(update)
                await api.wait_for(lambda: replies() >= before + expect_more, limit=60)

            await api.wait_for(lambda: api.calls("getUpdates"), limit=60)
            await step(api.message_update("/start", chat), 2)
            assert "Teman Pemilih" in api.replies(chat)[0].text

            await step(api.callback_update(payload_of(api, chat, "English"), chat), 2)
            assert "talk to you in English" in api.replies(chat)[-2].text
            await step(api.callback_update(payload_of(api, chat, "Not now"), chat))
            assert "⚙️ More" in api.replies(chat)[-1].button_labels

            # The language button edits the menu in place; then switch back to Indonesian.
            await step(api.callback_update("lang", chat, message_id=3))
            assert api.replies(chat)[-1].method == "editMessageText"
            await step(api.callback_update(payload_of(api, chat, "Bahasa Indonesia"), chat))
            assert "Indonesia" in api.replies(chat)[-1].text or "Oke" in api.replies(chat)[-1].text

            await step(api.message_update("apa itu politik uang?", chat))
            assert api.replies(chat)[-1].text
            assert len(api.calls("answerCallbackQuery")) == 4
            failed = {c.method for c in api.log if not c.ok}
            assert {"setMyCommands", "getWebhookInfo"} <= failed
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(proc.communicate(), 60)
        text = output.decode(errors="replace")
        assert proc.returncode == 0, text
        assert TOKEN not in text
        assert "finishing the updates in flight" in text
