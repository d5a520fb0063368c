"""Broadcast delivery benchmark: rate, 429s, loss, crash-and-resume, and the engine's ceiling.

    .venv/bin/python bench/broadcast_bench.py [--users 10000] [--limit 30] [--database-url URL]

1. A fake Telegram Bot API on loopback answers 429 with ``retry_after`` whenever the bot goes over
   ``--limit`` messages in any one-second sliding window. A broadcast to ``--users`` opted-in users
   is sent by a dispatcher in a subprocess; printed: the achieved rate as a fraction of the limit
   (target ≥ 0.95), 429s received (target 0) and messages lost (target 0).
2. A second broadcast; its dispatcher is SIGKILLed half-way and a new one resumes. Printed: lost
   (target 0) and duplicated (target ≤ the rows in flight at the kill: claimed, result not saved).
3. The engine's ceiling: messages per second with no rate limit and a channel that returns at once.

The sending side is the real :class:`~bot.channels.telegram.channel.TelegramChannel` (python-telegram-bot
underneath), pointed at the fake server with ``TELEGRAM_API_URL``, exactly as ``votebot broadcast run``
uses it: only ``send``, never receiving.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web

from bot.broadcast.dispatcher import Dispatcher
from bot.channels.base import (
    Channel,
)
from bot.config import load_settings
from bot.core.replies import Reply
from bot.runtime import Runtime, open_runtime

TOKEN = "123456:BENCH-TOKEN-not-a-real-one-0000000000"


# --------------------------------------------------------------------------- the sending side


def make_channel(runtime: Runtime) -> Channel:
    """The real Telegram channel; the runtime's settings point it at the fake Bot API."""
    from bot.channels.telegram.channel import TelegramChannel

    return TelegramChannel(runtime)


