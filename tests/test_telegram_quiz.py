"""Quizzes on Telegram: inline buttons end to end, and the optional native quiz polls."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.channels.telegram.render import POLL_OPTION_MAX, render
from bot.core.events import UserRef
from bot.core.quiz.content import Quiz, get_quiz
from bot.core.replies import Button, QuizHint, Reply
from bot.db.models import EngagementEvent
from bot.db.models_quiz import QuizAnswer
from bot.db.models_telegram import TelegramPoll
from tests.fake_telegram import FakeBotAPI
from tests.telegram_harness import Harness, running

USER = 31
QUIZ = "voting-basics"


async def push(h: Harness, update: dict[str, object]) -> None:
    h.api.push(update)
    await h.settle()


def quiz_of(h: Harness) -> Quiz:
    quiz = get_quiz(h.runtime.core.content, QUIZ, "id")
    assert quiz is not None
    return quiz


def is_right(quiz: Quiz, payload: str) -> bool:
    _, _, index, option = payload.split(":")
    return quiz.questions[int(index)].options[int(option)].correct


async def start_quiz(h: Harness) -> None:
    await push(h, h.api.message_update("/kuis", USER))
    start = [d for d in h.api.replies(USER)[-1].callback_data if d == f"qz:start:{QUIZ}"]
    assert start, h.api.replies(USER)[-1].callback_data
    await push(h, h.api.callback_update(start[0], USER))


async def answer_count(h: Harness) -> int:
    async with h.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(QuizAnswer)) or 0)


async def test_a_whole_quiz_with_inline_buttons_ends_with_the_score(db_url: str) -> None:
    """Issue 4's "done when" on Telegram: /kuis → a quiz → every question → ``N/10``."""
    async with FakeBotAPI() as api, running(db_url, api) as h:
        quiz = quiz_of(h)
        total = len(quiz.questions)
        await start_quiz(h)
        expected = 0
        for n in range(total):
            question = api.replies(USER)[-1]
            answers = [d for d in question.callback_data if d.startswith("qa:")]
            assert len(answers) >= 2 and all(int(d.split(":")[2]) == n for d in answers)
            # Right on even questions, wrong on odd ones.
            wanted = n % 2 == 0
            choice = next(d for d in answers if is_right(quiz, d) is wanted)
            expected += wanted
            before = len(api.replies(USER))
            await push(h, api.callback_update(choice, USER))
            feedback = api.replies(USER)[before]
            assert feedback.text.startswith("✅" if wanted else "❌")
        assert api.calls("sendPoll") == []
        last = api.replies(USER)[-1]
        assert re.search(rf"\b{expected}/{total}\b", last.text), last.text
        assert f"{expected}/{total}" in last.text and total == 10
        assert await answer_count(h) == total


def hint_reply(options: list[str]) -> Reply:
    rows = [[Button(f"{chr(65 + i)}. {o}", payload=f"qa:1:0:{i}")] for i, o in enumerate(options)]
    hint = QuizHint("Which one?", tuple(options), correct=1, header="Question 1 of 3")
    return Reply("**Question 1 of 3**\n\nWhich one?", rows, quiz=hint)


def test_a_question_that_does_not_fit_a_poll_keeps_its_buttons() -> None:
    fits = render(hint_reply(["yes", "no"]), quiz_polls=True)
    assert len(fits) == 1 and fits[0].poll is not None
    assert fits[0].poll.question == "Question 1 of 3\nWhich one?"
    assert fits[0].poll.payloads == ("qa:1:0:0", "qa:1:0:1")
    assert render(hint_reply(["yes", "no"]))[0].poll is None  # polls off
    long = render(hint_reply(["yes", "n" * (POLL_OPTION_MAX + 1)]), quiz_polls=True)
    assert long[0].poll is None and long[0].markup is not None
    eleven = render(hint_reply([str(i) for i in range(11)]), quiz_polls=True)
    assert eleven[0].poll is None and eleven[0].markup is not None


