"""The ``votebot`` command: every subcommand has --help; a whole conversation through ``chat``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli


def walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, loading lazily imported subcommands as ``votebot NAME`` would."""
    out = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            out.extend(walk(cmd, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


@pytest.mark.parametrize("path", walk(cli), ids=lambda p: " ".join(p) or "votebot")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="votebot")
    assert result.exit_code == 0, result.output
    assert "Usage: votebot" in result.output


def votebot(
    args: list[str], stdin: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'real.sqlite3'}",
        # `votebot chat` and every --sandbox command use the simulator's own database.
        "VOTEBOT_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}",
        **env,
    }
    full_env.pop("LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_whole_conversation_piped_through_chat(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/start",
            "1",  # Bahasa Indonesia
            "Nanti dulu",  # the label works as well as the number
            "1",  # voting-day basics
            "1",  # first topic
            "",
            "!location -6.2 106.8",
            "!media sticker",
            "!media photo GEGER!!! 7 kontainer surat suara sudah dicoblos ditemukan di "
            "Tanjung Priok SEBARKAN",
            "!user someone-else",
            "/start",
            "!bogus",
            "!quit",
            "this line is never read",
        ]
    )
    proc = votebot(["chat"], script + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Aku Teman Pemilih" in out
    assert "[1] Bahasa Indonesia" in out and "[2] English" in out
    assert "Oke, aku akan ngobrol pakai Bahasa Indonesia" in out
    assert "Oke, aku nggak akan kirim pengingat" in out
    assert "Pilih topik:" in out
    assert "Sumber:" in out
    assert "Pesanmu kosong" in out
    assert "Makasih lokasinya" in out
    assert "HOAKS" in out and "Tanjung Priok" in out  # a captioned photo is read by its caption
    assert "(now chatting as sim:someone-else)" in out
    assert out.count("Pilih bahasa dulu, ya") == 2
    assert "Simulator controls:" in out
    assert "never read" not in out
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "chat.sqlite3").exists()


def test_chat_exits_zero_at_end_of_input_and_remembers_the_user(tmp_path: Path) -> None:
    first = votebot(["chat", "--user", "ana", "--locale", "en"], "/start\n2\n", tmp_path)
    assert first.returncode == 0, first.stderr
    assert "First, choose your language" in first.stdout
    again = votebot(["chat", "--user", "ana"], "/start\n", tmp_path)
    assert again.returncode == 0
    assert "Welcome back" in again.stdout


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    first = votebot(["db", "upgrade"], "", tmp_path)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    second = votebot(["db", "upgrade"], "", tmp_path)
    assert "already at" in second.stdout


def test_content_check_on_the_bundled_content(tmp_path: Path) -> None:
    proc = votebot(["content", "check"], "", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Content OK" in proc.stdout


def test_lazy_command_table_matches_the_commands() -> None:
    """``votebot --help`` lists commands from a table (no imports): it must say what they say."""
    import importlib

    from bot.cli import COMMANDS

    for name, (module_name, line) in COMMANDS.items():
        command = importlib.import_module(f"bot.cli.{module_name}").command
        assert command.name == name
        full = " ".join((command.help or "").split("\n\n")[0].split())
        assert full.startswith(line.removesuffix("...")), name


def test_help_does_not_import_subcommands() -> None:
    code = (
        "import sys; from bot.cli import cli; "
        "print(sorted(m for m in sys.modules if m.startswith('bot.cli.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.strip() == "[]"
