"""Dialog tests for the foundation flows, on every database backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.events import ButtonEvent, TextEvent, UserRef
from bot.db.models import ConversationState, EngagementEvent, User, utcnow
from bot.runtime import Runtime, open_runtime
from tests.dialog import Dialog


async def events(runtime: Runtime) -> list[EngagementEvent]:
    async with runtime.db.transaction() as s:
        return list((await s.scalars(select(EngagementEvent).order_by(EngagementEvent.id))).all())


async def test_first_contact_welcomes_in_indonesian_and_asks_language(dialog: Dialog) -> None:
    await dialog.say("/start")
    assert "Teman Pemilih" in dialog.text
    assert "pilih bahasa" in dialog.text.lower()
    assert dialog.buttons == ["Bahasa Indonesia", "English"]


async def test_onboarding_language_then_opt_in_then_menu(dialog: Dialog, runtime: Runtime) -> None:
    await dialog.say("/start")
    await dialog.press("English")
    assert "I'll talk to you in English" in dialog.text
    assert "reminder" in dialog.text
    await dialog.press("Yes, remind me")
    assert "What would you like to do?" in dialog.text
    assert "🗳️ Voting-day basics" in dialog.buttons
    async with runtime.db.transaction() as s:
        user = await s.scalar(select(User))
        assert user is not None
        assert (user.locale, user.opted_in, user.opt_in_asked) == ("en", True, True)
    # A returning user goes straight to the menu, in their language.
    await dialog.say("/start")
    assert "Welcome back" in dialog.text
    assert "⚙️ More" in dialog.buttons


async def test_client_language_is_used_until_the_user_chooses(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="en-client", language_code="en-US")
    await d.say("/start")
    assert "choose your language" in d.text
    await d.press("Bahasa Indonesia")
    assert "Oke, aku akan ngobrol pakai Bahasa Indonesia" in d.text
    await d.press("Nanti dulu")
    assert "Mau ngapain?" in d.text


async def onboarded(dialog: Dialog, language: str = "Bahasa Indonesia") -> Dialog:
    await dialog.say("/start")
    await dialog.press(language)
    await dialog.press("Nanti dulu" if language == "Bahasa Indonesia" else "Not now")
    return dialog


async def test_voting_day_basics_pages_have_sources(dialog: Dialog) -> None:
    await onboarded(dialog)
    await dialog.press("Bekal hari H")
    assert "Pilih topik" in dialog.text
    topics = [b for b in dialog.buttons if "Menu" not in b]
    assert len(topics) >= 5
    await dialog.press(topics[0])
    assert "Sumber:" in dialog.text
    assert "Lanjut ➡️" in dialog.buttons
    await dialog.press("Lanjut")
    assert "Sumber:" in dialog.text
    await dialog.say("/info what-to-bring")
    assert "KTP" in dialog.text


async def test_check_registration_page_points_to_cekdptonline(dialog: Dialog) -> None:
    await onboarded(dialog)
    await dialog.say("/info check-registration")
    assert "cekdptonline.kpu.go.id" in dialog.text


async def test_language_switch(dialog: Dialog) -> None:
    await onboarded(dialog)
    await dialog.say("/bahasa")
    await dialog.press("English")
    assert "English" in dialog.text
    assert "⚙️ More" in dialog.buttons
    await dialog.say("/bahasa id")
    assert "Bahasa Indonesia" in dialog.text


async def test_help_lists_commands_and_about_mentions_privacy(dialog: Dialog) -> None:
    await onboarded(dialog)
    await dialog.say("/bantuan")
    for command in ("/start", "/menu", "/info", "/bahasa", "/tentang"):
        assert command in dialog.text
    await dialog.say("/about")
    assert "NIK" in dialog.text


async def test_weird_input_always_gets_a_helpful_reply(dialog: Dialog, runtime: Runtime) -> None:
    await onboarded(dialog)
    cases = {
        "": "Pesanmu kosong",
        "x" * 10_000: "belum bisa jawab",
        "🗳️🔥💯": "belum bisa jawab",
        "مرحبا بالعالم שלום": "belum bisa jawab",
        "/doesnotexist": "belum kenal perintah",
        "/": "belum bisa jawab",
        # Control characters are removed (PostgreSQL refuses NUL), a lone surrogate becomes U+FFFD.
        "\x00\x1b": "Pesanmu kosong",
        "qwzx\x00 vbnm\ud800": "belum bisa jawab",
    }
    for message, expected in cases.items():
        await dialog.say(message)
        assert expected in dialog.text, (message[:20], dialog.text)
        assert "Bekal hari H" in " ".join(dialog.buttons)
        assert len(dialog.text) < 2000
    await dialog.media("sticker")
    assert "Tulis aja pertanyaanmu" in dialog.text
    await dialog.location(-6.2, 106.8)
    assert "lokasinya" in dialog.text


async def test_stale_and_forged_buttons_are_answered_kindly(dialog: Dialog) -> None:
    await onboarded(dialog)
    for payload in (
        "quiz:old:3",
        "lang:set:fr",
        "page:no-such-page",
        "sec:nope",
        "",
        ":::",
        "menu",
    ):
        await dialog.tap(payload)
        assert dialog.buttons, payload
    await dialog.tap("page:no-such-page")
    assert "sudah nggak berlaku" in dialog.text


async def test_every_handled_event_writes_a_log_row_without_message_text(
    dialog: Dialog, runtime: Runtime
) -> None:
    await onboarded(dialog)
    before = len(await events(runtime))
    secret_words = ["rahasia pribadi", "3201234567890123"]
    for word in secret_words:
        await dialog.say(word)
    await dialog.say("/menu")
    await dialog.press("Bekal hari H")
    rows = await events(runtime)
    assert len(rows) >= before + 3
    dump = repr([(r.event_type, r.name, r.properties) for r in rows])
    for word in secret_words:
        assert word not in dump
    assert all(r.created_at.tzinfo is not None for r in rows)


async def test_nik_is_refused_kindly_and_never_stored(dialog: Dialog, runtime: Runtime) -> None:
    await onboarded(dialog)
    for nik in ("3201234567890123", "NIK saya 3201 2345 6789 0123 ya"):
        await dialog.say(nik)
        assert "NIK" in dialog.text and "cekdptonline.kpu.go.id" in dialog.text
    async with runtime.db.transaction() as s:
        states = (await s.scalars(select(ConversationState))).all()
        users = (await s.scalars(select(User))).all()
    stored = repr([(s.flow, s.step, s.data) for s in states]) + repr(
        [(u.external_id, u.locale, u.language_code) for u in users]
    )
    assert "3201" not in stored


async def test_state_and_choices_survive_a_restart(runtime: Runtime) -> None:
    await onboarded(Dialog(runtime.core, user="restart"), "English")
    fresh = await open_runtime(runtime.settings)
    try:
        d2 = Dialog(fresh.core, user="restart")
        await d2.say("/start")
        assert "Welcome back" in d2.text
    finally:
        await fresh.close()


async def test_concurrent_first_messages_create_one_user(runtime: Runtime) -> None:
    import asyncio

    ref = UserRef("test", "twins")
    results = await asyncio.gather(
        *(runtime.core.handle(ButtonEvent(user=ref, payload="menu")) for _ in range(5))
    )
    assert all(results)
    async with runtime.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 1


async def test_a_crashing_flow_apologises_and_logs(runtime: Runtime) -> None:
    from bot.core.router import router

    async def boom(ctx: object, args: list[str]) -> None:
        raise RuntimeError("kaboom")

    router.buttons["boom"] = boom
    try:
        d = Dialog(runtime.core, user="crash")
        await d.tap("boom")
        assert "ada gangguan" in d.text
    finally:
        del router.buttons["boom"]
    names = [(e.event_type, e.name) for e in await events(runtime)]
    assert ("error", "RuntimeError") in names


async def test_opt_out_and_back_in(dialog: Dialog, runtime: Runtime) -> None:
    await dialog.say("/start")
    await dialog.press("Bahasa Indonesia")
    await dialog.press("Ya, ingatkan aku")

    async def opted_in() -> bool:
        async with runtime.db.transaction() as s:
            user = await s.scalar(select(User))
            assert user is not None
            return user.opted_in

    assert await opted_in()
    await dialog.say("BERHENTI")
    assert "nggak akan kirim pengingat lagi" in dialog.text
    assert not await opted_in()
    await dialog.say("mulai")
    assert "berlangganan" in dialog.text
    assert await opted_in()
    await dialog.say("/stop")
    assert not await opted_in()
    await dialog.say("/langganan")
    assert await opted_in()
    names = [e.name for e in await events(runtime) if e.event_type == "settings"]
    assert names.count("broadcast_opt_out") == 2


async def test_notifications_go_out_through_the_outbox_after_the_commit(
    runtime: Runtime,
) -> None:
    from bot.core.context import Context
    from bot.core.replies import Reply
    from bot.core.router import router
    from tests.broadcast_helpers import NoteChannel, deliver_notifications

    async def notify(ctx: Context, args: list[str]) -> None:
        ctx.notify(UserRef("admin-channel", "42"), [Reply("new report")])
        ctx.reply("ok")

    async def notify_and_crash(ctx: Context, args: list[str]) -> None:
        ctx.notify(UserRef("admin-channel", "42"), [Reply("never sent: rolled back")])
        raise RuntimeError("boom")

    router.buttons["notify-test"] = notify
    router.buttons["notify-crash"] = notify_and_crash
    try:
        d = Dialog(runtime.core, user="notifier")
        await d.tap("notify-test")
        assert d.text == "ok"
        await d.tap("notify-crash")
        channel = NoteChannel()
        await deliver_notifications(runtime, {"admin-channel": channel})
        assert [(e, r[0].text) for e, r in channel.sent] == [("42", "new report")]
        await deliver_notifications(runtime, {"admin-channel": channel})
        assert len(channel.sent) == 1  # sent once
    finally:
        del router.buttons["notify-test"]
        del router.buttons["notify-crash"]


async def test_redelivered_messages_are_claimed_once(runtime: Runtime) -> None:
    from bot.db import inbound_repo

    now = utcnow()
    async with runtime.db.transaction() as s:
        assert (await inbound_repo.claim(s, "telegram", "1001", now)).state.name == "FRESH"
        assert (await inbound_repo.claim(s, "telegram", "1001", now)).state.name == "DONE"
        assert (await inbound_repo.claim(s, "whatsapp", "1001", now)).state.name == "FRESH"
    async with runtime.db.transaction() as s:
        assert (await inbound_repo.claim(s, "telegram", "1001", now)).state.name == "DONE"


async def test_handle_once_keeps_the_key_with_the_effects_and_the_replies(
    runtime: Runtime,
) -> None:
    """The key, the effects and the replies commit together; a worker that dies before
    delivering leaves the replies for the redelivery, once its lease has run out."""
    from bot.core.engine import Outcome
    from bot.db import inbound_repo

    core = runtime.core
    event = TextEvent(user=UserRef("test", "once"), language_code="id", text="/menu")
    first = await core.handle_once(event, "m1", {"chat": 7})
    assert first.outcome is Outcome.HANDLED and first.stored and len(first.replies) == 1
    # Redelivered while the first worker is (presumably) still delivering: try again later.
    assert (await core.handle_once(event, "m1")).outcome is Outcome.RETRY
    # That worker died: once its lease is over, the redelivery gets the very same replies.
    core.delivery_lease = timedelta(0)
    again = await core.handle_once(event, "m2")
    assert again.outcome is Outcome.HANDLED
    core.delivery_lease = timedelta(seconds=60)
    async with runtime.db.transaction() as s:
        await inbound_repo.lease(s, "test", "m1", utcnow() - timedelta(seconds=1))
    taken = await core.handle_once(event, "m1")
    # The channel's route, plus the locale the core answered in (the channel renders in it).
    assert taken.outcome is Outcome.TAKEOVER and taken.route == {"chat": 7, "locale": "id"}
    assert [r.text for r in taken.replies] == [r.text for r in first.replies]
    assert taken.replies[0].buttons == first.replies[0].buttons
    async with runtime.db.transaction() as s:
        await inbound_repo.delivered(s, "test", ["m1"])
    assert (await core.handle_once(event, "m1")).outcome is Outcome.DUPLICATE
    async with runtime.db.transaction() as s:
        handled = await s.scalar(
            select(func.count())
            .select_from(EngagementEvent)
            .where(EngagementEvent.event_type == "message")
        )
    assert handled == 2  # m1 and m2, each once


async def test_a_failed_transaction_leaves_the_key_unclaimed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gives way mid-handling: nothing is kept, the redelivery is handled."""
    from sqlalchemy.exc import OperationalError

    from bot.core.engine import Outcome

    core = runtime.core
    event = TextEvent(user=UserRef("test", "flaky"), language_code="id", text="/menu")
    real = core.dispatch

    async def flaky(ctx: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(core, "dispatch", flaky)
    assert (await core.handle_once(event, "k1")).outcome is Outcome.RETRY
    monkeypatch.setattr(core, "dispatch", real)
    again = await core.handle_once(event, "k1")
    assert again.outcome is Outcome.HANDLED and len(again.replies) == 1


async def test_a_flow_bug_is_apologised_for_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core.engine import Outcome

    core = runtime.core
    event = TextEvent(user=UserRef("test", "buggy"), language_code="id", text="/menu")

    async def bug(ctx: object) -> None:
        raise ValueError("flow bug")

    monkeypatch.setattr(core, "dispatch", bug)
    first = await core.handle_once(event, "b1")
    assert first.outcome is Outcome.HANDLED and "Maaf" in first.replies[0].text
    assert (await core.handle_once(event, "b1")).outcome is Outcome.DUPLICATE


async def test_mark_unreachable_logs_once(runtime: Runtime) -> None:
    from bot.db import repo

    ref = UserRef("test", "gone")
    await Dialog(runtime.core, user="gone").say("/start")
    for _ in range(2):
        async with runtime.db.transaction() as s:
            await repo.mark_unreachable(s, ref, "Forbidden: bot was blocked by the user")
    async with runtime.db.transaction() as s:
        user = await repo.get_user(s, ref)
        assert user is not None and not user.reachable
    assert [e.name for e in await events(runtime)].count("unreachable") == 1
