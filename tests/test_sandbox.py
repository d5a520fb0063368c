"""The simulator as a sandbox: its own database, --sandbox everywhere, broadcasts that arrive,
simulator users kept out of reports on real data, and a terminal that ends cleanly on Ctrl-C."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click

from bot.cli import cli
from bot.core.events import TextEvent, UserRef
from bot.reports.data import Period, build_report
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.test_cli import votebot


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = [group]
    for sub in group.commands.values():
        found += _commands(sub) if isinstance(sub, click.Group) else [sub]
    return found


def test_every_command_takes_sandbox() -> None:
    for command in _commands(cli):
        assert any(p.name == "sandbox" for p in command.params), command.name


def _users(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return [tuple(r) for r in conn.execute("SELECT channel, external_id FROM users")]


def test_chat_keeps_to_its_own_database_and_sample_tps(tmp_path: Path) -> None:
    proc = votebot(["chat", "--user", "ana"], "/start\n1\nNanti dulu\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sample TPS" in proc.stderr
    assert _users(tmp_path / "chat.sqlite3") == [("sim", "ana")]
    assert not (tmp_path / "real.sqlite3").exists()  # serve's database is never touched
    real = votebot(["tps", "import", "--help"], "", tmp_path)
    assert real.returncode == 0
    # --sandbox reaches the simulator's data from any command, before or after its name.
    listed = votebot(["report", "--format", "json", "--sandbox"], "", tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert '"total": 1' in listed.stdout
    plain = votebot(["report", "--format", "json"], "", tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert '"total": 0' in plain.stdout
    assert _users(tmp_path / "real.sqlite3") == []


def test_a_broadcast_from_the_simulator_reaches_simulator_users(tmp_path: Path) -> None:
    script = [
        "!user ana",
        "/start",
        "1",  # Bahasa Indonesia
        "1",  # yes to reminders
        "!user budi",
        "/start",
        "1",
        "1",
        "!user vol",
        "/siaran",
        "Halo semua, besok cek DPT ya!",
        "Semua yang berlangganan",
        "✅ Kirim",
    ]
    proc = votebot(
        ["chat"],
        "\n".join(script) + "\n",
        tmp_path,
        VOTEBOT_ADMINS="sim:vol",
        VOTEBOT_QUIET_HOURS="off",
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "🧪 Ini sandbox" in out  # /siaran says why simulator users are in the groups
    assert "Pesan ini akan dikirim ke 2 orang (all)" in out
    for user in ("ana", "budi"):
        assert f"📨 to sim:{user}:" in out
    after = out.split("📨 to sim:ana:")[1]
    assert "Halo semua, besok cek DPT ya!" in after
    assert "/berhenti" in after  # the opt-out footer arrives with it
    with sqlite3.connect(tmp_path / "chat.sqlite3") as conn:
        status = conn.execute("SELECT status FROM broadcasts").fetchall()
        rows = conn.execute("SELECT status, count(*) FROM outbox GROUP BY 1").fetchall()
    assert status == [("finished",)]
    assert rows == [("sent", 2)]


def test_broadcast_run_sends_to_simulator_users_only_in_the_sandbox(tmp_path: Path) -> None:
    setup = ["!user ana", "/start", "2", "1"]  # English, reminders on
    chat = votebot(["chat"], "\n".join(setup) + "\n", tmp_path, VOTEBOT_QUIET_HOURS="off")
    assert chat.returncode == 0, chat.stderr
    file = tmp_path / "note.md"
    file.write_text(
        "---\nid: note\ntitle: A note\nsources:\n  - id: kpu\n    title: KPU RI\n---\n"
        "# id\nHalo,\nini satu paragraf.\n# en\nHello,\nthis is one paragraph.\n",
        encoding="utf-8",
    )
    refused = votebot(
        ["broadcast", "create", "--file", str(file), "--segment", "channel=sim", "--yes"],
        "",
        tmp_path,
    )
    assert refused.returncode == 2
    assert "simulator users live in the sandbox" in refused.stderr
    made = votebot(
        ["broadcast", "create", "--file", str(file), "--segment", "all", "--yes", "--sandbox"],
        "",
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "Audience: 1 opted-in, reachable user(s) (sim: 1)" in made.stdout
    # The preview is what the chat shows: one paragraph (soft breaks joined) and the footer.
    assert "Hello, this is one paragraph." in made.stdout
    assert "Don't want these messages?" in made.stdout
    sent = votebot(["broadcast", "run", "--sandbox"], "", tmp_path, VOTEBOT_QUIET_HOURS="off")
    assert sent.returncode == 0, sent.stderr
    assert "📨 to sim:ana:" in sent.stdout
    assert "Hello, this is one paragraph." in sent.stdout
    assert "Done: 1 sent" in sent.stdout
    status = votebot(["broadcast", "status", "1", "--sandbox"], "", tmp_path)
    assert "finished" in status.stdout


async def test_reports_on_real_data_leave_simulator_users_out(runtime: Runtime) -> None:
    for channel, user in (("sim", "ana"), ("telegram", "1001")):
        await Dialog(runtime.core, user=user, channel=channel).say("/start")
    await runtime.core.handle(TextEvent(user=UserRef("sim", "budi"), text="halo"))
    async with runtime.db.transaction() as session:
        real = await build_report(session, Period.parse())
        sandbox = await build_report(session, Period.parse(), sandbox=True)
    assert real["users"]["total"] == 1
    assert real["users"]["by_channel"] == [{"channel": "telegram", "users": 1}]
    assert sandbox["users"]["total"] == 3


def _read_until(fd: int, needle: bytes, timeout: float = 60.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_ctrl_c_at_the_terminal_says_goodbye_and_names_the_unsent_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'real.sqlite3'}",
        "VOTEBOT_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}",
        "TERM": "xterm",
    }
    env.pop("LOG_LEVEL", None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(follower)
    try:
        assert b"you>" in _read_until(leader, b"you>", 180)
        os.write(leader, b"/start\r")
        assert b"Bahasa Indonesia" in _read_until(leader, b"English")
        _read_until(leader, b"you>", 10)
        os.write(leader, b"halo ka")
        _read_until(leader, b"halo ka", 10)
        os.write(leader, b"\x03")
        tail = _read_until(leader, b"Bye!", 30)
        assert "(not sent: “halo ka”)".encode() in tail
        assert b"Bye! (simulator closed)" in tail
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


async def test_segment_help_and_errors_in_the_users_language(runtime: Runtime) -> None:
    from tests.broadcast_helpers import add_users
    from tests.test_siaran import onboard
    from tests.test_tps import load

    await load(runtime.db, sample=False)
    d = Dialog(runtime.core, user="vol")
    await onboard(d, english=False)
    await add_users(runtime, ["vol"], opted_in=False, role="volunteer")
    await d.say("/siaran")
    await d.say("Besok cek DPT, ya!")
    assert "Siapa yang dapat?" in d.text and "province=Jateng" in d.text
    await d.say("province=Atlantis")
    assert "Segmen itu nggak bisa kupakai: nggak ada provinsi bernama “Atlantis”" in d.text
    await d.say("bogus")
    assert "istilah “bogus” nggak dikenal" in d.text
    await d.say("province=Jateng,kabupaten=Blora")  # aliases from content/places.yaml
    assert "nggak bisa kupakai" not in d.text
    await d.say("channel=sim")
    assert "pengguna simulator cuma ada di sandbox" in d.text
