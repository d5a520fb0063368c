"""``votebot poll`` end to end on a SQLite file: create, approve, close, themes, results (table,
CSV, JSON) and a deleted user leaving the results."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.db.models import utcnow
from bot.runtime import open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.poll_helpers import POLL_ID


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "VOTEBOT_QUIET_HOURS": "off",
        "LOG_LEVEL": "WARNING",
    }


def votebot(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="votebot")


async def answer(url: str, users: int) -> None:
    rt = await open_runtime(make_settings(url))
    rt.core.flood = None
    try:
        for i in range(users):
            d = Dialog(rt.core, user=f"u{i}")
            await d.say("/polling")
            await d.press("B. Belum" if i % 2 else "A. Udah")
            await d.say("lewati")
            await d.say(str(1 + i % 5))
            await d.say("lewati" if i == users - 1 else "gimana cara pindah TPS?")
            await d.press("Nggak mau jawab")
            await d.press("Ya, kabari")
    finally:
        await rt.close()


def test_poll_commands(env: dict[str, str]) -> None:
    now = utcnow()
    opens = (now - timedelta(hours=1)).isoformat()
    closes = (now + timedelta(days=1)).isoformat()
    created = votebot(env, "poll", "create", POLL_ID, "--opens", opens, "--closes", closes)
    assert created.exit_code == 0, created.output
    assert "awaiting approval" in created.output
    assert votebot(env, "poll", "create", POLL_ID).exit_code == 1  # exists already
    assert votebot(env, "poll", "approve", POLL_ID).exit_code == 0
    again = votebot(env, "poll", "approve", POLL_ID)
    assert again.exit_code == 1 and "not awaiting approval" in again.output
    listed = votebot(env, "poll", "list")
    assert POLL_ID in listed.output and "approved" in listed.output

    asyncio.run(answer(env["DATABASE_URL"], 12))
    early = votebot(env, "poll", "themes", POLL_ID)
    assert early.exit_code == 1 and "after it closes" in early.output
    closed = votebot(env, "poll", "close", POLL_ID)
    assert closed.exit_code == 0 and "12 result messages queued" in closed.output, closed.output

    themes = votebot(env, "poll", "themes", POLL_ID)
    lines = themes.output.strip().splitlines()
    assert len(lines) == 11 and all(line.endswith("gimana cara pindah TPS?") for line in lines)
    ids = [line.split("\t")[0] for line in lines]
    assigned = votebot(env, "poll", "themes", POLL_ID, *[f"--assign={i}=pindah-tps" for i in ids])
    assert assigned.exit_code == 0 and "11 theme(s) assigned" in assigned.output

    data = json.loads(votebot(env, "poll", "results", POLL_ID, "--format", "json").output)
    assert data["respondents"] == 12 and data["status"] == "closed"
    q1, q2, _q3, q4 = data["questions"]
    national = q1["groups"][0]
    assert national["answered"] == 12
    assert [o["count"] for o in national["options"]] == [None, None, 0]  # 6 and 6
    assert q2["groups"][0]["answered"] is None  # everyone skipped it
    theme = [g for g in q4["groups"] if g["dimension"] == "theme"]
    assert theme == [
        {
            "dimension": "theme",
            "group": "pindah-tps",
            "answered": 11,
            "suppressed": False,
            "options": [],
        }
    ]
    assert "gimana" not in json.dumps(data)  # never the text itself
    assert data["evidence"]["answered_without_invitation"] == 12
    assert data["evidence"]["time_to_answers"]["10"] >= 0

    table = votebot(env, "poll", "results", POLL_ID)
    assert "<10" in table.output and "12 answered without an invitation" in table.output
    rows = votebot(env, "poll", "results", POLL_ID, "--format", "csv").output.splitlines()
    assert rows[0] == "question,kind,dimension,group,option,count,answered,suppressed"
    assert "cek-dpt,single,national,Indonesia,Udah pernah,,12,1" in rows

    # A deleted user's answers leave the results.
    assert votebot(env, "user", "delete", "test:u11", "--yes").exit_code == 0
    after = json.loads(votebot(env, "poll", "results", POLL_ID, "--format", "json").output)
    assert after["respondents"] == 11
    assert after["questions"][0]["groups"][0]["answered"] == 11
