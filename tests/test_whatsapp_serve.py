"""``votebot serve`` with the WhatsApp variables set, as a subprocess, against a fake Graph API."""

from __future__ import annotations

import asyncio
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
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    ids = iter(range(1, 1000))
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

            async def post(message: dict[str, Any], signed: bool = True) -> list[dict[str, Any]]:
                raw = json.dumps(webhook_body([message])).encode()
                headers = {"Content-Type": "application/json"}
                if signed:
                    headers["X-Hub-Signature-256"] = signature_for(APP_SECRET, raw)
                before = len(graph.sent)
                async with http.post(f"{base}/whatsapp", data=raw, headers=headers) as resp:
                    assert resp.status == (200 if signed else 401)
                if signed:
                    # Every step of this conversation ends with buttons or a list.
                    await wait_for(
                        lambda: any("interactive" in m for m in graph.sent[before:]), "an answer"
                    )
                return graph.sent[before:]

            def msg(kind: str, body: dict[str, Any]) -> dict[str, Any]:
                return {"from": USER, "id": f"wamid.e2e{next(ids)}", "type": kind, kind: body}

            def option(batch: list[dict[str, Any]], label: str) -> dict[str, Any]:
                for m in batch:
                    inter = m.get("interactive", {})
                    if inter.get("type") == "button":
                        for b in inter["action"]["buttons"]:
                            if label in b["reply"]["title"]:
                                return {"type": "button_reply", "button_reply": b["reply"]}
                    if inter.get("type") == "list":
                        for row in inter["action"]["sections"][0]["rows"]:
                            if label in row["title"]:
                                return {"type": "list_reply", "list_reply": row}
                raise AssertionError(f"no option {label!r} in {batch}")

            assert await post(msg("text", {"body": "/start"}), signed=False) == []
            batch = await post(msg("text", {"body": "/start"}))
            assert "Teman Pemilih" in batch[0]["text"]["body"]
            batch = await post(msg("interactive", option(batch, "Bahasa Indonesia")))
            batch = await post(msg("interactive", option(batch, "Nanti dulu")))
            assert batch[-1]["interactive"]["type"] == "list"  # the main menu
            batch = await post(msg("interactive", option(batch, "Bekal hari H")))
            batch = await post(msg("interactive", option(batch, "Jam buka TPS")))
            page = "\n".join(m["interactive"]["body"]["text"] for m in batch if "interactive" in m)
            assert "*Jam buka TPS*" in page and "Sumber:" in page
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
