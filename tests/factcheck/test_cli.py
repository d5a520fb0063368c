"""``votebot claims`` queue / publish / export / trends, and the server's verdict notifier."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.broadcast.verdicts import ClaimNotifier
from bot.cli import cli
from bot.core.content import load_content
from bot.db.models_claims import ClaimFollower
from bot.runtime import open_runtime
from tests.broadcast_helpers import NoteChannel, deliver_notifications
from tests.conftest import make_settings
from tests.dialog import Dialog

FORWARD = (
    "Diteruskan dari Om Hadi\nMulai besok pemilih wajib bawa fotokopi KK ke TPS kalau tidak "
    "suaranya dianggap tidak sah, hubungi 081234567890 SEBARKAN"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "LOG_LEVEL": "WARNING",
    }


def votebot(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="votebot")


def seed(env: dict[str, str]) -> None:
    async def main() -> None:
        rt = await open_runtime(make_settings(env["DATABASE_URL"]))
        rt.core.flood = None
        try:
            for who, button in (("a", "Kirim & kabari"), ("b", "Kirim ke tim")):
                d = Dialog(rt.core, who)
                await d.say(FORWARD)
                await d.press(button)
            known = Dialog(rt.core, "c")
            await known.say("Diteruskan\ntinta pemilu itu haram, wudhu jadi nggak sah. SEBARKAN")
            assert "KELIRU" in known.text
        finally:
            await rt.close()

    asyncio.run(main())


def test_queue_publish_notify_export_and_trends(env: dict[str, str], tmp_path: Path) -> None:
    seed(env)
    queue = votebot(env, "claims", "queue")
    assert queue.exit_code == 0, queue.output
    assert "#1  2x" in queue.output and "fotokopi KK" in queue.output
    assert "Hadi" not in queue.output and "081234567890" not in queue.output

    bad = votebot(
        env, "claims", "publish", "1", "--verdict", "hoaks", "--title", "Wajib bawa KK ke TPS",
        "--explanation", "KPU tidak mewajibkan fotokopi KK untuk mencoblos.",
        "--reply", "Nggak benar ya, KK nggak wajib dibawa.",
    )  # fmt: skip
    assert bad.exit_code == 1 and "exactly one link" in bad.output

    good = votebot(
        env, "claims", "publish", "1", "--verdict", "hoaks", "--title", "Wajib bawa KK ke TPS",
        "--explanation", "KPU tidak mewajibkan fotokopi KK untuk mencoblos.",
        "--reply", "Maaf nyela ya. KK nggak wajib dibawa ke TPS: https://www.kpu.go.id",
        "--source", "KPU RI|https://www.kpu.go.id",
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "1 user(s) asked to be told" in good.output

    channel = NoteChannel()

    async def notify() -> tuple[int, int, int]:
        rt = await open_runtime(make_settings(env["DATABASE_URL"]))
        try:
            first = await ClaimNotifier(rt).run_once()
            second = await ClaimNotifier(rt).run_once()
            await deliver_notifications(rt, {"test": channel})  # the outbox, as `serve` sends
            async with rt.db.transaction() as s:
                left = await s.scalar(select(func.count()).select_from(ClaimFollower))
            return first, second, int(left or 0)
        finally:
            await rt.close()

    assert asyncio.run(notify()) == (1, 0, 0)
    sent = channel.sent
    assert [who for who, _ in sent] == ["a"] and "HOAKS" in sent[0][1][0].text

    exported = votebot(
        env, "claims", "export", "tim-1-wajib-bawa-kk-ke-tps", "--dir", str(tmp_path)
    )
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "id" / "claims" / "tim-1-wajib-bawa-kk-ke-tps.md"
    text = path.read_text(encoding="utf-8")
    assert "verdict: hoaks" in text and "fotokopi KK" in text and "Hadi" not in text
    _, errors = load_content(tmp_path, ["id"], "id")
    messages = [e.message for e in errors if e.path == path]
    assert messages == ["variants: List should have at least 3 items after validation, not 1"]

    trends = votebot(env, "claims", "trends")
    assert trends.exit_code == 0, trends.output
    assert "tim-1-wajib-bawa-kk-ke-tps" in trends.output
    assert "tinta-pemilu-haram" in trends.output


def test_checker_role_from_the_command_line(env: dict[str, str]) -> None:
    result = votebot(env, "role", "grant", "telegram:77", "checker")
    assert result.exit_code == 0, result.output
    assert "is now checker" in result.output