async def test_quiz_polls_are_sent_answered_and_counted_once(db_url: str) -> None:
    async with FakeBotAPI() as api:
        async with running(db_url, api, TELEGRAM_QUIZ_POLLS="1") as h:
            quiz = quiz_of(h)
            await start_quiz(h)
            allowed = api.calls("getUpdates")[-1].params.get("allowed_updates")
            assert "poll_answer" in allowed
            polls = api.calls("sendPoll")
            assert len(polls) == 1
            poll = polls[0].params
            assert poll["type"] == "quiz"
            assert poll["is_anonymous"] in (False, "false", "False")
            assert int(poll["chat_id"]) == USER
            first = quiz.questions[0]
            assert first.text.strip() in poll["question"]
            options = [o if isinstance(o, str) else o["text"] for o in poll["options"]]
            assert sorted(options) == sorted(o.text for o in first.options)
            assert poll["correct_option_ids"] in ([0], [1], [2], [3])
            right = int(poll["correct_option_ids"][0])
            assert options[right] in {o.text for o in first.options if o.correct}
            if len(first.explanation) <= 200:
                assert poll["explanation"] == first.explanation.strip()
            poll_id = next(p.poll_id for p in await stored_polls(h) if p.chat_id == USER)
        # Answered after a restart: the poll is remembered in the database.
        async with running(db_url, api, TELEGRAM_QUIZ_POLLS="1") as h:
            answer = api.poll_answer_update(poll_id, right, USER)
            before = len(api.replies(USER))
            await push(h, answer)
            assert await answer_count(h) == 1
            assert api.replies(USER)[before].text.startswith("✅")
            assert len(api.calls("sendPoll")) == 2  # the next question, as a poll
            async with h.runtime.db.transaction() as session:
                logged = (
                    await session.scalars(
                        select(EngagementEvent).where(EngagementEvent.name == "question_answered")
                    )
                ).all()
            assert [(e.properties["question_id"], e.properties["correct"]) for e in logged] == [
                (quiz.questions[0].id, True)
            ]
            # The same update again, and a second answer to the same poll: counted once.
            await push(h, answer)
            assert await answer_count(h) == 1 and len(api.calls("sendPoll")) == 2
            await push(h, api.poll_answer_update(poll_id, (right + 1) % 2, USER))
            assert await answer_count(h) == 1
            assert "Soal nomor 1 sudah kamu jawab" in api.replies(USER)[-1].text
            assert len(api.calls("sendPoll")) == 3  # "here's where you are": question 2 again
            # Someone else answering this user's poll changes nothing.
            await push(h, api.poll_answer_update(poll_id, right, USER + 1))
            assert await answer_count(h) == 1 and api.replies(USER + 1) == []


async def stored_polls(h: Harness) -> list[TelegramPoll]:
    async with h.runtime.db.transaction() as session:
        return list((await session.scalars(select(TelegramPoll))).all())


async def test_a_question_over_the_poll_limits_falls_back_to_buttons(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, TELEGRAM_QUIZ_POLLS="1") as h:
        reply = hint_reply(["short", "o" * (POLL_OPTION_MAX + 1)])
        await h.channel.deliver(USER, UserRef("telegram", str(USER)), [reply])
        assert api.calls("sendPoll") == []
        sent = api.replies(USER)[-1]
        assert sent.method == "sendMessage" and sent.callback_data == ["qa:1:0:0", "qa:1:0:1"]
        assert await stored_polls(h) == []


async def test_a_refused_poll_falls_back_to_buttons(db_url: str) -> None:
    async with FakeBotAPI() as api, running(db_url, api, TELEGRAM_QUIZ_POLLS="1") as h:
        api.fail("sendPoll", "400", description="Bad Request: polls are disabled here")
        await h.channel.deliver(USER, UserRef("telegram", str(USER)), [hint_reply(["a", "b"])])
        sent = api.replies(USER)[-1]
        assert sent.callback_data == ["qa:1:0:0", "qa:1:0:1"]
        assert await stored_polls(h) == []
