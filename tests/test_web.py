"""The shared aiohttp app and ``votebot serve`` without any channel."""

from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.web.app import create_app


async def test_healthz_reports_process_and_database(runtime: Runtime) -> None:
    async with TestClient(TestServer(create_app(runtime))) as client:
        resp = await client.get("/healthz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "database": "up"}


async def test_serve_without_a_channel_runs_the_web_app_and_services(
    db_url: str, caplog: pytest.LogCaptureFixture, unused_tcp_port: int
) -> None:
    """No channel configured: ``serve`` says so in one line and runs the web app and services."""
    import asyncio

    import aiohttp

    from bot.server import WEB_ONLY, serve
    from tests.conftest import make_settings

    token = "admin-token-0123456789abcdef"
    settings = make_settings(db_url, PORT=unused_tcp_port, VOTEBOT_ADMIN_TOKEN=token)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    task = asyncio.create_task(serve(settings, stop))
    base = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"{base}/healthz") as resp:
                        health = await resp.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert health == {"status": "ok", "database": "up"}
            bearer = {"Authorization": f"Bearer {token}"}
            async with http.get(f"{base}/metrics", headers=bearer) as resp:
                assert resp.status == 200
            async with http.get(f"{base}/admin/login") as resp:
                assert resp.status == 200
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    said = [r.getMessage() for r in caplog.records if "No channel configured" in r.getMessage()]
    assert said == [WEB_ONLY]


def test_serve_with_a_half_configured_channel_is_an_error() -> None:
    """A channel that is configured but incomplete stops ``serve`` before anything runs."""
    from click.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(cli, ["serve"], prog_name="votebot", env={"WHATSAPP_TOKEN": "t"})
    assert result.exit_code == 2
    assert "WHATSAPP" in result.output
