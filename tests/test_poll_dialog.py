"""Answering a Suara Muda poll as people do: on Telegram and WhatsApp (real channel traffic
against fake platform APIs), by button and by typing, changing and skipping answers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core import consent
from bot.core.content import ContentErrors
from bot.core.polls.spec import parse_poll_file
from bot.db.models import utcnow
from bot.db.models_poll import AgeBand, PollAnswer, PollOpenAnswer, PollRespondent
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.poll_helpers import EXAMPLE, POLL_ID, open_example_poll
from tests.scenario_drivers import DRIVERS
from tests.scenarios import Driver


async def stored(runtime: Runtime) -> dict[int, int | None]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            select(PollAnswer.question, PollAnswer.value).where(PollAnswer.poll_id == POLL_ID)
        )
        return dict(rows.all())


async def answer_by_button_and_typing(d: Driver) -> None:
    await d.say("ada polling?")
    assert "Suara Muda" in d.text and "1 dari 4" in d.text
    assert "DPT" in d.text
    await d.press("B. Belum")
    assert "2 dari 4" in d.text
    await d.press("A. Cara cek DPT")
    assert "✅ A. Cara cek DPT" in d.options
    await d.press("D. Rekam jejak")
    await d.press("Selesai")
    assert "3 dari 4" in d.text
    await d.say("setuju bgt")
    assert "4 dari 4" in d.text
    await d.say("lewati")
    assert "21–25" in d.options
    await d.say("22")
    assert "hasil" in d.text.casefold()
    await d.press("Ya")
    assert "tersimpan" in d.text
    # Change the first answer by typing its letter.
    await d.press("Ubah jawaban")
    await d.press("1.")
    assert "Jawabanmu sekarang: Belum" in d.text
    await d.say("a")
    assert "Diganti" in d.text and "tersimpan" in d.text


@pytest.mark.parametrize("channel", sorted(DRIVERS))
async def test_answer_change_and_skip_on_each_channel(channel: str, db_url: str) -> None:
    async with DRIVERS[channel](db_url) as (driver, runtime):
        await open_example_poll(runtime.db)
        try:
            await answer_by_button_and_typing(driver)
        except AssertionError as exc:
            transcript = "\n".join(driver.transcript)
            raise AssertionError(f"{exc}\n--- {channel} transcript ---\n{transcript}") from exc
        # Single choice A (0), multiple choice A + D (bits 0 and 3), scale 5, open skipped.
        assert await stored(runtime) == {0: 0, 1: 0b1001, 2: 5, 3: None}
        async with runtime.db.sessions() as session:
            resp = await session.scalar(select(PollRespondent))
            assert resp is not None
            assert resp.channel == channel and resp.notify is True
            assert resp.completed_at is not None and resp.age_band == "21-25"
            assert await consent.may_send(session, resp.user_id, consent.POLL_RESULTS)


async def test_typed_answers_and_one_row_per_question(runtime: Runtime, dialog: Dialog) -> None:
    await open_example_poll(runtime.db)
    await dialog.say("/polling")
    await dialog.say("nggak tahu caranya")  # the option's text
    await dialog.say("1 dan 3")  # options by number
    await dialog.say("gak setuju sama sekali")  # → 1
    await dialog.say("Cara cek TPS-ku gimana? wa 0812-3456-7890 atau a@b.id")
    assert "Opsional" in dialog.text or "umur" in dialog.text.casefold()
    await dialog.press("Nggak mau jawab")
    await dialog.press("Nggak, makasih")
    assert await stored(runtime) == {0: 2, 1: 0b101, 2: 1, 3: 1}
    async with runtime.db.sessions() as session:
        text = await session.scalar(select(PollOpenAnswer.text))
        band = await session.scalar(select(AgeBand.band))
    assert text == "Cara cek TPS-ku gimana? wa [number] atau [email]"
    assert band is None  # declined, and never asked again
    # Changing answers keeps one row per question; a scale by digit; skip by button.
    await dialog.press("Ubah jawaban")
    await dialog.press("3.")
    await dialog.say("biasa aja")
    await dialog.press("Ubah jawaban")
    await dialog.press("2.")
    await dialog.press("Lewati")
    assert await stored(runtime) == {0: 2, 1: None, 2: 3, 3: 1}
    async with runtime.db.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(PollAnswer))
    assert rows == 4
    assert "umur" not in dialog.text.casefold()
    # Not understood: a hint, and the question stays.
    await dialog.press("Ubah jawaban")
    await dialog.press("1.")
    await dialog.say("zzz")
    assert "Ketik huruf (A–C)" in dialog.text
    # "menu" leaves the poll.
    await dialog.say("menu")
    assert "Soal" not in dialog.text and "nangkep" not in dialog.text


async def test_no_poll_open_and_closed_polls(runtime: Runtime, dialog: Dialog) -> None:
    await dialog.say("ada polling?")
    assert "Belum ada polling" in dialog.text
    await open_example_poll(runtime.db)
    await dialog.say("polling")
    assert "1 dari 4" in dialog.text
    runtime.core.clock = lambda: utcnow() + timedelta(days=2)
    await dialog.press("A. Udah")
    assert "sudah ditutup" in dialog.text
    assert await stored(runtime) == {}


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "info-sebelum-nyoblos.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        parse_poll_file(path, ["id", "en"], "id")
    return [e.format(tmp_path) for e in caught.value.errors]


def test_content_check_reports_path_and_line(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    found = _errors(tmp_path, text.replace("kind: multi", "kind: ranking"))
    assert found == [
        "info-sebelum-nyoblos.md:18: questions.1.kind: "
        "Input should be 'single', 'multi', 'scale' or 'open'"
    ]
    broken = text.replace("      en: Have you ever", "      xx: Have you ever").replace(
        "kind: scale", "kind: scale\n    sources: [kpu]"
    )
    lines = broken.splitlines()
    xx = next(i for i, line in enumerate(lines, 1) if line.startswith("      xx:"))
    kpu = next(i for i, line in enumerate(lines, 1) if "sources: [kpu]" in line)
    found = _errors(tmp_path, broken)
    assert found == [
        f"info-sebelum-nyoblos.md:{xx - 2}: question 'cek-dpt' has no 'en' text",
        f"info-sebelum-nyoblos.md:{xx}: 'xx' text but no '# xx' section",
        f"info-sebelum-nyoblos.md:{kpu}: unknown source 'kpu' (list it under 'sources')",
    ]
    found = _errors(tmp_path, text.replace("closes: 2026-12-21 20:00", "closes: 2026-12-01 20:00"))
    assert found == ["info-sebelum-nyoblos.md:5: closes must be after opens"]
