"""``votebot role`` and ``votebot broadcast`` end to end on a SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner, Result

import bot.server
from bot import ROOT
from bot.channels.base import Channel, Unreachable
from bot.cli import cli
from bot.config import Settings
from bot.core.events import UserRef
from bot.core.replies import Reply
from bot.db import repo
from bot.runtime import open_runtime
from tests.conftest import make_settings

FILE = str(ROOT / "content" / "broadcasts" / "cek-dpt.md")


class CliChannel(Channel):
    """A Telegram stand-in for ``broadcast run``: records sends, never receives."""

    name = "telegram"
    sent: ClassVar[list[str]] = []

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return True

    async def start(self) -> None:
        raise AssertionError("broadcast run must not start receiving")

    async def stop(self) -> None:
        pass

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        if external_id == "blocker":
            raise Unreachable("Forbidden: bot was blocked by the user")
        CliChannel.sent.append(external_id)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "VOTEBOT_QUIET_HOURS": "off",
        "LOG_LEVEL": "WARNING",
    }


def votebot(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, prog_name="votebot")


def seed(env: dict[str, str], ids: Sequence[str]) -> None:
    async def main() -> None:
        rt = await open_runtime(make_settings(env["DATABASE_URL"]))
        try:
            async with rt.db.transaction() as s:
                for ext in ids:
                    user, _ = await repo.get_or_create_user(s, UserRef("telegram", ext))
                    user.opted_in = True
        finally:
            await rt.close()

    asyncio.run(main())


def test_role_grant_revoke_list_and_token(env: dict[str, str]) -> None:
    result = votebot(env, "role", "list")
    assert result.exit_code == 0 and "Nobody has a role yet" in result.output
    result = votebot(env, "role", "grant", "telegram:42", "admin")
    assert result.exit_code == 0 and "telegram:42 is now admin." in result.output
    assert "already is admin" in votebot(env, "role", "grant", "telegram:42", "admin").output
    votebot(env, "role", "grant", "whatsapp:62811", "volunteer")
    listing = votebot(env, "role", "list").output
    assert "admin      telegram:42" in listing and "volunteer  whatsapp:62811" in listing
    token = votebot(env, "role", "token", "telegram:42")
    assert token.exit_code == 0 and "shown once" in token.output
    value = token.output.strip().splitlines()[-1]
    assert len(value) >= 40
    refused = votebot(env, "role", "token", "whatsapp:62811")
    assert refused.exit_code == 1 and "is not an admin" in refused.output
    bad = votebot(env, "role", "grant", "nocolon", "admin")
    assert bad.exit_code == 2 and "expected CHANNEL:ID" in bad.output
    assert votebot(env, "role", "grant", "telegram:1", "king").exit_code == 2
    result = votebot(env, "role", "revoke", "whatsapp:62811")
    assert "no longer volunteer" in result.output
    assert votebot(env, "role", "revoke", "telegram:999").exit_code == 1
    assert "whatsapp" not in votebot(env, "role", "list").output


def test_broadcast_create_list_status_and_run(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(env, ["a", "b", "blocker"])
    result = votebot(env, "broadcast", "create", "--file", FILE, "--segment", "bogus")
    assert result.exit_code == 2 and "--segment: unknown term “bogus”" in result.output
    result = votebot(env, "broadcast", "create", "--file", FILE, "--segment", "all", stdin="n\n")
    assert result.exit_code == 1 and "Audience: 3 opted-in" in result.output
    assert "Namamu sudah ada di daftar pemilih?" in result.output and "Cancelled" in result.output
    assert "{{fact" not in result.output and "diperkirakan 2029" in result.output
    result = votebot(env, "broadcast", "create", "--file", FILE, "--segment", "all", "--yes")
    assert result.exit_code == 0, result.output
    assert "Broadcast #1 created for 3 user(s): queued." in result.output
    listing = votebot(env, "broadcast", "list").output
    assert "#1" in listing and "queued" in listing and "Pengingat cek DPT" in listing
    status = votebot(env, "broadcast", "status", "1").output
    assert "pending:   3" in status and "sent:      0" in status
    assert "expires:" in status and "expired:   0" in status
    assert votebot(env, "broadcast", "status", "9").exit_code == 1
    early = votebot(
        env,
        "broadcast",
        "create",
        "--file",
        FILE,
        "--segment",
        "all",
        "--yes",
        "--at",
        "2099-01-02T09:00",
        "--expires",
        "2099-01-01T09:00",
    )
    assert early.exit_code == 2 and "--expires: that is before" in early.output

    no_channel = votebot(env, "broadcast", "run", "1")
    assert no_channel.exit_code == 1 and "No channel configured" in no_channel.output
    monkeypatch.setattr(bot.server, "CHANNELS", [f"{__name__}:CliChannel"])
    CliChannel.sent.clear()
    result = votebot(env, "broadcast", "run", "1")
    assert result.exit_code == 0, result.output
    assert "Done: 2 sent, 0 failed, 1 blocked" in result.output
    assert sorted(CliChannel.sent) == ["a", "b"]
    status = votebot(env, "broadcast", "status", "1").output
    assert "finished" in status and "sent:      2" in status and "blocked:   1" in status
    again = votebot(env, "broadcast", "run", "1")
    assert again.exit_code == 1 and "is finished" in again.output
    assert votebot(env, "broadcast", "cancel", "1").exit_code == 1


def test_broadcast_approval_and_lifecycle_commands(env: dict[str, str]) -> None:
    seed(env, ["a"])
    env = {**env, "VOTEBOT_BROADCAST_APPROVAL": "1"}
    votebot(env, "role", "grant", "telegram:vol", "volunteer")
    votebot(env, "role", "grant", "telegram:boss", "admin")
    result = votebot(
        env,
        "broadcast",
        "create",
        "--file",
        FILE,
        "--segment",
        "locale=id",
        "--by",
        "telegram:vol",
        "--at",
        "2999-01-01T09:00",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    assert "awaiting_approval" in result.output and "broadcast approve 1" in result.output
    refused = votebot(env, "broadcast", "approve", "1", "--by", "telegram:vol")
    assert refused.exit_code == 1 and "only an admin" in refused.output
    ok = votebot(env, "broadcast", "approve", "1", "--by", "telegram:boss")
    assert ok.exit_code == 0 and "approved: queued" in ok.output
    status = votebot(env, "broadcast", "status", "1").output
    assert "approved:  by telegram:boss" in status and "2999-01-01 09:00 WIB" in status
    assert "paused" in votebot(env, "broadcast", "pause", "1").output
    assert "resumed: queued" in votebot(env, "broadcast", "resume", "1").output
    assert "1 not sent" in votebot(env, "broadcast", "cancel", "1").output
    past = votebot(
        env, "broadcast", "create", "--file", FILE, "--segment", "all", "--at", "2000-01-01"
    )
    assert past.exit_code == 2 and "in the past" in past.output


def test_a_broadcast_file_outside_the_content_directory_uses_its_facts(
    env: dict[str, str], tmp_path: Path
) -> None:
    seed(env, ["a"])
    draft = tmp_path / "drafts" / "cek-dpt.md"
    draft.parent.mkdir()
    draft.write_text(Path(FILE).read_text(encoding="utf-8"), encoding="utf-8")
    result = votebot(
        env, "broadcast", "create", "--file", str(draft), "--segment", "all", stdin="n\n"
    )
    assert "diperkirakan 2029" in result.output and "{{fact" not in result.output, result.output
    draft.write_text(draft.read_text().replace("{{fact:cekdpt-site}}", "{{fact:cekdpt}}"))
    bad = votebot(env, "broadcast", "create", "--file", str(draft), "--segment", "all", "--yes")
    assert bad.exit_code == 1 and "cek-dpt.md:16: unknown fact 'cekdpt'" in bad.output
