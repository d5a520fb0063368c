"""Dialog tests for quizzes, on every database backend: a whole quiz, feedback, double taps, stale
buttons, resume after a restart, retry-missed, leaderboards and the certificate."""

from __future__ import annotations

import io
import re

from PIL import Image as PILImage
from sqlalchemy import func, select

from bot.config import Settings
from bot.core.events import ButtonEvent
from bot.core.quiz.content import all_quizzes, certificate_quizzes, get_quiz
from bot.db.models import EngagementEvent, Region, User
from bot.db.models_quiz import QuizAnswer, QuizAttempt
from bot.db.repo_quiz import shuffled_orders
from bot.runtime import Runtime, open_runtime
from tests.dialog import Dialog


async def english(d: Dialog) -> None:
    await d.say("/bahasa en")


async def options(d: Dialog) -> list[tuple[str, bool]]:
    """The answer buttons on screen: (payload, whether that option is right)."""
    out = []
    async with d.core.db.transaction() as s:
        for p in d.payloads:
            if not p.startswith("qa:"):
                continue
            _, attempt_id, index, option = p.split(":")
            attempt = await s.get(QuizAttempt, int(attempt_id))
            assert attempt is not None
            quiz = get_quiz(d.core.content, attempt.quiz_id, "en")
            assert quiz is not None
            question = quiz.question(attempt.question_ids[int(index)])
            assert question is not None
            out.append((p, question.options[int(option)].correct))
    assert out, d.text
    return out


async def answer(d: Dialog, right: bool = True) -> str:
    payload = next(p for p, correct in await options(d) if correct == right)
    await d.tap(payload)
    return payload


async def events(runtime: Runtime, name: str) -> list[dict[str, object]]:
    async with runtime.db.transaction() as s:
        rows = await s.scalars(
            select(EngagementEvent)
            .where(EngagementEvent.event_type == "quiz", EngagementEvent.name == name)
            .order_by(EngagementEvent.id)
        )
        return [dict(r.properties) for r in rows.all()]


async def play(d: Dialog, title: str, wrong: int = 0) -> None:
    """Take a whole quiz from the list, answering the first ``wrong`` questions wrongly."""
    await d.say("/kuis")
    await d.press(title)
    for i in range(10):
        await answer(d, right=i >= wrong)


async def test_a_whole_quiz_with_feedback_and_a_score(dialog: Dialog, runtime: Runtime) -> None:
    await english(dialog)
    await dialog.say("/kuis")
    assert "Quizzes" in dialog.text and "not taken yet" in dialog.text
    assert "Voting basics" in dialog.buttons
    await dialog.press("Voting basics")
    assert "10 questions" in dialog.text and "Question 1 of 10" in dialog.text
    assert [b[:3] for b in dialog.buttons] == ["A. ", "B. ", "C. "]
    first = await answer(dialog, right=True)
    assert "✅ Right!" in dialog.text and "Sources:" in dialog.text
    assert "Question 2 of 10" in dialog.text
    for _ in range(8):
        await answer(dialog, right=True)
    await answer(dialog, right=False)
    assert re.search(r"Your score: 9/10", dialog.text), dialog.text
    assert "Your best score: 9/10" in dialog.text
    assert "🔁 Retry the 1 I missed" in dialog.buttons
    started = await events(runtime, "quiz_started")
    assert started == [{"quiz_id": "voting-basics", "attempt_id": 1, "mode": "full"}]
    answered = await events(runtime, "question_answered")
    assert len(answered) == 10 and sum(bool(a["correct"]) for a in answered) == 9
    assert answered[0]["question_id"] == "who-may-vote"
    assert answered[0]["option"] == int(first.split(":")[3])
    assert all(isinstance(a["seconds"], int) for a in answered)
    completed = await events(runtime, "quiz_completed")
    assert completed == [
        {"quiz_id": "voting-basics", "attempt_id": 1, "score": 9, "total": 10, "mode": "full"}
    ]
    # The list now shows the best score.
    await dialog.say("/kuis")
    assert "your best: 9/10" in dialog.text and "Voting basics · 9/10" in dialog.buttons
    # Options were shuffled for this attempt, and the order is stored, derived from the attempt.
    async with runtime.db.transaction() as s:
        attempt = await s.get(QuizAttempt, 1)
        assert attempt is not None
        counts = [len(o) for o in attempt.option_orders]
        assert attempt.option_orders == shuffled_orders(1, counts)
        assert any(order != sorted(order) for order in attempt.option_orders)


async def test_a_wrong_answer_shows_the_right_one_and_why(dialog: Dialog) -> None:
    await english(dialog)
    await dialog.say("/kuis voting-basics")
    right_label = next(
        label
        for (payload, ok), label in zip(await options(dialog), dialog.buttons, strict=False)
        if ok
    )
    await answer(dialog, right=False)
    assert "❌ Not quite. The right answer: " + right_label in dialog.text
    assert "17 or older" in dialog.text  # the explanation
    assert "Sources: UU No. 7 Tahun 2017" in dialog.text


