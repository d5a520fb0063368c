"""``votebot poll create`` without a poll file: from options, or answering prompts; clear errors."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot import ROOT
from bot.cli import cli
from bot.core.polls import store
from bot.core.polls.spec import parse_poll_file
from bot.runtime import open_runtime
from tests.conftest import make_settings

OPENS, CLOSES = "2026-12-07 08:00", "2026-12-21 20:00"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "VOTEBOT_CONTENT_DIR": str(content),
        "LOG_LEVEL": "WARNING",
    }


def votebot(env: dict[str, str], *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=input, prog_name="votebot")


def stored(env: dict[str, str], poll_id: str) -> tuple[str, str, list[tuple[str, str, int]]]:
    """(status, segment, [(kind, text, options)]) of a poll in the database."""

    async def read() -> tuple[str, str, list[tuple[str, str, int]]]:
        rt = await open_runtime(make_settings(env["DATABASE_URL"]))
        try:
            async with rt.db.transaction() as s:
                poll = await store.get_poll(s, poll_id)
                qs = [(q.kind, q.text["id"], len(q.options)) for q in store.questions(poll)]
                return poll.status, poll.segment, qs
        finally:
            await rt.close()

    return asyncio.run(read())


def test_a_poll_from_options(env: dict[str, str]) -> None:
    made = votebot(
        env,
        "poll",
        "create",
        "--id",
        "cek-dpt-2026",
        "--title",
        "Udah cek DPT?",
        "--question",
        "Udah pernah cek namamu di DPT? | Udah | Belum | Nggak tahu caranya",
        "--question",
        "multi: Info apa yang kamu butuhin? | Cara cek DPT | Cara pindah TPS",
        "--question",
        "scale: Info dari KPU gampang dipahami.",
        "--question",
        "open: Apa yang masih bikin bingung?",
        "--opens",
        OPENS,
        "--closes",
        CLOSES,
        "--segment",
        "locale=id",
        "--save",
    )
    assert made.exit_code == 0, made.output
    assert "Poll 'cek-dpt-2026' created (4 questions" in made.output
    assert "votebot poll approve cek-dpt-2026" in made.output
    assert stored(env, "cek-dpt-2026") == (
        "awaiting_approval",
        "locale=id",
        [
            ("single", "Udah pernah cek namamu di DPT?", 3),
            ("multi", "Info apa yang kamu butuhin?", 2),
            ("scale", "Info dari KPU gampang dipahami.", 0),
            ("open", "Apa yang masih bikin bingung?", 0),
        ],
    )
    # --save keeps it as a poll file the team reviews in git, readable by the same parser
    saved = Path(env["VOTEBOT_CONTENT_DIR"]) / "polls" / "cek-dpt-2026.md"
    spec = parse_poll_file(saved, ["id", "en"], "id")
    assert [q.kind for q in spec.questions] == ["single", "multi", "scale", "open"]
    assert votebot(env, "poll", "approve", "cek-dpt-2026").exit_code == 0


def test_a_poll_from_prompts(env: dict[str, str]) -> None:
    answers = "\n".join(
        [
            "tanya-kpu",  # id
            "Tanya KPU",  # title
            "Kamu mau tanya apa ke KPU? | Soal DPT | Soal TPS",
            "open: Tulis pertanyaanmu.",
            "",  # no more questions
            OPENS,
            CLOSES,
            "",  # the title is the invitation
        ]
    )
    made = votebot(env, "poll", "create", input=answers + "\n")
    assert made.exit_code == 0, made.output
    assert "Question 3:" in made.output and "Poll 'tanya-kpu' created (2 questions" in made.output
    status, segment, questions = stored(env, "tanya-kpu")
    assert (status, segment) == ("awaiting_approval", "all")
    assert questions == [
        ("single", "Kamu mau tanya apa ke KPU?", 2),
        ("open", "Tulis pertanyaanmu.", 0),
    ]


def test_clear_errors(env: dict[str, str]) -> None:
    partial = votebot(env, "poll", "create", "--question", "Udah cek DPT? | Udah | Belum")
    assert partial.exit_code == 2
    assert "without a poll file, also give --id, --title, --opens, --closes" in partial.output
    bad = votebot(
        env,
        *("poll", "create", "--id", "x-1", "--title", "Judul", "--opens", OPENS),
        *("--closes", CLOSES, "--question", "Udah cek DPT? | Udah"),
        *("--question", "scale: Setuju? | iya"),
        *("--question", "multi: Apa? | A || B"),
    )
    assert bad.exit_code == 2
    assert "question 1: a single question needs two or more options" in bad.output
    assert "question 2: a scale question takes no options" in bad.output
    assert "question 3: an option is empty" in bad.output
    wrong = votebot(
        env,
        *("poll", "create", "--id", "Bad Id", "--title", "Judul", "--opens", OPENS),
        *("--closes", "2026-12-01 08:00", "--question", "ab | Udah | Belum"),
    )
    assert wrong.exit_code == 2 and "the poll is not valid" in wrong.output
    assert "question 1.text: the 'id' text must be 3-300 characters" in wrong.output
    late = votebot(
        env,
        *("poll", "create", "--id", "terbalik", "--title", "Judul", "--opens", OPENS),
        *("--closes", "2026-12-01 08:00", "--question", "Udah cek DPT? | Udah | Belum"),
    )
    assert late.exit_code == 2 and "closes must be after opens" in late.output
    both = votebot(env, "poll", "create", "info-sebelum-nyoblos", "--title", "Judul")
    assert both.exit_code == 2 and "give a poll file or these options, not both" in both.output
    nothing = votebot(env, "poll", "create", input="")
    assert nothing.exit_code == 2 and "no poll file and no --question" in nothing.output
    listed = votebot(env, "poll", "list")
    assert "No polls yet" in listed.output  # nothing half-made was stored
