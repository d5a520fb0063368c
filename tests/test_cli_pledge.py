"""The pledge and referrals through the real command line: ``votebot chat`` and ``referral``."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import votebot


def test_two_users_sign_in_the_simulator_and_the_second_sees_two(tmp_path: Path) -> None:
    signer = ["/janji", "✍️ Sign the pledge", "Skip", "Skip"]
    script = ["!user ana", *signer, "!user budi", *signer, "!quit"]
    proc = votebot(["chat", "--locale", "en"], "\n".join(script) + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split("(now chatting as sim:budi)")
    assert "1 person has signed the pledge so far." in first
    assert "2 people have signed the pledge so far." in second


def test_referral_create_and_list_with_counts(tmp_path: Path) -> None:
    # The simulator has its own database: codes for trying it out are made with --sandbox.
    made = votebot(
        ["referral", "create", "SMA Negeri 1 Blora", "--kind", "school", "--sandbox"], "", tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert "Created school code SMANEGERI1BLORA for SMA Negeri 1 Blora" in made.stdout
    assert "Invite: send “ref SMANEGERI1BLORA” to the bot" in made.stdout
    tg = votebot(
        ["--sandbox", "referral", "create", "Rina", "--code", "rina-01"],
        "",
        tmp_path,
        TELEGRAM_BOT_USERNAME="TemanPemilihBot",
    )
    assert "Telegram: https://t.me/TemanPemilihBot?start=ref_RINA-01" in tg.stdout
    taken = votebot(["referral", "create", "Other", "--code", "RINA-01", "--sandbox"], "", tmp_path)
    assert taken.returncode == 1 and "the code RINA-01 is taken" in taken.stderr
    bad = votebot(["referral", "create", "Other", "--code", "no spaces"], "", tmp_path)
    assert bad.returncode == 1 and "a code is 3-32 characters" in bad.stderr
    # Two people arrive with the school's code; one signs the pledge.
    chat = votebot(
        ["chat", "--locale", "en"],
        "\n".join(
            [
                "!user a",
                "ref smanegeri1blora",
                "/janji",
                "✍️ Sign the pledge",
                "Skip",
                "Skip",
                "!user b",
                "/start ref_SMANEGERI1BLORA",
                "!user c",
                "ref UNKNOWN1",
            ]
        )
        + "\n",
        tmp_path,
    )
    assert chat.returncode == 0, chat.stderr
    real = votebot(["referral", "list"], "", tmp_path)
    assert "No referral codes yet" in real.stdout  # nothing of the sandbox reaches real data
    listed = votebot(["referral", "list", "--sandbox"], "", tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["code", "kind", "name", "users", "pledges", "quizzes", "created"]
    school = next(line for line in lines if line.startswith("SMANEGERI1BLORA"))
    assert school.split()[-4:-1] == ["2", "1", "0"]
    rina = next(line for line in lines if line.startswith("RINA-01"))
    assert rina.split()[-4:-1] == ["0", "0", "0"]
    assert not any(" user " in line for line in lines)
    everything = votebot(["referral", "list", "--all", "--sandbox"], "", tmp_path)
    assert any(" user " in line for line in everything.stdout.splitlines())


def test_referral_list_when_empty(tmp_path: Path) -> None:
    proc = votebot(["referral", "list"], "", tmp_path)
    assert proc.returncode == 0 and "No referral codes yet" in proc.stdout
