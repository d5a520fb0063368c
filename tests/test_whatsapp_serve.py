"""``votebot serve`` with the WhatsApp variables set, as a subprocess, against a fake Graph API:
the handshake, unsigned posts refused, and a whole conversation (menu, a quiz question as a list,
TPS by postcode, pledge) through signed webhook posts."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot import ROOT
from bot.channels.whatsapp.channel import signature_for
from tests.scenario_drivers import WhatsAppDriver
from tests.scenarios import (
    english_menu,
    pledge_steps,
    quiz_last_answer,
    quiz_to_the_last_question,
    tps_postcode_steps,
)
from tests.whatsapp_fakes import APP_SECRET, USER, VERIFY_TOKEN, FakeGraph, wa_env, webhook_body

#: Generous upper bound on start-up and on each answer (a slow CI machine), not a speed target.
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(condition: Any, what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


#: The sample TPS file's provinces: their regions are loaded before ``serve`` starts.
SAMPLE_PROVINCES = ("DKI Jakarta", "Jawa Tengah", "Bali", "Maluku")


async def start(env: dict[str, str], *args: str, stderr: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )


async def votebot(env: dict[str, str], *args: str) -> str:
    """Run ``votebot ARGS`` to the end; return its output (it must succeed)."""
    proc = await start(env, *args, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 0, out.decode()
    return out.decode()


class Pacer:
    """Keeps a test user below the bot's flood limit (10 messages in 5 s), as a person would be."""

    def __init__(self, limit: int = 9, window: float = 5.2) -> None:
        self.limit, self.window = limit, window
        self.sent: collections.deque[float] = collections.deque()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        if len(self.sent) >= self.limit:
            await asyncio.sleep(max(0.0, self.sent[0] + self.window - loop.time()))
            self.sent.popleft()
        self.sent.append(loop.time())


async def test_serve_holds_a_whatsapp_conversation(tmp_path: Path) -> None:
    graph = FakeGraph()
    await graph.start()
    port = free_port()
    env = {
        **os.environ,
        **wa_env(graph.url),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "VOTEBOT_SECRET_KEY": "serve-test-secret-0123456789",
    }
    env.pop("LOG_LEVEL", None)
    provinces = [arg for name in SAMPLE_PROVINCES for arg in ("--province", name)]
    assert "0 updated" in await votebot(env, "regions", "import", *provinces)
    assert "12 added" in await votebot(env, "tps", "import", "content/tps/sample.csv")
    proc = await start(env, "serve", stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            loop = asyncio.get_running_loop()
            end = loop.time() + DEADLINE
            while not await up():
                assert proc.returncode is None, (await proc.communicate())[1].decode()
                assert loop.time() < end, "votebot serve did not come up"
                await asyncio.sleep(0.1)

            query = {
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            }
            async with http.get(f"{base}/whatsapp", params=query) as resp:
                assert resp.status == 200 and await resp.text() == "1158201444"
            async with http.get(
                f"{base}/whatsapp", params={**query, "hub.verify_token": "nope"}
            ) as resp:
                assert resp.status == 403

            pacer = Pacer()

            async def post(message: dict[str, Any], signed: bool = True) -> list[dict[str, Any]]:
                await pacer.wait()
                raw = json.dumps(webhook_body([message])).encode()
                headers = {"Content-Type": "application/json"}
                if signed:
                    headers["X-Hub-Signature-256"] = signature_for(APP_SECRET, raw)
                before = len(graph.sent)
                async with http.post(f"{base}/whatsapp", data=raw, headers=headers) as resp:
                    assert resp.status == (200 if signed else 401)
                if signed:
                    # Every step of this conversation ends with reply buttons or a list.
                    await wait_for(
                        lambda: any(
                            m.get("interactive", {}).get("type") in ("button", "list")
                            for m in graph.sent[before:]
                        ),
                        "an answer",
                    )
                return graph.sent[before:]

            unsigned = {"from": USER, "id": "wamid.unsigned", "type": "text"}
            assert await post({**unsigned, "text": {"body": "/start"}}, signed=False) == []

            # The conversation, through the scenarios' own steps (tests/scenarios.py).
            d = WhatsAppDriver(post)
            await english_menu(d)
            assert d.kinds[-1] == "list"  # the main menu
            await quiz_to_the_last_question(d)
            assert d.kinds[-1] == "list"  # four options: a list, not buttons
            rows = d.screen[-1]["interactive"]["action"]["sections"][0]["rows"]
            assert [r["title"][:3] for r in rows] == ["A. ", "B. ", "C. ", "D. "]
            await quiz_last_answer(d)
            await tps_postcode_steps(d)
            assert "*TPS 001 · Selong*" in d.screen[-1]["interactive"]["body"]["text"]  # bold
            await pledge_steps(d)
            assert graph.unauthorised == 0
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
        assert proc.returncode == 0, err.decode()
        assert "channel whatsapp started" in err.decode()
        assert "test-graph-token" not in err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await graph.close()


def test_serve_names_missing_whatsapp_variables(tmp_path: Path) -> None:
    import subprocess

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "WHATSAPP_TOKEN": "abcdefghijkl",
        "WHATSAPP_PHONE_NUMBER_ID": "123",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "WHATSAPP_APP_SECRET" in proc.stderr and "WHATSAPP_VERIFY_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr
