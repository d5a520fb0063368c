"""The unanswered-questions queue, on every database backend: what is kept (and what is not), the
"tell me" link, a new FAQ entry answering queued questions, the answer sent once through the
outbox, housekeeping, ``votebot questions`` and the dashboard page."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from bot import ROOT
from bot.broadcast.answers import notify_round
from bot.broadcast.dispatcher import Dispatcher
from bot.cli import cli
from bot.core.calendar import WIB
from bot.core.privacy import erase_user
from bot.core.questions import answerable, prune, question_groups
from bot.db import repo
from bot.db.models import User, utcnow
from bot.db.models_broadcast import Broadcast, OutboxRow
from bot.db.models_questions import QuestionWatcher, UnansweredQuestion
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import Clock, RecordingChannel
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.test_admin import build_app, login

#: Out of the bundled content's reach (if an FAQ entry ever answers it, pick another question).
ASKED = "kalau tps nya kebanjiran pemilihannya diundur ga? wa aku 0812-3456-7890 / budi.s@mail.com"
SCRUBBED = "kalau tps nya kebanjiran pemilihannya diundur ga? wa aku [phone] / [email]"
BELL = "🔔 Kabari aku kalau sudah ada jawabannya"
TOKEN = "admin-token-for-tests-0123456789"

#: A new FAQ entry (written to a copy of the content) that answers ASKED.
FAQ = """---
id: tps-kebanjiran
title: Kalau TPS kena bencana
reviewed: 2026-12-02
questions:
  - kalau tps kebanjiran pemilihannya diundur ga
  - tps kena banjir gimana nyoblosnya
  - pemilu diundur kalau ada bencana
  - tps kebanjiran nyoblos kapan
sources:
  - id: uu-7-2017
    title: UU No. 7 Tahun 2017 tentang Pemilihan Umum, Pasal 431–433