async def test_a_double_tap_counts_once(dialog: Dialog, runtime: Runtime) -> None:
    await english(dialog)
    await dialog.say("/kuis voting-basics")
    payload = await answer(dialog, right=True)
    await dialog.tap(payload)
    assert "You already answered question 1" in dialog.text
    assert "Question 2 of 10" in dialog.text  # and where the user is now
    async with runtime.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(QuizAnswer)) == 1
        attempt = await s.get(QuizAttempt, 1)
        assert attempt is not None and (attempt.position, attempt.score) == (1, 1)
    assert len(await events(runtime, "question_answered")) == 1
    assert len(await events(runtime, "duplicate_answer")) == 1


async def test_stale_buttons_from_an_old_attempt_or_forged(
    dialog: Dialog, runtime: Runtime
) -> None:
    await english(dialog)
    await dialog.say("/kuis voting-basics")
    await answer(dialog)
    old_question_2 = (await options(dialog))[0][0]
    await dialog.say("/kuis voting-basics")
    assert "answered 1 of 10" in dialog.text and "▶️ Continue" in dialog.buttons
    start_over = dialog.button("Start over").payload or ""
    await dialog.tap(start_over)
    assert "Question 1 of 10" in dialog.text
    await dialog.tap(start_over)  # a double tap on "start over" does not restart again
    assert "Question 1 of 10" in dialog.text
    await dialog.tap(old_question_2)
    assert "started over" in dialog.text and "Question 1 of 10" in dialog.text
    async with runtime.db.transaction() as s:
        statuses = (await s.scalars(select(QuizAttempt.status).order_by(QuizAttempt.id))).all()
        assert statuses == ["abandoned", "active"]
        assert await s.scalar(select(func.count()).select_from(QuizAnswer)) == 1
    for forged in ("qa:999:0:0", "qa:2:5:0", "qa:2:0:77", "qa:x"):
        await dialog.tap(forged)
        assert "earlier conversation" in dialog.text, forged


async def test_another_users_attempt_is_stale(runtime: Runtime) -> None:
    alice, bob = Dialog(runtime.core, "alice"), Dialog(runtime.core, "bob")
    await alice.say("/kuis voting-basics")
    payload = (await options(alice))[0][0]
    await bob.tap(payload)
    assert "obrolan sebelumnya" in bob.text  # Bob speaks Indonesian


async def test_resume_after_a_restart(settings: Settings) -> None:
    rt = await open_runtime(settings)
    try:
        d = Dialog(rt.core)
        await english(d)
        await d.say("/kuis money-politics")
        for _ in range(3):
            await answer(d)
        before = d.payloads
        assert "Question 4 of 10" in d.text
    finally:
        await rt.close()
    rt = await open_runtime(settings)  # a new process on the same database
    try:
        d = Dialog(rt.core)
        await d.say("/kuis")
        assert "▶️ Say no to money politics" in d.buttons
        await d.press("Say no to money politics")
        assert "answered 3 of 10" in d.text
        await d.press("Continue")
        assert "Question 4 of 10" in d.text
        assert d.payloads == before  # same attempt, same option order
        await d.say("B")  # a typed letter answers too
        assert "Question 5 of 10" in d.text
    finally:
        await rt.close()


async def test_retry_the_missed_questions(dialog: Dialog, runtime: Runtime) -> None:
    await english(dialog)
    await play(dialog, "Fight election hoaxes", wrong=2)
    assert "Your score: 8/10" in dialog.text
    await dialog.press("Retry the 2 I missed")
    assert "try again the 2 questions you missed" in dialog.text
    assert "Question 1 of 2" in dialog.text
    await answer(dialog, right=True)
    await answer(dialog, right=False)
    assert "You got 1/2 of the questions you missed" in dialog.text
    assert "🔁 Retry the 1 I missed" in dialog.buttons
    started = await events(runtime, "quiz_started")
    assert [s["mode"] for s in started] == ["full", "missed"]
    async with runtime.db.transaction() as s:
        retry = await s.get(QuizAttempt, 2)
        assert retry is not None
        assert retry.question_ids == ["nik-phishing", "official-domain"]
    # Retrying does not change the best score of the full quiz.
    await dialog.say("/kuis")
    assert "Fight election hoaxes · 8/10" in dialog.buttons


