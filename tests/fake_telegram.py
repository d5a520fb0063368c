"""A fake Telegram Bot API server on loopback (aiohttp) for end-to-end tests.

It records every call with its parameters, serves ``getUpdates`` from a queue (long polling), and
can be told to answer chosen methods with 429 (``retry_after``), 403, 400, 500 or garbage:

    async with FakeBotAPI() as api:
        api.fail("sendMessage", "429", retry_after=1)
        api.push(api.message_update("/start"))
        await api.wait_for(lambda: api.calls("sendMessage"))
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:TEST-token-for-the-fake-bot-api-0123"
BOT_ID = 123456789
BOT_USERNAME = "teman_pemilih_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    #: Whether the fake answered it with success.
    ok: bool = True
    #: The Message the fake answered a send or edit with (to press its buttons later).
    result: dict[str, Any] | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def markup(self) -> dict[str, Any] | None:
        value = self.params.get("reply_markup")
        return value if isinstance(value, dict) else None

    @property
    def button_labels(self) -> list[str]:
        m = self.markup or {}
        rows = m.get("inline_keyboard") or m.get("keyboard") or []
        return [b["text"] for row in rows for b in row]

    @property
    def callback_data(self) -> list[str]:
        rows = (self.markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _decode(value: str) -> Any:
    """PTB sends complex parameters as JSON strings inside the form."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _update_id(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if type(value) is int else None


