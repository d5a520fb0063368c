"""The shared aiohttp app and ``votebot serve`` without any channel."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.web.app import create_app


async def test_healthz_reports_process_and_database(runtime: Runtime) -> None:
    async with TestClient(TestServer(create_app(runtime))) as client:
        resp = await client.get("/healthz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "database": "up"}


def test_serve_without_a_channel_says_so_and_fails() -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(cli, ["serve"], prog_name="votebot")
    assert result.exit_code == 1
    assert "No channel configured" in result.output
