"""python-telegram-bot on aiohttp (bot/channels/telegram/http.py): parameters as a JSON body,
files uploaded intact, and transport failures raised as the errors callers retry on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.channels.telegram.http import AiohttpRequest
from tests.fleet import free_port

TOKEN = "123:abc"
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}}
ME = {"id": 123, "is_bot": True, "first_name": "Teman Pemilih", "username": "temanpemilih_bot"}


class Api:
    """A Bot API that records what it was sent; ``delay`` holds each answer back."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, Any]]] = []
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields: dict[str, Any] = {}
        if request.content_type == "application/json":
            fields = await request.json()
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    fields[key] = (value.filename, value.content_type, value.file.read())
                else:
                    fields[key] = value
        self.seen.append((method, request.content_type, fields))
        await asyncio.sleep(self.delay)
        if method == "sendMessage" and fields.get("text") == "refuse":
            body = {"ok": False, "error_code": 400, "description": "Bad Request: refused"}
            return web.json_response(body, status=400)
        return web.json_response({"ok": True, "result": ME if method == "getMe" else MESSAGE})


@pytest.fixture
async def api() -> AsyncIterator[tuple[Api, str]]:
    fake = Api()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}/bot"
    await runner.cleanup()


def bot_for(base_url: str, **kwargs: Any) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(**kwargs))


async def test_parameters_arrive_as_one_json_body(
    api: tuple[Api, str],
) -> None:
    fake, url = api
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Menu 🏠", callback_data="menu")]])
    async with bot_for(url) as bot:
        sent = await bot.send_message(
            42, "Halo <b>kamu</b> ✨", parse_mode="HTML", reply_markup=markup
        )
    assert sent.message_id == 7
    method, content_type, fields = fake.seen[-1]
    assert (method, content_type) == ("sendMessage", "application/json")
    assert fields["text"] == "Halo <b>kamu</b> ✨"
    assert fields["chat_id"] == 42
    assert fields["parse_mode"] == "HTML"
    keyboard = fields["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "Menu 🏠", "callback_data": "menu"}]]


async def test_a_file_is_uploaded_intact(api: tuple[Api, str]) -> None:
    fake, url = api
    data = bytes(range(256)) * 40
    async with bot_for(url) as bot:
        await bot.send_photo(42, InputFile(data, filename="sertifikat.png"), caption="Selamat!")
    method, content_type, fields = fake.seen[-1]
    assert (method, content_type) == ("sendPhoto", "multipart/form-data")
    assert fields["caption"] == "Selamat!"
    filename, mimetype, body = fields["photo"]
    assert filename == "sertifikat.png"
    assert mimetype == "image/png"
    assert body == data


async def test_the_api_refusing_is_the_usual_error(api: tuple[Api, str]) -> None:
    _, url = api
    async with bot_for(url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)refused"):
            await bot.send_message(42, "refuse")


async def test_a_slow_answer_times_out(api: tuple[Api, str]) -> None:
    fake, url = api
    async with bot_for(url, read_timeout=0.2) as bot:
        fake.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(42, "halo")
        # A longer timeout for one call (getUpdates asks for one) is honoured.
        sent = await bot.send_message(42, "halo", read_timeout=3)
    assert sent.message_id == 7


async def test_no_server_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)


async def test_usable_before_initialize_and_refused_after_shutdown(api: tuple[Api, str]) -> None:
    """A broadcast worker sends without starting the application (as with PTB's own layer)."""
    _, url = api
    request = AiohttpRequest()
    status, _ = await request.do_request(f"{url}{TOKEN}/getMe", "POST")
    assert status == 200
    await request.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        await request.do_request(f"{url}{TOKEN}/getMe", "POST")


async def test_an_outbound_proxy_from_the_environment_is_used(
    api: tuple[Api, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network where the Bot API is only reachable through a proxy (HTTP_PROXY), as with
    python-telegram-bot's own layer. The fake stands in for the proxy: the host below does not
    exist, so the call only succeeds through it."""
    fake, url = api
    proxy = url.removesuffix("/bot")
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    request = AiohttpRequest()
    try:
        status, _ = await request.do_request(
            f"http://api.telegram.invalid/bot{TOKEN}/getMe", "POST"
        )
    finally:
        await request.shutdown()
    assert status == 200
    assert fake.seen[-1][0] == "getMe"


def test_answers_are_read_like_python_telegram_bot_reads_them() -> None:
    body = '{"ok": true, "result": [{"update_id": 1, "message": {"text": "halo 👋"}}]}'
    assert AiohttpRequest.parse_json_payload(body.encode()) == json.loads(body)
    broken = b'{"ok": true, "result": {"text": "\xff"}}'  # not UTF-8: replaced, as PTB does
    assert AiohttpRequest.parse_json_payload(broken)["result"]["text"] == "\ufffd"
    for bad in (b"<html>502 Bad Gateway</html>", b"[1, 2]"):
        with pytest.raises(TelegramError, match="Invalid server response"):
            AiohttpRequest.parse_json_payload(bad)