---
Kalau bencana seperti banjir bikin pemungutan suara di sebuah TPS nggak bisa jalan, undang-undang
mengatur pemilu lanjutan atau pemilu susulan di tempat itu. Waktunya ditetapkan KPU, jadi pantau
pengumuman KPU di daerahmu.
"""
FAQ_EN = FAQ.replace("title: Kalau TPS kena bencana", "title: If the TPS is hit by a disaster")


async def told_user(runtime: Runtime, dialog: Dialog) -> None:
    """An onboarded user, reminders on, asks ASKED and taps the bell."""
    await dialog.say("/start")
    await dialog.say("indo")
    await dialog.say("iya")
    await dialog.say(ASKED)
    assert "belum bisa jawab" in dialog.text and BELL in dialog.buttons, dialog.text
    await dialog.press(BELL)
    assert "Begitu ada jawabannya, aku kirim ke kamu, sekali aja" in dialog.text


async def rows(runtime: Runtime) -> tuple[list[UnansweredQuestion], list[QuestionWatcher]]:
    async with runtime.db.sessions() as s:
        questions = list((await s.scalars(select(UnansweredQuestion))).all())
        watchers = list((await s.scalars(select(QuestionWatcher))).all())
        return questions, watchers


@pytest.fixture
async def new_faq_runtime(db_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The same database, with content that has one new FAQ entry (as after a deploy)."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    for locale, text in (("id", FAQ), ("en", FAQ_EN)):
        (content / locale / "faq").mkdir(exist_ok=True)
        (content / locale / "faq" / "tps-kebanjiran.md").write_text(text, encoding="utf-8")
    rt = await open_runtime(make_settings(db_url, VOTEBOT_CONTENT_DIR=content))
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


# --------------------------------------------------------------------------- what is kept


async def test_the_queue_keeps_no_nik_phone_email_or_user_id(
    runtime: Runtime, dialog: Dialog
) -> None:
    await dialog.say("/start")
    await dialog.say("indo")
    await dialog.say("nanti")
    await dialog.say("nik ku 3201234567890123 bisa buat nyoblos di mana?")
    assert "NIK" in dialog.text
    await dialog.say(ASKED)
    assert "belum bisa jawab" in dialog.text and BELL in dialog.buttons
    questions, watchers = await rows(runtime)
    assert len(questions) == 1 and watchers == []  # the NIK message was never queued
    row = questions[0]
    assert row.text == SCRUBBED
    assert (row.locale, row.reason, row.kabupaten_id) == ("id", "unanswered", None)
    assert row.asked_on == datetime.now(UTC).astimezone(WIB).date()
    async with runtime.db.sessions() as s:
        user = await s.scalar(select(User))
        assert user is not None
    # Scan the whole row: nothing that names the person.
    columns = [c.key for c in inspect(UnansweredQuestion).columns]
    assert not any("user" in c for c in columns)
    values = " ".join(str(getattr(row, c)) for c in columns)
    for secret in ("0812", "3456", "7890", "budi", "mail.com", "3201234567890123", "u1"):
        assert secret not in values, secret


async def test_only_the_bell_links_a_person_and_hapus_removes_the_link(
    runtime: Runtime, dialog: Dialog
) -> None:
    await told_user(runtime, dialog)
    earlier = [b for r in dialog.history[-2][1] for b in r.all_buttons() if b.label == BELL]
    await dialog.tap(earlier[0].payload or "")  # a second tap on the same bell
    assert "Begitu ada jawabannya" in dialog.text
    questions, watchers = await rows(runtime)
    assert len(questions) == 1 and len(watchers) == 1
    async with runtime.db.transaction() as s:
        user = await s.scalar(select(User))
        assert user is not None and watchers[0].user_id == user.id
        await erase_user(s, user)  # what /hapus and `votebot user delete` run
    questions, watchers = await rows(runtime)
    assert len(questions) == 1 and watchers == []  # the question stays, the link is gone


async def test_bell_mid_flow_brings_the_step_back(runtime: Runtime, dialog: Dialog) -> None:
    await dialog.say("/start")
    await dialog.say("indo")
    await dialog.say("nggak")
    await dialog.say("/kuis voting-basics")
    await dialog.say(ASKED)
    assert BELL in dialog.buttons and "Soal 1 dari 10" in dialog.text
    await dialog.press(BELL)
    assert "START" in dialog.text  # reminders are off: told how to get the answer
    assert "Soal 1 dari 10" in dialog.text and "A. " in " ".join(dialog.buttons)


async def test_thumbs_down_queues_the_question_it_rated(
    new_faq_runtime: Runtime,
) -> None:
    d = Dialog(new_faq_runtime.core)
    await d.say("/start")
    await d.say("indo")
    await d.say("nanti")
    await d.say("tps kena banjir gimana nyoblosnya, kabari 0812 3456 7890")
    assert "pemilu lanjutan" in d.text and "👎" in d.buttons
    await d.press("👎")
    assert BELL in d.buttons
    questions, watchers = await rows(new_faq_runtime)
    assert [(q.reason, q.answer_id, q.text) for q in questions] == [
        ("thumbs_down", "tps-kebanjiran", "tps kena banjir gimana nyoblosnya, kabari [phone]")
    ]
    assert watchers == []


# --------------------------------------------------------------------------- notify once


async def test_a_new_faq_answers_queued_questions_and_each_watcher_is_told_once(
    runtime: Runtime, dialog: Dialog, new_faq_runtime: Runtime
) -> None:
    await told_user(runtime, dialog)
    other = Dialog(runtime.core, user="u2")
    await other.say("/start")
    await other.say("indo")
    await other.say("iya")
    await other.say(ASKED.upper())  # queued, but this one does not ask to be told
    async with runtime.db.sessions() as s:
        assert await answerable(s, runtime.content) == []  # the bundled content: no answer
    async with new_faq_runtime.db.sessions() as s:
        found = await answerable(s, new_faq_runtime.content)
    assert [(a.faq, a.count, a.watchers) for a in found] == [("tps-kebanjiran", 2, 1)]

    assert await notify_round(new_faq_runtime) == 1
    questions, watchers = await rows(new_faq_runtime)
    assert len(questions) == 2 and watchers == []  # the link is deleted
    assert await notify_round(new_faq_runtime) == 0  # a second check sends nothing

    async with new_faq_runtime.db.sessions() as s:
        broadcasts = list((await s.scalars(select(Broadcast))).all())
        assert len(broadcasts) == 1 and broadcasts[0].audience == 1
        text = broadcasts[0].texts["id"]
        assert "pemilu lanjutan" in text and "kebanjiran" not in text  # no question text kept
        assert await s.scalar(select(func.count()).select_from(OutboxRow)) == 1

    # Delivered through the outbox, exactly once.
    day = datetime.combine(utcnow().date() + timedelta(days=1), time(3, 0), UTC)
    channel = RecordingChannel()
    rates = {"test": (1000.0, None)}
    for _ in range(2):
        dispatcher = Dispatcher(
            new_faq_runtime,
            {"test": channel},  # type: ignore[dict-item]
            clock=Clock(day),
            rates=rates,
            poll_interval=0.01,
        )
        await dispatcher.run(until_done=True)
    assert channel.recipients == ["u1"]
    assert "Sekarang udah bisa" in channel.sent[0][1]


async def test_stop_after_the_bell_means_no_answer_is_ever_sent(
    runtime: Runtime, dialog: Dialog, new_faq_runtime: Runtime
) -> None:
    await told_user(runtime, dialog)
    await dialog.say("STOP")
    assert "nggak akan kirim" in dialog.text or "berhenti" in dialog.text.lower(), dialog.text
    questions, watchers = await rows(runtime)
    assert len(questions) == 1 and watchers == []  # the question stays, the link is gone
    # The answer is published afterwards: nobody is told, nothing is queued.
    assert await notify_round(new_faq_runtime) == 0
    async with new_faq_runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await s.scalar(select(func.count()).select_from(OutboxRow)) == 0


async def test_housekeeping_forgets_questions_after_90_days_and_links_after_30(
    runtime: Runtime, dialog: Dialog
) -> None:
    await told_user(runtime, dialog)
    async with runtime.db.transaction() as s:
        assert await prune(s, utcnow() + timedelta(days=29)) == (0, 0)
    async with runtime.db.transaction() as s:
        assert await prune(s, utcnow() + timedelta(days=31)) == (0, 1)
    async with runtime.db.transaction() as s:
        assert await prune(s, utcnow() + timedelta(days=92)) == (1, 0)
    assert await rows(runtime) == ([], [])


# --------------------------------------------------------------------------- the list


async def queue_some(runtime: Runtime) -> None:
    for n, text in enumerate([ASKED, ASKED + "!!", "kenapa logo kpu warnanya merah putih"]):
        d = Dialog(runtime.core, user=f"q{n}")
        await d.say("/start")
        await d.say("indo")
        await d.say("nggak")
        await d.say(text)


async def test_groups_most_asked_first(runtime: Runtime) -> None:
    await queue_some(runtime)
    async with runtime.db.sessions() as s:
        groups = await question_groups(s, runtime.content)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    assert sum(g.count for g in groups) == 3
    top = groups[0]
    assert top.count == 2 and top.examples[0] == SCRUBBED  # same normalised text: one group


async def invoke(args: list[str], env: dict[str, str]) -> Any:
    """The command line, in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args, env=env, prog_name="votebot")