class NullChannel:
    """Returns at once: measures the engine alone (database claim, re-check, result)."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        self.sent += 1


# --------------------------------------------------------------------------- the fake Bot API


class FakeBotApi:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window: collections.deque[float] = collections.deque()
        self.reset()

    def reset(self, kill_at: int | None = None) -> None:
        self.kill_at = kill_at
        self.reached = asyncio.Event()
        self.received: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []
        self.too_many = 0
        self.window.clear()

    async def send_message(self, request: web.Request) -> web.Response:
        # python-telegram-bot posts form fields; accept JSON too.
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.too_many += 1
            retry = max(1, round(self.window[0] + 1.0 - now + 0.5))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                },
                status=429,
            )
        self.window.append(now)
        self.times.append(now)
        if self.kill_at is not None and len(self.times) >= self.kill_at:
            self.reached.set()
        self.received[str(body["chat_id"])] += 1
        message = {
            "message_id": len(self.times),
            "date": int(time.time()),
            "chat": {"id": int(body["chat_id"]), "type": "private"},
            "text": str(body.get("text", "")),
        }
        return web.json_response({"ok": True, "result": message})


# --------------------------------------------------------------------------- database set-up


def settings_for(db_url: str, base_url: str | None = None):  # type: ignore[no-untyped-def]
    telegram = (
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": f"{base_url}/bot"} if base_url else {}
    )
    return load_settings(
        **telegram,
        DATABASE_URL=db_url,
        VOTEBOT_SECRET_KEY="bench-secret-key-0123456789",
        VOTEBOT_QUIET_HOURS="off",
        LOG_LEVEL="WARNING",
        _env_file=None,
    )


async def seed(db_url: str, users: int) -> None:
    from sqlalchemy import insert

    from bot.db.models import User, utcnow

    rt = await open_runtime(settings_for(db_url))
    try:
        now = utcnow()
        rows = [
            {
                "channel": "telegram",
                "external_id": str(100_000 + i),
                "locale": "id",
                "created_at": now,
                "last_seen_at": now,
                "opted_in": True,
                "opt_in_asked": True,
                "reachable": True,
            }
            for i in range(users)
        ]
        async with rt.db.transaction() as s:
            for i in range(0, len(rows), 2000):
                await s.execute(insert(User), rows[i : i + 2000])
    finally:
        await rt.close()


async def new_broadcast(db_url: str, title: str) -> int:
    from bot.core.broadcasts import create_broadcast
    from bot.core.segments import parse_segment

    rt = await open_runtime(settings_for(db_url))
    try:
        async with rt.db.transaction() as s:
            b = await create_broadcast(
                s,
                rt.settings,
                title=title,
                texts={"id": "Sudah cek DPT? cekdptonline.kpu.go.id"},
                segment=parse_segment("all"),
                creator=None,
            )
            return b.id
    finally:
        await rt.close()


async def in_flight(db_url: str, broadcast_id: int) -> int:
    from sqlalchemy import func, select

    from bot.db.models_broadcast import OutboxRow

    rt = await open_runtime(settings_for(db_url))
    try:
        async with rt.db.sessions() as s:
            stmt = select(func.count()).where(
                OutboxRow.broadcast_id == broadcast_id, OutboxRow.status == "sending"
            )
            return int(await s.scalar(stmt) or 0)
    finally:
        await rt.close()


# --------------------------------------------------------------------------- the worker process


async def worker(db_url: str, base_url: str, broadcast_id: int, lease: float) -> None:
    rt = await open_runtime(settings_for(db_url, base_url))
    channel = make_channel(rt)
    try:
        d = Dispatcher(
            rt,
            {"telegram": channel},
            broadcast_id=broadcast_id,
            lease=timedelta(seconds=lease),
            poll_interval=0.2,
        )
        await d.run(until_done=True)
        print(json.dumps({"sent": d.counters.sent, "rate_limited": d.counters.rate_limited}))
    finally:
        await channel.stop()
        await rt.close()


def spawn(
    db_url: str, base_url: str, broadcast_id: int, lease: float
) -> asyncio.subprocess.Process:
    args = [__file__, "--worker", db_url, base_url, str(broadcast_id), str(lease)]
    return asyncio.create_subprocess_exec(sys.executable, *args)  # type: ignore[return-value]


# --------------------------------------------------------------------------- the phases


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory(prefix="votebot-bench-")
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/bench.sqlite3"
    api = FakeBotApi(args.limit)
    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", api.send_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base_url = f"http://127.0.0.1:{port}"
    n = args.users
    print(f"database: {db_url.split('://')[0]}, users: {n}, limit: {args.limit}/s (sliding 1 s)")
    await seed(db_url, n)
    expected = {str(100_000 + i) for i in range(n)}

    # 1. rate, 429s and loss
    bid = await new_broadcast(db_url, "rate")
    proc = await spawn(db_url, base_url, bid, args.lease)
    await proc.wait()
    span = api.times[-1] - api.times[0] if len(api.times) > 1 else float("nan")
    rate = (len(api.times) - 1) / span if span else float("nan")
    lost = len(expected - set(api.received))
    dup = sum(c - 1 for c in api.received.values() if c > 1)
    print("\n[1] rate-limited broadcast")
    print(f"  sent {len(api.times)} in {span:.1f} s = {rate:.2f} msg/s")
    print(f"  achieved rate / limit: {rate / args.limit:.3f}   (target >= 0.95)")
    print(f"  429s received:         {api.too_many}   (target 0)")
    print(f"  messages lost:         {lost}   (target 0)")
    print(f"  duplicated:            {dup}")

    # 2. SIGKILL half-way, then resume
    api.reset(kill_at=n // 2)
    bid = await new_broadcast(db_url, "kill")
    proc = await spawn(db_url, base_url, bid, args.lease)
    await api.reached.wait()
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    at_kill = len(api.times)
    flying = await in_flight(db_url, bid)
    started = time.monotonic()
    proc = await spawn(db_url, base_url, bid, args.lease)
    await proc.wait()
    lost = len(expected - set(api.received))
    dup = sum(c - 1 for c in api.received.values() if c > 1)
    print("\n[2] SIGKILL half-way, then resume")
    print(f"  killed after {at_kill} sends; resumed run took {time.monotonic() - started:.1f} s")
    print(f"  in flight at the kill (claimed, result not saved): {flying}")
    print(f"  lost:       {lost}   (target 0)")
    print(f"  duplicated: {dup}   (target <= {flying})")
    print(f"  429s:       {api.too_many}")

    await runner.cleanup()

    # 3. the engine's ceiling
    bid = await new_broadcast(db_url, "ceiling")
    rt = await open_runtime(settings_for(db_url))
    try:
        null = NullChannel()
        d = Dispatcher(
            rt,
            {"telegram": null},
            broadcast_id=bid,
            rates={"telegram": (None, None)},
            poll_interval=0.05,
        )
        t0 = time.monotonic()
        await d.run(until_done=True)
        took = time.monotonic() - t0
    finally:
        await rt.close()
    print("\n[3] engine ceiling (no rate limit, a channel that returns at once)")
    print(f"  {null.sent} messages in {took:.1f} s = {null.sent / took:.0f} msg/s")
    tmp.cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        db, base, bid, lease = sys.argv[2:6]
        asyncio.run(worker(db, base, int(bid), float(lease)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=30, help="the fake API's messages per second")
    parser.add_argument("--lease", type=float, default=5.0, help="claim lease in seconds")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    asyncio.run(main(parser.parse_args()))