async def test_leaderboard_opt_in_with_a_chosen_name_and_kabupaten(runtime: Runtime) -> None:
    async with runtime.db.transaction() as s:
        region = Region(level="kabupaten", source_id=1, name="Kabupaten Blora", name_key="blora")
        s.add(region)
        await s.flush()
        region_id = region.id
    ana, budi = Dialog(runtime.core, "ana"), Dialog(runtime.core, "budi")
    for d in (ana, budi):
        await english(d)
    await play(ana, "Voting basics")
    await ana.press("Leaderboard")
    assert "Nobody is on this leaderboard yet" in ana.text
    assert "Do you want to appear" in ana.text
    # The platform's first name is only offered, never used without a tap.
    join = ana.button("Yes, show me").payload or ""
    await ana.send(
        ButtonEvent(user=ana.ref, language_code="id", first_name="Ana", payload=join), ""
    )
    assert "Use “Ana”" in ana.buttons
    async with runtime.db.transaction() as s:
        user = await s.scalar(select(User).where(User.external_id == "ana"))
        assert user is not None and user.display_name is None
        user.region_id = region_id
    await ana.say("Ana 0812345678")
    assert "looks like a number" in ana.text
    await ana.say("Ana")
    assert "You're on the leaderboards as Ana" in ana.text
    assert "🥇 Ana (Kabupaten Blora): 10/10" in ana.text

    await play(budi, "Voting basics", wrong=3)
    await budi.press("Leaderboard")
    await budi.press("No, thanks")
    assert "won't appear" in budi.text
    assert "Budi" not in budi.text and "🥇 Ana (Kabupaten Blora): 10/10" in budi.text
    # Asked once: the next view offers a way in instead of asking again.
    await budi.say("/kuis")
    await budi.press("Leaderboards")
    await budi.press("Voting basics")
    assert "Do you want to appear" not in budi.text
    assert "🙋 Show me on leaderboards" in budi.buttons
    join = budi.button("Show me on leaderboards").payload or ""
    await budi.send(
        ButtonEvent(user=budi.ref, language_code="id", first_name="Budi", payload=join), ""
    )
    await budi.send(
        ButtonEvent(
            user=budi.ref,
            language_code="id",
            first_name="Budi",
            payload=budi.button("Use “Budi”").payload or "",
        ),
        "",
    )
    assert "🥇 Ana (Kabupaten Blora): 10/10" in budi.text and "🥈 Budi: 7/10" in budi.text
    await budi.press("Hide me")
    assert "Budi: 7/10" not in budi.text
    assert [e for e in await events(runtime, "leaderboard_opt_in")] == [{}, {}]


async def test_the_certificate_after_passing_every_core_quiz(
    dialog: Dialog, runtime: Runtime
) -> None:
    await english(dialog)
    await dialog.say("/sertifikat")
    assert "Still to go" in dialog.text and "not taken yet" in dialog.text
    core = certificate_quizzes(runtime.content, "en")
    optional = [q for q in all_quizzes(runtime.content, "en") if not q.meta.core]
    assert core and optional  # the bundled content has both kinds
    # Only the core quizzes are asked for; the list marks them.
    assert all(q.meta.title in dialog.buttons for q in core)
    assert not any(q.meta.title in dialog.text for q in optional)
    await dialog.say("/kuis")
    assert all(f"⭐ {q.meta.title}" in dialog.text for q in core)
    assert not any(f"⭐ {q.meta.title}" in dialog.text for q in optional)
    for i, quiz in enumerate(core):
        await play(dialog, quiz.meta.title, wrong=2 if i == 0 else 0)  # 8/10 is enough
    # No optional quiz was taken, and the certificate is earned all the same.
    assert "earned the Pemilih Cerdas certificate" in dialog.text
    await dialog.press("Get my certificate")
    assert "What name should I print" in dialog.text
    await dialog.say("Rina 12345")
    assert "looks like a number" in dialog.text
    await dialog.say("x" * 41)
    assert "2 to 40 characters" in dialog.text
    await dialog.say("  Rina   **Wulandari**  ")
    image = dialog.replies[-1].image
    assert image is not None and image.filename == "sertifikat.png"
    assert "Rina \\*\\*Wulandari\\*\\*" in image.caption  # escaped, never formatting
    assert len(image.data) < 500_000
    with PILImage.open(io.BytesIO(image.data)) as png:
        assert png.format == "PNG"
        assert png.size[0] >= 800 and png.size[1] >= 500
        png.verify()
    assert len(await events(runtime, "certificate_issued")) == 1


async def test_quizzes_speak_indonesian(dialog: Dialog) -> None:
    await dialog.say("/start")
    await dialog.press("Bahasa Indonesia")
    await dialog.press("Nanti dulu")
    assert "📝 Kuis" in dialog.buttons
    await dialog.press("📝 Kuis")
    assert "Dasar-dasar memilih" in dialog.buttons
    await dialog.press("Dasar-dasar memilih")
    assert "Soal 1 dari 10" in dialog.text
    await answer(dialog, right=False)
    assert "Belum tepat" in dialog.text and "Sumber:" in dialog.text


async def test_the_database_refuses_a_second_answer_to_a_question(runtime: Runtime) -> None:
    """The backstop behind the double-tap check: one answer per (attempt, question)."""
    from bot.db import repo_quiz

    d = Dialog(runtime.core)
    await d.say("/kuis voting-basics")
    async with runtime.db.transaction() as s:
        attempt = await s.get(QuizAttempt, 1)
        assert attempt is not None
        first = await repo_quiz.record_answer(
            s, attempt, question_id="who-may-vote", option=1, correct=True, seconds=3
        )
        again = await repo_quiz.record_answer(
            s, attempt, question_id="who-may-vote", option=0, correct=False, seconds=1
        )
        assert (first, again) == (True, False)
        stored = await repo_quiz.answers(s, 1)
        assert stored["who-may-vote"].option == 1
