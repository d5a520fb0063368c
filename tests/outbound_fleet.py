"""Pieces for multi-process outbound tests and ``bench/chaos_outbound.py``: a fake Bot API that
records every ``sendMessage`` with its arrival time, and a dispatcher worker process.

Run a worker: ``python -m tests.outbound_fleet DB_URL API_URL [--rate R] [--lease S]
[--leader-ttl S] [--reserve F]``. It sends with the real Telegram channel (python-telegram-bot)
until nothing is left, then prints its counters as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from aiohttp import web

TOKEN = "123456:FLEET-TOKEN-not-a-real-one-000000000000"


class FakeSendApi:
    """``sendMessage`` only. ``limit``: answer 429 when more than that many arrived within the
    last ``window`` seconds (judged by arrival time); ``pause_once``: answer the N-th send with
    one 429 asking to wait ``retry_after`` seconds."""

    def __init__(self, limit: int | None = None, window: float = 1.0) -> None:
        self.limit = limit
        self.span = window
        self.window: collections.deque[float] = collections.deque()
        self.received: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []
        self.too_many = 0
        self.pause_at: int | None = None
        self.pause_for = 0
        self.paused = asyncio.Event()
        #: Sends wait while this is clear (to start several workers before anything goes out).
        self.gate = asyncio.Event()
        self.gate.set()
        self.runner: web.AppRunner | None = None
        self.url = ""

    def pause_once(self, at: int, retry_after: int) -> None:
        self.pause_at, self.pause_for = at, retry_after

    @property
    def sent(self) -> int:
        return len(self.times)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)

    async def send_message(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        await self.gate.wait()
        now = time.monotonic()
        if self.pause_at is not None and len(self.times) + 1 >= self.pause_at:
            self.pause_at = None
            self.paused.set()
            return self._too_many(self.pause_for)
        if self.limit is not None:
            while self.window and self.window[0] <= now - self.span:
                self.window.popleft()
            if len(self.window) >= self.limit:
                self.too_many += 1
                return self._too_many(max(1, round(self.window[0] + self.span - now + 0.5)))
            self.window.append(now)
        self.times.append(now)
        chat = str(body["chat_id"])
        self.received[chat] += 1
        message = {
            "message_id": len(self.times),
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private"},
            "text": str(body.get("text", "")),
        }
        return web.json_response({"ok": True, "result": message})

    @staticmethod
    def _too_many(retry: int) -> web.Response:
        return web.json_response(
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry}",
                "parameters": {"retry_after": retry},
            },
            status=429,
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(f"/bot{TOKEN}/sendMessage", self.send_message)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def worker_settings(db_url: str, api_url: str | None = None, **extra: str) -> Any:
    from bot import ROOT
    from bot.config import load_settings

    telegram = (
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": f"{api_url}/bot"} if api_url else {}
    )
    return load_settings(
        **telegram,
        DATABASE_URL=db_url,
        VOTEBOT_CONTENT_DIR=str(ROOT / "content"),
        VOTEBOT_SECRET_KEY="fleet-secret-key-0123456789",
        VOTEBOT_QUIET_HOURS="off",
        LOG_LEVEL="WARNING",
        _env_file=None,
        **extra,
    )


async def seed_users(db_url: str, users: int, first: int = 100_000) -> list[str]:
    """``users`` opted-in Telegram users (profile rows only, as onboarding leaves them)."""
    from sqlalchemy import insert

    from bot.db.models import User, utcnow
    from bot.runtime import open_runtime

    rt = await open_runtime(worker_settings(db_url))
    try:
        now = utcnow()
        ids = [str(first + i) for i in range(users)]
        rows = [
            {
                "channel": "telegram",
                "external_id": ext,
                "locale": "id",
                "created_at": now,
                "last_seen_at": now,
                "opted_in": True,
                "opt_in_asked": True,
                "reachable": True,
            }
            for ext in ids
        ]
        async with rt.db.transaction() as s:
            for i in range(0, len(rows), 2000):
                await s.execute(insert(User), rows[i : i + 2000])
        return ids
    finally:
        await rt.close()


async def new_broadcast(db_url: str, title: str = "fleet") -> int:
    from bot.core.broadcasts import create_broadcast
    from bot.core.segments import parse_segment
    from bot.runtime import open_runtime

    rt = await open_runtime(worker_settings(db_url))
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


async def execute(db_url: str, *statements: str) -> list[Any]:
    """Run SQL statements (the test's hand on the database); the last one's rows if any."""
    from sqlalchemy import text

    from bot.db.engine import Database

    db = Database(db_url)
    out: list[Any] = []
    try:
        async with db.transaction() as s:
            for stmt in statements:
                result = await s.execute(text(stmt))
                out = list(result.all()) if result.returns_rows else []
    finally:
        await db.close()
    return out


async def expire_every_lease(db_url: str) -> None:
    """As if every worker had frozen for longer than its leases: all of them run out now."""
    from datetime import UTC, datetime

    from sqlalchemy import delete, update

    from bot.db.engine import Database
    from bot.db.models_broadcast import CLAIMED, FleetLease, OutboxRow

    past = datetime(2000, 1, 1, tzinfo=UTC)
    db = Database(db_url)
    try:
        async with db.transaction() as s:
            await s.execute(update(FleetLease).values(expires_at=past))
            await s.execute(delete(FleetLease).where(FleetLease.name.like("pause:%")))
            await s.execute(
                update(OutboxRow).where(OutboxRow.status == CLAIMED).values(lease_until=past)
            )
    finally:
        await db.close()


async def ready(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    """Wait for a worker's first line (its id and pid): it is about to run."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    return dict(json.loads(line))


def spawn(db_url: str, api_url: str, *args: str) -> asyncio.subprocess.Process:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    return asyncio.create_subprocess_exec(  # type: ignore[return-value]
        sys.executable,
        "-m",
        "tests.outbound_fleet",
        db_url,
        api_url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=root,
    )


async def _worker(args: argparse.Namespace) -> None:
    from bot.broadcast.dispatcher import Dispatcher
    from bot.channels.telegram.channel import TelegramChannel
    from bot.runtime import open_runtime

    rt = await open_runtime(worker_settings(args.db_url, args.api_url))
    channel = TelegramChannel(rt)
    try:
        d = Dispatcher(
            rt,
            {"telegram": channel},
            rates={"telegram": (args.rate, None)},
            lease=timedelta(seconds=args.lease),
            leader_ttl=args.leader_ttl,
            poll_interval=0.1,
            reserve=args.reserve,
        )
        print(json.dumps({"worker": d.worker_id, "pid": os.getpid()}), flush=True)
        await d.run(until_done=True)
        print(json.dumps(asdict(d.counters)), flush=True)
    finally:
        await channel.stop()
        await rt.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("api_url")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--leader-ttl", type=float, default=2.0)
    parser.add_argument("--reserve", type=float, default=0.0)
    asyncio.run(_worker(parser.parse_args()))
