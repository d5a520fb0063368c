"""The two channel drivers for tests/scenarios.py.

TelegramDriver: the real python-telegram-bot Application in webhook mode; ``say`` posts a message
update, ``press`` a callback query for the button with that label (on the message that carried it);
the screen is the sendMessage/sendPhoto/editMessageText calls the fake Bot API received.

WhatsAppDriver: signed webhook posts (into the real aiohttp app in-process, or into a
``votebot serve`` subprocess: see tests/test_whatsapp_serve.py); ``say`` posts a text message,
``press`` an interactive ``button_reply``/``list_reply`` with the id of the button or row whose full
label matches (WhatsApp shortens long titles: the full label is taken from the row description or
the body's list of full labels); the screen is what the fake Graph API was asked to send.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.fake_telegram import Call, FakeBotAPI
from tests.scenarios import pick
from tests.telegram_harness import Harness as TelegramHarness
from tests.telegram_harness import running
from tests.whatsapp_fakes import USER, FakeGraph, serving, wa_env

URL = re.compile(r"https?://[^\s<>\"')\]]+")
#: WhatsApp's *bold*, _italic_ and ~strike~ markers (not underscores inside words or URLs).
WA_MARK = re.compile(r"(?<![\w*_~])[*_~](?=\S)|(?<=\S)[*_~](?![\w*_~])")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 90)).save(buf, format="PNG")
    return buf.getvalue()


#: The picture a scenario sends (forwarded photos are matched by their hash, then caption).
PHOTO = _png()


def _urls(text: str) -> list[str]:
    return [u.rstrip(".,;:") for u in URL.findall(text)]


def _bodies(screen: list[dict[str, Any]]) -> list[str]:
    """The texts of WhatsApp messages: text bodies, interactive bodies, image captions."""
    parts = []
    for msg in screen:
        if msg["type"] == "text":
            parts.append(msg["text"]["body"])
        elif msg["type"] == "interactive":
            parts.append(msg["interactive"]["body"]["text"])
        elif msg["type"] == "image":
            parts.append(msg["image"].get("caption", ""))
    return parts


class TelegramDriver:
    channel = "telegram"

    def __init__(self, harness: TelegramHarness, user_id: int = 4242) -> None:
        self.h, self.api, self.user_id = harness, harness.api, user_id
        self.screen: list[Call] = []
        self.transcript: list[str] = []

    async def _post(self, update: dict[str, Any], said: str) -> None:
        before = len(self.api.log)
        assert await self.h.post(update) == 200
        await self.h.settle()
        self.screen = [
            c
            for c in self.api.log[before:]
            if c.ok
            and c.chat_id == self.user_id
            and c.method in ("sendMessage", "sendPhoto", "editMessageText")
        ]
        self.transcript += [f"> {said}", self.text, f"  {self.options}"]

    async def say(self, text: str) -> None:
        await self._post(self.api.message_update(text, self.user_id), text)

    async def press(self, label: str, on: Any = None) -> None:
        buttons: list[tuple[str, tuple[str, int]]] = []
        for call in on if on is not None else self.screen:
            assert call.result is not None
            for row in (call.markup or {}).get("inline_keyboard") or []:
                buttons += [
                    (b["text"], (b["callback_data"], call.result["message_id"]))
                    for b in row
                    if "callback_data" in b
                ]
        data, message_id = pick(buttons, label)
        update = self.api.callback_update(data, self.user_id, message_id=message_id)
        await self._post(update, f"[{label}]")

    async def share_location(self, latitude: float, longitude: float) -> None:
        location = {"latitude": latitude, "longitude": longitude}
        update = self.api.message_update(None, self.user_id, location=location)
        await self._post(update, f"!location {latitude} {longitude}")

    async def send_voice_note(self) -> None:
        voice = {"file_id": "voice-1", "file_unique_id": "voice-u1", "duration": 3}
        await self._post(self.api.message_update(None, self.user_id, voice=voice), "!voice")

    async def send_photo(self, caption: str | None = None) -> None:
        self.api.files["scenario-photo"] = PHOTO
        update = self.api.photo_update([("scenario-photo", 64, 64)], self.user_id, caption=caption)
        await self._post(update, f"!photo {caption or ''}".rstrip())

    @property
    def text(self) -> str:
        return "\n\n".join(html.unescape(re.sub(r"<[^>]+>", "", c.text)) for c in self.screen)

    @property
    def options(self) -> list[str]:
        return [
            b["text"]
            for c in self.screen
            for row in (c.markup or {}).get("inline_keyboard") or []
            for b in row
            if "callback_data" in b
        ]

    @property
    def links(self) -> list[str]:
        found: list[str] = []
        for c in self.screen:
            found += re.findall(r'href="([^"]+)"', c.text) + _urls(c.text)
            for row in (c.markup or {}).get("inline_keyboard") or []:
                found += [b["url"] for b in row if "url" in b]
        return [html.unescape(u) for u in found]


#: Posts one inbound WhatsApp message (signed) and returns what the bot sent back for it.
Deliver = Callable[[dict[str, Any]], Awaitable[list[dict[str, Any]]]]


class WhatsAppDriver:
    channel = "whatsapp"

    def __init__(
        self, deliver: Deliver, wa_id: str = USER, media: dict[str, bytes] | None = None
    ) -> None:
        self.deliver, self.wa_id = deliver, wa_id
        #: The fake Graph API's media store, where a sent photo can be downloaded from.
        self.media = media if media is not None else {}
        self._ids = itertools.count(1)
        self.screen: list[dict[str, Any]] = []
        self.transcript: list[str] = []

    async def _deliver(self, kind: str, body: dict[str, Any], said: str) -> None:
        message = {
            "from": self.wa_id,
            "id": f"wamid.scenario{next(self._ids)}",
            "timestamp": str(int(time.time())),
            "type": kind,
            kind: body,
        }
        self.screen = await self.deliver(message)
        self.transcript += [f"> {said}", self.text, f"  {self.options} {self.kinds}"]

    async def say(self, text: str) -> None:
        await self._deliver("text", {"body": text}, text)

    async def press(self, label: str, on: Any = None) -> None:
        payload, kind, title = pick(self._choices(on if on is not None else self.screen), label)
        body = {"type": kind, kind: {"id": payload, "title": title}}
        await self._deliver("interactive", body, f"[{label}]")

    async def share_location(self, latitude: float, longitude: float) -> None:
        body = {"latitude": latitude, "longitude": longitude}
        await self._deliver("location", body, f"!location {latitude} {longitude}")

    async def send_voice_note(self) -> None:
        body = {"id": "voice-1", "mime_type": "audio/ogg; codecs=opus", "voice": True}
        await self._deliver("audio", body, "!voice")

    async def send_photo(self, caption: str | None = None) -> None:
        self.media["9001"] = PHOTO
        body: dict[str, Any] = {"id": "9001", "mime_type": "image/png", "sha256": "x"}
        if caption is not None:
            body["caption"] = caption
        await self._deliver("image", body, f"!photo {caption or ''}".rstrip())

    @property
    def kinds(self) -> list[str]:
        """The message kinds of the screen: text, image, button, list, cta_url, …"""
        return [m.get("interactive", {}).get("type", m["type"]) for m in self.screen]

    @staticmethod
    def _choices(screen: list[dict[str, Any]]) -> list[tuple[str, tuple[str, str, str]]]:
        """(full label, (id, reply kind, title)) of every button and list row."""
        found: list[tuple[str, tuple[str, str, str]]] = []
        # A shortened button's full label is in the text: listed under it or spelt out by it.
        lines = [line.removeprefix("• ") for body in _bodies(screen) for line in body.splitlines()]
        for msg in screen:
            inter = msg.get("interactive", {})
            if inter.get("type") == "button":
                for b in inter["action"]["buttons"]:
                    title = b["reply"]["title"]
                    full = title
                    if title.endswith("…") or re.search(r"… \d+$", title):
                        stem = title.rsplit("…", 1)[0]
                        full = next((x for x in lines if x.startswith(stem)), title)
                    found.append((full, (b["reply"]["id"], "button_reply", title)))
            elif inter.get("type") == "list":
                for section in inter["action"]["sections"]:
                    for row in section["rows"]:
                        full = row.get("description", row["title"])
                        found.append((full, (row["id"], "list_reply", row["title"])))
        return found

    @property
    def text(self) -> str:
        return WA_MARK.sub("", "\n\n".join(_bodies(self.screen)))

    @property
    def options(self) -> list[str]:
        return [full for full, _ in self._choices(self.screen)]

    @property
    def links(self) -> list[str]:
        found = _urls("\n".join(_bodies(self.screen)))
        for msg in self.screen:
            if msg.get("interactive", {}).get("type") == "cta_url":
                found.append(msg["interactive"]["action"]["parameters"]["url"])
        return found


# --------------------------------------------------------------------------- running one


@asynccontextmanager
async def telegram_driver(db_url: str) -> AsyncIterator[tuple[TelegramDriver, Runtime]]:
    async with FakeBotAPI() as api, running(db_url, api, webhook=True) as h:
        yield TelegramDriver(h), h.runtime


@asynccontextmanager
async def whatsapp_driver(db_url: str) -> AsyncIterator[tuple[WhatsAppDriver, Runtime]]:
    graph = FakeGraph()
    await graph.start()
    runtime = await open_runtime(make_settings(db_url, **wa_env(graph.url)))
    runtime.core.flood = None  # scenarios talk faster than any person
    try:
        async with serving(runtime, graph) as h:

            async def deliver(message: dict[str, Any]) -> list[dict[str, Any]]:
                assert await h.deliver(message) == 200
                return h.batch

            yield WhatsAppDriver(deliver, media=graph.media), runtime
    finally:
        await runtime.close()
        await graph.close()


DRIVERS = {"telegram": telegram_driver, "whatsapp": whatsapp_driver}
