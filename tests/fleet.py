"""Several ``votebot serve`` worker processes on one database, posting webhooks like the platforms.

Used by tests/test_inbound_fleet.py and bench/chaos_inbound.py. The workers talk to fake platform
APIs running in the caller's process (:class:`tests.fake_telegram.FakeBotAPI`,
:class:`tests.whatsapp_fakes.FakeGraph`), so every reply is counted where it arrives.

:class:`Poster` delivers a webhook body the way Meta and Telegram do: it retries, with a short
backoff, until a worker answers 200 (a refused connection, a 503 or a hang-up all mean "again"),
picking the next live worker each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from bot import ROOT
from bot.channels.whatsapp.channel import signature_for
from tests.fake_telegram import TOKEN
from tests.whatsapp_fakes import APP_SECRET, wa_env, webhook_body

WEBHOOK_SECRET = "fleet-webhook-secret-0123456789"
#: Upper bound on a worker's start-up (a loaded CI machine), not a speed target.
START_DEADLINE = 90.0


@contextlib.asynccontextmanager
async def scratch_postgres(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database next to ``admin_url`` (any driver), dropped afterwards
    even while workers are still connected; yields its ``postgresql+asyncpg`` URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(admin_url).set(drivername="postgresql+asyncpg")
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def plain_url(db_url: str) -> str:
    """The URL as an operator writes it (``serve`` normalises it again)."""
    return db_url


class Worker:
    """One ``votebot serve`` process with its own port and log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self._log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
        )

    async def wait_up(self, http: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise AssertionError(f"worker exited {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{self.base}/healthz") as resp:
                    if resp.status == 200:
                        return
            if time.monotonic() > deadline:
                raise AssertionError(f"worker did not come up:\n{self.output()[-3000:]}")
            await asyncio.sleep(0.2)

    def kill(self) -> None:
        """kill -9: no shutdown, no drain."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM and wait; returns the exit code (0 for a clean stop)."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 60)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    async def reap(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
        if self.proc is not None:
            await self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def fleet_env(
    db_url: str,
    *,
    telegram_api: str | None = None,
    graph_api: str | None = None,
    **extra: str,
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WHATSAPP_", "VOTEBOT_", "LOG_LEVEL"))
    }
    env.update(
        {
            "DATABASE_URL": db_url,
            "VOTEBOT_SECRET_KEY": "fleet-secret-key-0123456789",
            "LOG_LEVEL": "WARNING",
        }
    )
    if telegram_api is not None:
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": telegram_api,
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
        )
    if graph_api is not None:
        env.update(wa_env(graph_api))
    env.update(extra)
    return env


class Poster:
    """Posts webhook bodies to the live workers until one answers 200."""

    def __init__(self, http: aiohttp.ClientSession, workers: list[Worker]) -> None:
        self.http = http
        self.workers = workers
        self._turn = itertools.count()
        #: Posts answered with something other than 200 (or not answered at all).
        self.retries = 0

    def pick(self, prefer: int | None = None) -> Worker:
        live = [w for w in self.workers if w.alive]
        if not live:
            raise AssertionError("no live worker")
        if prefer is not None and self.workers[prefer % len(self.workers)].alive:
            return self.workers[prefer % len(self.workers)]
        return live[next(self._turn) % len(live)]

    async def post(
        self,
        path: str,
        raw: bytes,
        headers: dict[str, str],
        *,
        prefer: int | None = None,
        deadline: float = 120.0,
    ) -> None:
        end = time.monotonic() + deadline
        delay = 0.05
        first = True
        while True:
            worker = self.pick(prefer if first else None)
            first = False
            try:
                async with self.http.post(
                    f"{worker.base}{path}",
                    data=raw,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as resp:
                    await resp.read()
                    if resp.status == 200:
                        return
                    assert resp.status in (502, 503, 504), f"{path}: HTTP {resp.status}"
            except (aiohttp.ClientError, OSError, TimeoutError):
                pass
            self.retries += 1
            if time.monotonic() > end:
                raise AssertionError(f"{path}: no worker took the message in {deadline:.0f}s")
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 2)

    async def whatsapp(self, message: dict[str, Any], **kwargs: Any) -> None:
        raw = json.dumps(webhook_body([message], wa_id=message["from"])).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature_for(APP_SECRET, raw),
        }
        await self.post("/whatsapp", raw, headers, **kwargs)

    async def telegram(self, update: dict[str, Any], **kwargs: Any) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
        }
        await self.post("/telegram", json.dumps(update).encode(), headers, **kwargs)


def wa_text(wa_id: str, message_id: str, text: str) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


class Pacer:
    """Keeps one user below the bot's flood limit (10 messages in 5 s), as a person would be."""

    def __init__(self, limit: int = 8, window: float = 5.5) -> None:
        self.limit, self.window = limit, window
        self.sent: list[float] = []

    async def wait(self) -> None:
        now = time.monotonic()
        self.sent = [t for t in self.sent if now - t < self.window]
        if len(self.sent) >= self.limit:
            await asyncio.sleep(self.sent[0] + self.window - now)
        self.sent.append(time.monotonic())