async def run_cli(db_url: str, *args: str) -> Any:
    env = {"DATABASE_URL": db_url, "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789"}
    return await invoke(["questions", *args], env)


async def test_votebot_questions_formats(runtime: Runtime, db_url: str) -> None:
    await queue_some(runtime)
    table = await run_cli(db_url)
    assert table.exit_code == 0, table.output
    assert "3 in 2 groups" in table.output and "asked 2: 2 unanswered, 0 👎" in table.output
    assert SCRUBBED in table.output and "0812" not in table.output
    data = json.loads((await run_cli(db_url, "--format", "json")).stdout)
    assert [g["count"] for g in data["groups"]] == [2, 1]
    assert data["groups"][0]["examples"][0] == SCRUBBED
    csv_out = (await run_cli(db_url, "--format", "csv", "--since", "2020-01-01")).stdout
    csv_out = csv_out.splitlines()
    assert csv_out[0].startswith("count,unanswered,thumbs_down,waiting_to_be_told,group")
    assert len(csv_out) == 3 and csv_out[1].startswith("2,2,0,0,")
    future = await run_cli(db_url, "--since", "2999-01-01")
    assert "Nothing queued." in future.output
    assert (await run_cli(db_url, "--since", "yesterday")).exit_code == 2
    check = await run_cli(db_url, "check")
    assert check.exit_code == 0 and "No queued question has an answer yet." in check.output


async def test_votebot_questions_check_with_a_new_faq(
    runtime: Runtime, dialog: Dialog, db_url: str, new_faq_runtime: Runtime
) -> None:
    await told_user(runtime, dialog)
    content = str(new_faq_runtime.settings.content_dir)
    env = {
        "DATABASE_URL": db_url,
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "VOTEBOT_CONTENT_DIR": content,
    }
    first = await invoke(["questions", "check", "--notify"], env)
    assert first.exit_code == 0, first.output
    assert "tps-kebanjiran (Kalau TPS kena bencana) answers 1 queued question(s)" in first.output
    assert "1 waiting to be told" in first.output and "for 1 people" in first.output
    again = await invoke(["questions", "check", "--notify", "--format", "json"], env)
    payload = json.loads(again.stdout)
    assert payload["notified"] == 0 and payload["answerable"][0]["waiting_to_be_told"] == 0


async def test_dashboard_shows_the_list(db_url: str) -> None:
    rt = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    rt.core.flood = None
    try:
        await queue_some(rt)
        async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as client:
            assert (await client.get("/admin/questions", allow_redirects=False)).status == 303
            assert (await client.get("/admin/questions.json")).status == 401
            assert (await login(client, TOKEN)).status == 303
            page = await (await client.get("/admin/questions")).text()
            assert 'id="questions"' in page and "[phone]" in page and "0812" not in page
            assert "<h1>Teman Pemilih: pertanyaan yang belum terjawab</h1>" in page
            assert "<th>ditanya</th>" in page and "<code>votebot questions check</code>" in page
            english = await (await client.get("/admin/questions?lang=en")).text()
            assert "<h1>Teman Pemilih: unanswered questions</h1>" in english
            assert "<th>asked</th>" in english
            bad = await client.get("/admin/questions?since=nope")
            assert bad.status == 400 and "From must be a date" in await bad.text()  # kept: en
            assert 'id="questions-link"' in await (await client.get("/admin")).text()
            data = await (await client.get("/admin/questions.json")).json()
            assert [g["count"] for g in data["groups"]] == [2, 1]
            assert (await client.get("/admin/questions?since=nope")).status == 400
    finally:
        await rt.close()


async def test_a_user_who_never_asked_is_never_linked(runtime: Runtime) -> None:
    await queue_some(runtime)
    _, watchers = await rows(runtime)
    assert watchers == []
    async with runtime.db.sessions() as s:
        assert await repo.get_user(s, Dialog(runtime.core, user="q0").ref) is not None
