"""Typed questions answered from content: first message, FAQ with sources and 👍/👎, "which one
do you mean?", honest "can't answer yet", small talk, neutrality, intents, place aliases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.core.context import Context
from bot.core.understanding import hooks
from bot.core.understanding.model import Understanding
from bot.db.models import EngagementEvent, User
from bot.runtime import Runtime
from tests.dialog import Dialog
from tests.test_dialog_basics import onboarded


async def events(runtime: Runtime, event_type: str) -> list[EngagementEvent]:
    async with runtime.db.transaction() as s:
        rows = await s.scalars(
            select(EngagementEvent)
            .where(EngagementEvent.event_type == event_type)
            .order_by(EngagementEvent.id)
        )
        return list(rows.all())


@pytest.fixture
def heard() -> Iterator[list[tuple[str, str, str | None]]]:
    """What the unanswered hook was told: (reason, text, best target)."""
    calls: list[tuple[str, str, str | None]] = []

    async def hook(ctx: Context, text: str, u: Understanding, reason: str) -> None:
        calls.append((reason, text, u.best.label if u.best else None))

    hooks.on_unanswered(hook)
    yield calls
    hooks.remove_hook(hook)


async def test_a_new_users_first_question_is_answered_then_onboarding(
    dialog: Dialog, runtime: Runtime
) -> None:
    await dialog.say("ktp ku ilang, msh bisa milih?")
    first = dialog.replies[0]
    assert "KTP" in first.text and "Sumber:" in first.text
    assert {"👍", "👎"} <= {b.label for b in first.all_buttons()}
    assert "Bahasa Indonesia" in dialog.buttons and "English" in dialog.buttons  # asked once
    await dialog.press("Bahasa Indonesia")
    assert "Bahasa Indonesia" in dialog.text
    await dialog.press("Nanti dulu")
    await dialog.say("jam brp tps buka")
    assert "07.00" in dialog.text
    assert "English" not in dialog.buttons  # never onboarding again by typing
    logged = [e.properties for e in await events(runtime, "understanding")]
    assert logged[0] == {"target": "faq:lost-ektp", "first_message": True}
    assert logged[1] == {"target": "faq:tps-opening-hours", "first_message": False}


async def test_an_english_first_message_gets_an_english_answer(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="en1", language_code=None)
    await d.say("where do i vote??")
    assert "Sources:" in d.text and "TPS" in d.text
    assert "choose your language" in d.text.lower()
    await d.press("English")
    assert "I'll talk to you in English" in d.text


async def test_a_returning_user_is_never_onboarded_by_typing(dialog: Dialog) -> None:
    await onboarded(dialog)
    for text in ("halo", "hmm", "makasih ya", "asdfgh"):
        await dialog.say(text)
        assert "Bahasa Indonesia" not in dialog.buttons, text


async def test_feedback_buttons_log_and_tell_the_hook(
    dialog: Dialog, runtime: Runtime, heard: list[tuple[str, str, str | None]]
) -> None:
    await onboarded(dialog)
    await dialog.say("dikasih duit 50rb sama timses, gmn?")
    assert "Bawaslu" in dialog.text and "Sumber:" in dialog.text
    assert any(b.startswith("📖") for b in dialog.buttons)  # the related page
    await dialog.press("👍")
    assert "Makasih" in dialog.text
    await dialog.say("dikasih duit 50rb sama timses, gmn?")
    await dialog.press("👎")
    assert "tim" in dialog.text
    names = [(e.name, e.properties.get("faq")) for e in await events(runtime, "faq")]
    assert ("helpful", "offered-money") in names and ("not_helpful", "offered-money") in names
    assert heard == [("not_helpful", "", "faq:offered-money")]
    async with runtime.db.transaction() as s:
        rows = await s.scalars(select(EngagementEvent))
        assert all("50rb" not in str(e.properties) for e in rows.all())  # no typed text logged


async def test_vague_question_asks_which_one(dialog: Dialog) -> None:
    await onboarded(dialog)
    await dialog.say("surat suara")
    assert "Maksudmu yang mana?" in dialog.text
    choices = [b for b in dialog.buttons if b != "🏠 Menu"]
    assert 2 <= len(choices) <= 3
    await dialog.press(choices[0])
    assert "Sumber:" in dialog.text


async def test_unanswerable_gets_an_honest_reply_topics_and_menu(
    dialog: Dialog, runtime: Runtime, heard: list[tuple[str, str, str | None]]
) -> None:
    await onboarded(dialog)
    await dialog.say("zxcv qwerty uiop")
    assert "belum bisa jawab" in dialog.text
    assert "Bekal hari H" in " ".join(dialog.buttons)  # the menu
    assert 1 <= sum(1 for r in dialog.replies[:1] for _ in r.all_buttons()) <= 3
    assert heard == [("low", "zxcv qwerty uiop", None)]
    assert [e.name for e in await events(runtime, "understanding")] == ["low"]


async def test_out_of_scope_neutrality_and_small_talk(
    dialog: Dialog, heard: list[tuple[str, str, str | None]]
) -> None:
    await onboarded(dialog)
    await dialog.say("partai apa yg bagus min")
    assert "nggak akan nyaranin" in dialog.text and "infopemilu.kpu.go.id" in dialog.text
    assert "LHKPN" in dialog.text
    await dialog.say("makasih ya")
    assert "Sama-sama" in dialog.text
    await dialog.say("kamu robot?")
    assert "chatbot" in dialog.text
    await dialog.say("bot goblok")
    assert "santai" in dialog.text
    await dialog.say("resep nasi goreng dong")
    assert "di luar topikku" in dialog.text
    assert heard == [("out_of_scope", "resep nasi goreng dong", "intent:out-of-scope")]


async def test_menu_words_reach_their_flows(dialog: Dialog, runtime: Runtime) -> None:
    await onboarded(dialog)
    await dialog.say("cari tps")
    assert "TPS" in dialog.text and dialog.replies[-1].request_location
    await dialog.say("kuis")
    assert "kuis" in dialog.text.lower()
    await dialog.say("hapus data aku")
    assert "hapus" in dialog.text.lower()
    await dialog.say("/menu")
    await dialog.say("stop kirim pesan")
    async with runtime.db.transaction() as s:
        user = (await s.scalars(select(User))).one()
        assert user.opted_in is False


async def test_voice_notes_and_stickers_get_a_kind_reply(dialog: Dialog) -> None:
    await onboarded(dialog)
    for kind in ("voice", "sticker"):
        await dialog.media(kind)
        assert "Tulis aja pertanyaanmu" in dialog.text


async def test_tps_search_reads_place_aliases(runtime: Runtime) -> None:
    from tests.test_tps import english, load

    await load(runtime.db)
    d = await english(runtime)
    await d.say("/tps jaksel")  # one place has exactly that name: straight to its kecamatan
    assert "Pick your kecamatan in Kota Administrasi Jakarta Selatan" in d.text
    await d.say("/tps blr")
    assert d.buttons[0].startswith("Kabupaten Blora")


async def test_a_first_message_nobody_can_answer_still_leads_to_the_language(
    dialog: Dialog, heard: list[tuple[str, str, str | None]]
) -> None:
    await dialog.say("zxcv qwerty uiop")
    assert "belum bisa jawab" in dialog.text
    assert dialog.buttons[-2:] == ["Bahasa Indonesia", "English"]
    assert "Bekal hari H" not in " ".join(dialog.buttons)  # the menu comes after the language
    assert [reason for reason, *_ in heard] == ["low"]