class FakeBotAPI:
    """The Bot API as far as our tests need it."""

    #: Methods answered when ``only`` is not set; anything else is a 404 like the real API.
    KNOWN = frozenset(
        {
            "getMe",
            "getUpdates",
            "sendMessage",
            "sendPhoto",
            "editMessageText",
            "editMessageReplyMarkup",
            "answerCallbackQuery",
            "deleteMessage",
            "sendChatAction",
            "setMyCommands",
            "setChatMenuButton",
            "setWebhook",
            "deleteWebhook",
            "sendPoll",
            "getFile",
            "getWebhookInfo",
        }
    )

    def __init__(self, *, token: str = TOKEN, only: Iterable[str] | None = None) -> None:
        self.token = token
        #: When set, every other method answers 500 (a minimal Bot API server).
        self.only = frozenset(only) if only is not None else None
        self.log: list[Call] = []
        self._faults: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._pushed = asyncio.Event()
        self._ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Event()
        #: file_id → content, served by getFile and the file URL.
        self.files: dict[str, bytes] = {}
        #: file_ids of photos the bot sent (uploads get a new one); a send by an unknown id is 400.
        self.sent_photos: set[str] = set()
        #: file paths downloaded (``/file/bot<token>/<path>``), in order.
        self.downloads: list[str] = []
        #: file ids whose download answers 404 (getFile still knows them).
        self.unservable: set[str] = set()
        self._poll_ids = itertools.count(5000)
        self._runner: web.AppRunner | None = None
        self.port = 0
        #: The webhook URL set with setWebhook (getWebhookInfo reports it; deleteWebhook clears).
        self.webhook_url = ""

    # ------------------------------------------------------------------ server

    @property
    def url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> FakeBotAPI:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ controls

    def fail(self, method: str, kind: str, *, times: int = 1, **options: Any) -> None:
        """Answer the next ``times`` calls of ``method`` with ``kind``.

        Kinds: ``429`` (option ``retry_after``), ``403``, ``400`` (option ``description``),
        ``500``, ``garbage`` (200 with a body that is not JSON). ``times=-1``: always.
        """
        self._faults.setdefault(method, []).extend([(kind, options)] * max(times, 0))
        if times < 0:
            self._faults[method] = [(kind, {**options, "forever": True})]

    def push(self, *updates: dict[str, Any]) -> None:
        self._updates.extend(updates)
        self._pushed.set()

    def next_update_id(self) -> int:
        return next(self._ids)

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.log
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and c.ok
        ]

    def replies(self, chat_id: int) -> list[Call]:
        """Messages shown to a chat: sends, photos and edits, in order."""
        return [
            c
            for c in self.calls(chat_id=chat_id)
            if c.method in ("sendMessage", "sendPhoto", "editMessageText")
        ]

    async def wait_for(self, condition: Callable[[], Any], limit: float = 20.0) -> None:
        """Wait until ``condition()`` is true (a bound, not a timing assertion)."""
        deadline = time.monotonic() + limit
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met; calls so far: {[(c.method, c.text) for c in self.log]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    async def drained(self) -> None:
        """Wait until every pushed update has been acknowledged (a later getUpdates offset)."""
        await self.wait_for(lambda: not self._updates)

    # ------------------------------------------------------------------ update builders

    def user(self, user_id: int, language_code: str = "id") -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "language_code": language_code,
        }

    def message_update(
        self,
        text: str | None = "/start",
        user_id: int = 42,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        update_id: int | None = None,
        reply_to_bot: bool = False,
        language_code: str = "id",
        **extra: Any,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id if chat_id is not None else user_id}
        chat["type"] = chat_type
        if chat_type != "private":
            chat["title"] = "Kelas 12 IPA"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language_code),
            **extra,
        }
        if text is not None:
            message["text"] = text
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": chat,
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Teman"},
                "text": "…",
            }
        return {
            "update_id": update_id if update_id is not None else self.next_update_id(),
            "message": message,
        }

    def callback_update(
        self,
        data: str,
        user_id: int = 42,
        *,
        message_id: int = 1,
        chat_id: int | None = None,
        chat_type: str = "private",
        update_id: int | None = None,
        language_code: str = "id",
    ) -> dict[str, Any]:
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        return {
            "update_id": update_id if update_id is not None else self.next_update_id(),
            "callback_query": {
                "id": f"cq{next(self._ids)}",
                "from": self.user(user_id, language_code),
                "chat_instance": "ci1",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Teman"},
                    "text": "menu",
                },
            },
        }

    def photo_update(
        self,
        sizes: Iterable[tuple[str, int, int]],
        user_id: int = 42,
        *,
        caption: str | None = None,
        update_id: int | None = None,
        language_code: str = "id",
    ) -> dict[str, Any]:
        """A photo message offered in ``sizes`` (``(file_id, width, height)``, from ``files``)."""
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": width,
                "height": height,
                "file_size": len(self.files.get(file_id, b"")),
            }
            for file_id, width, height in sizes
        ]
        extra: dict[str, Any] = {"photo": photo}
        if caption is not None:
            extra["caption"] = caption
        return self.message_update(
            None, user_id, update_id=update_id, language_code=language_code, **extra
        )

    def poll_answer_update(
        self, poll_id: str, option: int, user_id: int = 42, *, update_id: int | None = None
    ) -> dict[str, Any]:
        return {
            "update_id": update_id if update_id is not None else self.next_update_id(),
            "poll_answer": {
                "poll_id": poll_id,
                "user": self.user(user_id),
                "option_ids": [option],
                "option_persistent_ids": [f"o{option}"],
            },
        }

    # ------------------------------------------------------------------ the API

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """The file download URL: ``/file/bot<token>/<file_path>`` (file_path = file id)."""
        path = request.match_info["path"]
        self.downloads.append(path)
        self._changed.set()
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = path.removeprefix("photos/")
        data = self.files.get(file_id)
        if data is None or file_id in self.unservable:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/jpeg")

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                params[key] = _decode(value) if isinstance(value, str) else "<file>"
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.log.append(call)
        try:
            return await self._answer(request, call)
        finally:
            self._changed.set()

    def _error(self, call: Call, status: int, description: str, **extra: Any) -> web.Response:
        call.ok = False
        body = {"ok": False, "error_code": status, "description": description, **extra}
        return web.json_response(body, status=status)

    async def _answer(self, request: web.Request, call: Call) -> web.StreamResponse:
        method, params = call.method, call.params
        if request.match_info["token"] != self.token:
            return self._error(call, 401, "Unauthorized")
        if self.only is not None and method not in self.only:
            return self._error(call, 500, "Internal Server Error: not implemented here")
        if method not in self.KNOWN:
            return self._error(call, 404, "Not Found: method not found")
        faults = self._faults.get(method)
        if faults:
            kind, options = faults[0]
            if not options.get("forever"):
                faults.pop(0)
            if kind == "429":
                wait = int(options.get("retry_after", 1))
                return self._error(
                    call,
                    429,
                    f"Too Many Requests: retry after {wait}",
                    parameters={"retry_after": wait},
                )
            if kind == "403":
                return self._error(call, 403, "Forbidden: bot was blocked by the user")
            if kind == "400":
                return self._error(call, 400, options.get("description", "Bad Request"))
            if kind == "500":
                return self._error(call, 500, "Internal Server Error")
            if kind == "garbage":
                call.ok = False
                return web.Response(text="<html>502 bad gateway, but with a 200</html>")
            raise AssertionError(f"unknown fault kind {kind!r}")
        if method == "getUpdates":
            return self._ok(await self._get_updates(request, params))
        if method == "setWebhook":
            self.webhook_url = str(params.get("url") or "")
        if method == "deleteWebhook":
            self.webhook_url = ""
        if method == "getWebhookInfo":
            return self._ok(
                {
                    "url": self.webhook_url,
                    "has_custom_certificate": False,
                    "pending_update_count": 0,
                }
            )
        if method == "getMe":
            return self._ok(
                {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Teman Pemilih",
                    "username": BOT_USERNAME,
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        photo = params.get("photo")
        if method == "sendPhoto" and photo != "<file>" and photo not in self.sent_photos:
            return self._error(call, 400, "Bad Request: wrong file identifier/HTTP URL specified")
        if method in ("sendMessage", "sendPhoto", "editMessageText"):
            call.result = self._message(params)
            return self._ok(call.result)
        if method == "sendPoll":
            call.result = self._poll_message(params)
            return self._ok(call.result)
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return self._error(call, 400, "Bad Request: invalid file_id")
            return self._ok(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"photos/{file_id}",
                }
            )
        return self._ok(True)

    def _poll_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params)
        options = params.get("options") or []
        message["poll"] = {
            "id": str(next(self._poll_ids)),
            "question": params.get("question", ""),
            "options": [
                {
                    "text": o if isinstance(o, str) else o.get("text", ""),
                    "voter_count": 0,
                    "persistent_id": f"o{i}",
                }
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": False,
            "type": "quiz",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
            "correct_option_ids": params.get("correct_option_ids"),
        }
        return message

    def _ok(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(
        self, request: web.Request, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Long polling like the real API: updates below ``offset`` are confirmed and forgotten;
        the others are handed out (again) until confirmed. Wait at most a second here."""
        offset = params.get("offset")
        if offset is not None:
            first = int(offset)
            kept = [u for u in self._updates if _update_id(u) is None or _update_id(u) >= first]
            self._updates = deque(kept)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        if not self._updates and timeout > 0:
            self._pushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pushed.wait(), timeout)
        transport = request.transport
        if transport is None or transport.is_closing():
            return []  # the poller went away (a restart): keep the updates for the next one
        batch = list(self._updates)[:100]
        # Items without an integer update_id can never be confirmed: hand them out once.
        self._updates = deque(u for u in self._updates if _update_id(u) is not None)
        return batch

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Teman Pemilih"},
        }
        if "text" in params:
            message["text"] = params["text"]
        if "photo" in params:
            photo = params["photo"]
            file_id = f"sent-{next(self._message_ids)}" if photo == "<file>" else str(photo)
            self.sent_photos.add(file_id)
            message["photo"] = [
                {"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 1, "height": 1}
            ]
        return message
