"""Typed answers inside flows (bot.core.typed), on every database backend.

What people type instead of tapping: yes/no words, language words, button labels without their
emoji, quiz answers by letter or text; cancel vs stop; a question typed mid-quiz; voice notes
and stickers. The channel-level versions are in tests/scenarios.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.understanding.replywords import classify_reply, language_of
from bot.db.models import ConversationState, User
from bot.db.models_questions import UnansweredQuestion
from bot.db.models_quiz import QuizAttempt
from bot.runtime import Runtime
from tests.dialog import Dialog

MENU = "Mau ngapain? Pilih salah satu:"


async def user_row(runtime: Runtime) -> tuple[User, ConversationState]:
    async with runtime.db.transaction() as s:
        user = await s.scalar(select(User))
        assert user is not None
        state = await s.get(ConversationState, user.id)
        assert state is not None
        return user, state


async def opted_in(dialog: Dialog) -> Dialog:
    """Onboarded in Indonesian with reminders on, all by typing."""
    await dialog.say("/start")
    await dialog.say("indo")
    assert "Oke, aku akan ngobrol pakai Bahasa Indonesia" in dialog.text
    await dialog.say("iyaa boleh")
    assert "Sip, aku cuma bakal kirim pesan kalau penting" in dialog.text
    return dialog


# --------------------------------------------------------------------------- reply words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iya", "yes"),
        ("Iyaaa 👍", "yes"),
        ("boleh deh kak", "yes"),
        ("OKEEE!!", "yes"),
        ("gasss", "yes"),
        ("yoi", "yes"),
        ("siap", "yes"),
        ("sure", "yes"),
        ("nggakkk", "no"),
        ("gak usah", "no"),
        ("nanti aja", "no"),
        ("ntar", "no"),
        ("Nope.", "no"),
        ("batal", "cancel"),
        ("ga jadi deh", "cancel"),
        ("udahan", "cancel"),
        ("nevermind", "cancel"),
        ("nvm", "cancel"),
        ("STOP", "stop"),
        ("berhenti!", "stop"),
        ("👎", "no"),
        ("ya tapi kapan tps buka?", None),
        ("jam brp tps buka", None),
        ("", None),
        ("🗳️", None),
    ],
)
def test_classify_reply(text: str, expected: str | None) -> None:
    assert classify_reply(text, "id") == expected


def test_language_words() -> None:
    assert [language_of(w) for w in ("indo", "Indonesia", "bahasa", "English!", "inggris")] == [
        "id",
        "id",
        "id",
        "en",
        "en",
    ]
    assert language_of("bahasa apa ini") is None


# --------------------------------------------------------------------------- typed answers


async def test_language_and_opt_in_typed(dialog: Dialog, runtime: Runtime) -> None:
    await opted_in(dialog)
    user, _ = await user_row(runtime)
    assert (user.locale, user.opted_in) == ("id", True)


async def test_english_typed_and_a_typed_no(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="en")
    await d.say("/start")
    await d.say("inggris")
    assert "I'll talk to you in English" in d.text
    await d.say("nope")
    assert "No problem, I won't send you reminders." in d.text
    user, _ = await user_row(runtime)
    assert (user.locale, user.opted_in, user.opt_in_asked) == ("en", False, True)


async def test_labels_typed_without_their_emoji(dialog: Dialog) -> None:
    await opted_in(dialog)
    await dialog.say("kuis")
    assert "Pilih kuis" in dialog.text or "Kuis" in dialog.text
    await dialog.say("/menu")
    await dialog.say("LAPOR POLITIK UANG")  # "🚨 Lapor politik uang"
    assert "Bawaslu" in dialog.text and "✖️ Batal" in dialog.buttons


async def test_typed_no_on_a_yes_cancel_question_cancels(dialog: Dialog, runtime: Runtime) -> None:
    await opted_in(dialog)
    await dialog.say("/hapus")
    await dialog.say("nggak")
    assert "Oke, nggak ada yang dihapus." in dialog.text
    _, state = await user_row(runtime)
    assert state.flow is None


async def test_quiz_answers_by_letter_and_by_text(dialog: Dialog, runtime: Runtime) -> None:
    await opted_in(dialog)
    await dialog.say("/kuis voting-basics")
    assert "Soal 1 dari 10" in dialog.text
    await dialog.say("b.")
    assert "Soal 2 dari 10" in dialog.text
    option = next(b for b in dialog.buttons if b.startswith("C. "))
    await dialog.say(option[3:].upper())  # the option's text, no letter, any case
    assert "Soal 3 dari 10" in dialog.text
    await dialog.say("jawabannya a")
    assert "Soal 4 dari 10" in dialog.text
    async with runtime.db.transaction() as s:
        attempt = await s.scalar(select(QuizAttempt))
        assert attempt is not None and attempt.position == 3


# --------------------------------------------------------------------------- cancel vs stop


async def test_cancel_inside_report(dialog: Dialog, runtime: Runtime) -> None:
    await opted_in(dialog)
    await dialog.say("/lapor")
    await dialog.say("dikasih uang/barang")
    await dialog.say("Ada yang bagi amplop 50rb")
    assert "2/5" in dialog.text
    await dialog.say("ga jadi")
    assert "Dibatalkan. Aku nggak menyimpan apa pun yang kamu tulis." in dialog.text
    assert MENU in dialog.text and "📝 Kuis" in dialog.buttons
    user, state = await user_row(runtime)
    assert state.flow is None and state.data == {}
    assert user.opted_in  # cancelling never touches reminders


async def test_stop_inside_report_asks_before_stopping_reminders(
    dialog: Dialog, runtime: Runtime
) -> None:
    await opted_in(dialog)
    await dialog.say("/lapor")
    await dialog.say("dikasih uang/barang")
    await dialog.say("stop")
    assert "Dibatalkan" in dialog.text
    assert "berhenti dapat pengingat" in dialog.text
    user, state = await user_row(runtime)
    assert state.flow is None and user.opted_in  # not yet: it asked
    await dialog.say("nggak")
    assert "pengingatnya tetap jalan" in dialog.text
    user, _ = await user_row(runtime)
    assert user.opted_in
    # Asked again, and this time yes.
    await dialog.say("/lapor")
    await dialog.say("berhenti")
    await dialog.say("iya")
    assert "nggak akan kirim pengingat lagi" in dialog.text
    user, _ = await user_row(runtime)
    assert not user.opted_in


async def test_stop_outside_a_flow_still_unsubscribes_at_once(
    dialog: Dialog, runtime: Runtime
) -> None:
    await opted_in(dialog)
    await dialog.say("STOP")
    assert "nggak akan kirim pengingat lagi" in dialog.text
    user, _ = await user_row(runtime)
    assert not user.opted_in


async def test_cancel_and_stop_inside_a_quiz(dialog: Dialog, runtime: Runtime) -> None:
    await opted_in(dialog)
    await dialog.say("/kuis voting-basics")
    await dialog.say("a")
    await dialog.say("udahan")
    assert "kuisnya aku jeda" in dialog.text and MENU in dialog.text
    user, state = await user_row(runtime)
    assert state.flow is None and user.opted_in
    async with runtime.db.transaction() as s:
        attempt = await s.scalar(select(QuizAttempt))
        assert attempt is not None and attempt.status == "active" and attempt.position == 1
    await dialog.say("/kuis voting-basics")
    await dialog.press("Lanjut")
    assert "Soal 2 dari 10" in dialog.text
    await dialog.say("stop")
    assert "kuisnya aku jeda" in dialog.text and "berhenti dapat pengingat" in dialog.text
    assert "🔕 Iya, stop pengingat" in dialog.buttons
    user, _ = await user_row(runtime)
    assert user.opted_in


# --------------------------------------------------------------------------- off script


async def test_question_mid_quiz_is_answered_then_the_same_question_again(
    dialog: Dialog, runtime: Runtime
) -> None:
    await opted_in(dialog)
    await dialog.say("/kuis voting-basics")
    await dialog.say("a")
    question = dialog.text.split("Soal 2 dari 10", 1)[1]
    options = [b for b in dialog.buttons if b[1:3] == ". "]
    await dialog.say("jam brp tps buka sih")
    text = dialog.text
    assert "Balik ke yang tadi" in text
    assert text.rindex("Soal 2 dari 10") > text.index("Balik ke yang tadi")
    assert text.endswith(question.strip()) or question.strip() in text
    assert [b for b in dialog.buttons if b[1:3] == ". "] == options
    _, state = await user_row(runtime)
    assert (state.flow, state.step) == ("quiz", "question")
    await dialog.say("b")
    assert "Soal 3 dari 10" in dialog.text


async def test_unrelated_text_mid_flow_shows_the_step_again(dialog: Dialog) -> None:
    await opted_in(dialog)
    await dialog.say("/kuis voting-basics")
    options = list(dialog.buttons)
    await dialog.say("asdfgh qwerty")
    assert "Balik ke yang tadi" in dialog.text and "Soal 1 dari 10" in dialog.text
    assert all(o in dialog.buttons for o in options)


async def test_text_at_a_report_button_step_is_never_queued(
    dialog: Dialog, runtime: Runtime
) -> None:
    await opted_in(dialog)
    await dialog.say("/lapor")
    await dialog.say("pak RT bagi amplop di rumahnya")
    assert "Ketuk salah satu tombol di atas" in dialog.text
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(UnansweredQuestion)) == 0
    await dialog.media("sticker")  # the step is still the category question, not "tap a button"
    assert "Politik uangnya seperti apa?" in dialog.text and "✖️ Batal" in dialog.buttons


async def test_a_button_beside_the_flow_brings_the_step_back(
    dialog: Dialog, runtime: Runtime
) -> None:
    await opted_in(dialog)
    await dialog.say("/kuis voting-basics")
    await dialog.say("jam brp tps buka")
    assert "👍" in dialog.buttons and "Soal 1 dari 10" in dialog.text
    await dialog.press("👍")
    assert "Balik ke yang tadi" in dialog.text and "Soal 1 dari 10" in dialog.text
    await dialog.say("hmm")  # and the step stays the quiz question
    assert dialog.text.count("Soal 1 dari 10") == 1
    _, state = await user_row(runtime)
    assert (state.flow, state.step) == ("quiz", "question")


async def test_voice_notes_and_stickers(dialog: Dialog) -> None:
    await opted_in(dialog)
    await dialog.media("voice")
    assert "Aku belum bisa dengar voice note" in dialog.text
    assert "Tulis aja pertanyaanmu" in dialog.text
    assert "📝 Kuis" in dialog.buttons  # outside a flow: the menu
    await dialog.say("/lapor")
    await dialog.say("dikasih uang/barang")
    step = dialog.text
    await dialog.media("sticker")
    assert "Stikernya lucu" in dialog.text and "Tulis aja pertanyaanmu" in dialog.text
    assert "Balik ke yang tadi" in dialog.text and step in dialog.text
    assert "✖️ Batal" in dialog.buttons
