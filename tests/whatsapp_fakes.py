"""A fake Graph API on loopback and a harness that talks to the WhatsApp webhook like Meta does.

The fake records every request (JSON messages, media uploads) and can answer with any Graph error
code, so the channel's error handling is tested against real HTTP.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.whatsapp.channel import WhatsAppChannel, signature_for
from bot.runtime import Runtime
from bot.web.app import create_app

TOKEN = "test-graph-token-0123456789"
APP_SECRET = "test-app-secret-abcdef"
VERIFY_TOKEN = "test-verify-token"
PHONE_ID = "1234567890"
VERSION = "v26.0"
USER = "6281234567890"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def wa_env(api_url: str) -> dict[str, str]:
    return {
        "WHATSAPP_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": api_url,
    }


class FakeGraph:
    """``/{version}/{phone}/messages``, ``/{phone}/media``, ``/{media_id}`` and the download URL."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.errors: deque[tuple[int, int | None]] = deque()
        self.unauthorised = 0
        self.media: dict[str, bytes] = {"555001": PHOTO}
        #: Media ids downloaded, in order.
        self.downloads: list[str] = []
        #: Where download URLs point (None: this server); e.g. a plain-http host elsewhere.
        self.download_base: str | None = None
        self._ids = itertools.count(1)
        self.server: TestServer | None = None
        app = web.Application()
        app.router.add_post(f"/{VERSION}/{{phone}}/messages", self.messages)
        app.router.add_post(f"/{VERSION}/{{phone}}/media", self.upload)
        app.router.add_get(f"/{VERSION}/{{media_id}}", self.media_info)
        app.router.add_get("/download/{media_id}", self.download)
        self.app = app

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/{VERSION}"))

    async def start(self) -> None:
        self.server = TestServer(self.app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def fail(self, code: int | None, status: int = 400, times: int = 1) -> None:
        """Answer the next ``times`` message sends with this Graph error."""
        self.errors.extend([(status, code)] * times)

    def _authorised(self, request: web.Request) -> bool:
        ok = request.headers.get("Authorization") == f"Bearer {TOKEN}"
        self.unauthorised += not ok
        return ok

    async def messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["phone"] != PHONE_ID:
            return web.json_response({"error": {"code": 190, "message": "bad token"}}, status=401)
        body = await request.json()
        if self.errors:
            status, code = self.errors.popleft()
            error = {"message": f"(#{code}) test error", "type": "OAuthException", "code": code}
            error["error_data"] = {"messaging_product": "whatsapp", "details": "from the fake"}
            return web.json_response({"error": error}, status=status)
        self.sent.append(body)
        wamid = f"wamid.test{next(self._ids)}"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    async def upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": 190}}, status=401)
        form = await request.post()
        file = form["file"]
        assert isinstance(file, web.FileField)
        self.uploads.append(
            {
                "messaging_product": form["messaging_product"],
                "type": form["type"],
                "filename": file.filename,
                "data": file.file.read(),
            }
        )
        return web.json_response({"id": f"77{len(self.uploads)}"})

    async def media_info(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": 190}}, status=401)
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return web.json_response({"error": {"code": 100, "message": "no media"}}, status=404)
        assert self.server is not None
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": (
                    f"{self.download_base}/download/{media_id}"
                    if self.download_base
                    else str(self.server.make_url(f"/download/{media_id}"))
                ),
                "mime_type": "image/png",
                "file_size": len(self.media[media_id]),
                "id": media_id,
            }
        )

    async def download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        self.downloads.append(request.match_info["media_id"])
        return web.Response(body=self.media[request.match_info["media_id"]])


def webhook_body(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    *,
    name: str = "Ana",
    wa_id: str = USER,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": PHONE_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


class Harness:
    """Sends signed webhook posts as one user and reads what the bot sent back."""

    def __init__(self, channel: WhatsAppChannel, client: TestClient, graph: FakeGraph) -> None:
        self.channel, self.client, self.graph = channel, client, graph
        self._ids = itertools.count(1)
        self.wa_id = USER
        self.batch: list[dict[str, Any]] = []

    def message(self, kind: str, body: dict[str, Any], msg_id: str | None = None) -> dict[str, Any]:
        return {
            "from": self.wa_id,
            "id": msg_id or f"wamid.in{next(self._ids)}",
            "timestamp": str(int(time.time())),
            "type": kind,
            kind: body,
        }

    async def post(self, payload: Any, *, signature: str | None = "auto") -> int:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = signature_for(APP_SECRET, raw)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        resp = await self.client.post("/whatsapp", data=raw, headers=headers)
        await resp.read()
        return resp.status

    async def deliver(self, *messages: dict[str, Any], statuses: list[Any] | None = None) -> int:
        """Post messages (and statuses) signed; wait until handled; keep what was sent back."""
        before = len(self.graph.sent)
        status = await self.post(webhook_body(list(messages), statuses, wa_id=self.wa_id))
        await self.channel.drain()
        self.batch = self.graph.sent[before:]
        return status

    async def say(self, text: str) -> int:
        return await self.deliver(self.message("text", {"body": text}))

    async def tap(self, payload: str, *, kind: str = "button_reply") -> int:
        body = {"type": kind, kind: {"id": payload, "title": "x"}}
        return await self.deliver(self.message("interactive", body))

    async def press(self, label: str) -> int:
        """Press the reply button or list row titled ``label`` (or containing it)."""
        options = self.choices()
        for wanted in (lambda t: t == label, lambda t: label.casefold() in t.casefold()):
            for title, (payload, kind) in options.items():
                if wanted(title):
                    return await self.tap(payload, kind=kind)
        raise AssertionError(f"no option {label!r}; options: {list(options)}")

    def choices(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for msg in self.batch:
            inter = msg.get("interactive", {})
            if inter.get("type") == "button":
                for b in inter["action"]["buttons"]:
                    found[b["reply"]["title"]] = (b["reply"]["id"], "button_reply")
            elif inter.get("type") == "list":
                for section in inter["action"]["sections"]:
                    for row in section["rows"]:
                        found[row["title"]] = (row["id"], "list_reply")
        return found

    @property
    def options(self) -> list[str]:
        return list(self.choices())

    @property
    def text(self) -> str:
        parts = []
        for msg in self.batch:
            if msg["type"] == "text":
                parts.append(msg["text"]["body"])
            elif msg["type"] == "interactive":
                parts.append(msg["interactive"]["body"]["text"])
        return "\n\n".join(parts)

    @property
    def kinds(self) -> list[str]:
        return [
            m["interactive"]["type"] if m["type"] == "interactive" else m["type"]
            for m in self.batch
        ]


@asynccontextmanager
async def serving(runtime: Runtime, graph: FakeGraph) -> AsyncIterator[Harness]:
    """The real WhatsApp channel in the real aiohttp app, on loopback, with quick retries."""
    channel = WhatsAppChannel(runtime)
    channel.retry_base = channel.max_backoff = 0.001
    app = create_app(runtime)
    channel.setup_routes(app)
    await channel.start()
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        try:
            yield Harness(channel, client, graph)
        finally:
            await channel.stop()
