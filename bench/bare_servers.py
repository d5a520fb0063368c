"""The bare frameworks bench/throughput_bench.py compares ``votebot serve`` with.

python bench/bare_servers.py telegram   # a PTB v22 echo bot polling BENCH_API
python bench/bare_servers.py whatsapp   # an aiohttp webhook answering through BENCH_API on PORT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web

from tests.fake_telegram import TOKEN


def bare_telegram() -> None:
    from telegram import Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        chat = update.effective_chat
        assert chat is not None
        await update.get_bot().send_message(chat.id, "echo")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(os.environ["BENCH_API"])
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(echo))
    app.run_polling(poll_interval=0, timeout=1, drop_pending_updates=False)


def bare_whatsapp() -> None:
    api = os.environ["BENCH_API"]
    from tests.whatsapp_fakes import PHONE_ID
    from tests.whatsapp_fakes import TOKEN as WA_TOKEN

    async def client_ctx(app: web.Application) -> Any:
        app["http"] = aiohttp.ClientSession(headers={"Authorization": f"Bearer {WA_TOKEN}"})
        yield
        await app["http"].close()

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        for entry in body["entry"]:
            for change in entry["changes"]:
                for message in change["value"].get("messages", []):
                    reply = {
                        "messaging_product": "whatsapp",
                        "to": message["from"],
                        "type": "text",
                        "text": {"body": "echo"},
                    }
                    async with request.app["http"].post(
                        f"{api}/{PHONE_ID}/messages", json=reply
                    ) as resp:
                        await resp.read()
        return web.Response(text="ok")

    app = web.Application()
    app.cleanup_ctx.append(client_ctx)
    app.router.add_post("/whatsapp", hook)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), print=None)


if __name__ == "__main__":
    bare_telegram() if sys.argv[1:] == ["telegram"] else bare_whatsapp()
