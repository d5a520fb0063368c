"""Answering a question: a tap on an answer button or a typed letter (``B``), feedback with the
explanation and sources, double taps and stale buttons, and the note when a typed cancel pauses
the quiz.
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.context import Context
from bot.core.events import TextEvent
from bot.core.flows.info import format_sources
from bot.core.flows.quiz.certificate import issue_certificate
from bot.core.flows.quiz.common import LETTERS, menu_row, quiz_gone, score_text
from bot.core.flows.quiz.leaderboard import save_board_name
from bot.core.flows.quiz.results import finish
from bot.core.flows.quiz.starting import (
    continue_attempt,
    current_question,
    restart_changed,
    show_question,
)
from bot.core.formatting import escape
from bot.core.quiz.content import Question, Quiz, get_quiz
from bot.core.replies import Button
from bot.core.router import StaleButton, payload
from bot.db import repo_quiz
from bot.db.models import utcnow
from bot.db.models_quiz import QuizAttempt


async def answer_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 3 or not all(a.isdigit() for a in args):
        raise StaleButton
    await answer(ctx, int(args[0]), int(args[1]), int(args[2]))


async def quiz_text(ctx: Context, event: Any) -> bool:
    """Typed answers (``B``), and the names asked for the leaderboard and the certificate."""
    if not isinstance(event, TextEvent):
        return False
    if ctx.step == "question":
        letter = typed_letter(event.text)
        attempt_id = ctx.data.get("attempt")
        if letter is None or not isinstance(attempt_id, int):
            return False
        attempt = await repo_quiz.get_attempt(ctx.session, attempt_id, ctx.user.id)
        if attempt is None or attempt.status != repo_quiz.ACTIVE:
            return False
        order = attempt.option_orders[attempt.position]
        if LETTERS.index(letter) >= len(order):
            return False
        await answer(ctx, attempt.id, attempt.position, order[LETTERS.index(letter)])
        return True
    if ctx.step == "lb_name":
        await save_board_name(ctx, event.text, str(ctx.data.get("quiz", "")))
        return True
    if ctx.step == "cert_name":
        await issue_certificate(ctx, event.text)
        return True
    return False


#: "b", "B.", "(b)", "jawabannya b", "answer B": an option by its letter.
TYPED_LETTER = re.compile(
    r"^\W*(?:(?:jawab(?:an)?(?:nya)?|answer|pilih|opsi|option)\s*:?\s*)?\(?([a-j])\W*$",
    re.IGNORECASE,
)


def typed_letter(text: str) -> str | None:
    match = TYPED_LETTER.match(text.strip())
    return match.group(1).upper() if match else None


async def quiz_left(ctx: Context) -> str | None:
    if ctx.step != "question":
        return None
    return ctx._(
        "Okay, I've paused the quiz. Your answers so far are saved: /kuis carries on where you "
        "stopped."
    )


async def answer(ctx: Context, attempt_id: int, index: int, option: int) -> None:
    attempt = await repo_quiz.get_attempt(ctx.session, attempt_id, ctx.user.id)
    if attempt is None:
        raise StaleButton
    quiz = get_quiz(ctx.content, attempt.quiz_id, ctx.locale)
    if quiz is None:
        await quiz_gone(ctx, attempt)
        return
    if attempt.status == repo_quiz.ABANDONED:
        await ctx.log("quiz", "stale_answer", quiz_id=quiz.id, reason="abandoned")
        ctx.reply(ctx._("That button is from an attempt you started over, so it no longer counts."))
        await continue_attempt(ctx, attempt)
        return
    if not 0 <= index < attempt.total or option not in attempt.option_orders[index]:
        raise StaleButton
    if attempt.status == repo_quiz.COMPLETED or index < attempt.position:
        await already_answered(ctx, attempt, quiz, index)
        return
    if index > attempt.position:
        raise StaleButton
    found = current_question(attempt, quiz)
    if found is None:
        await restart_changed(ctx, attempt, quiz)
        return
    question, order = found
    correct = question.options[option].correct
    seconds = max(0, int((utcnow() - attempt.question_shown_at).total_seconds()))
    if not await repo_quiz.record_answer(
        ctx.session,
        attempt,
        question_id=question.id,
        option=option,
        correct=correct,
        seconds=seconds,
    ):
        await already_answered(ctx, attempt, quiz, index)
        return
    attempt.position += 1
    attempt.score += int(correct)
    await ctx.log(
        "quiz",
        "question_answered",
        quiz_id=quiz.id,
        question_id=question.id,
        option=option,
        correct=correct,
        seconds=seconds,
    )
    ctx.reply(feedback(ctx, quiz, question, order, correct))
    if attempt.position >= attempt.total:
        await finish(ctx, attempt, quiz)
    else:
        await show_question(ctx, attempt, quiz)


def feedback(ctx: Context, quiz: Quiz, question: Question, order: list[int], correct: bool) -> str:
    if correct:
        head = ctx._("✅ **Right!**")
    else:
        right = " / ".join(
            f"{LETTERS[pos]}. {escape(question.options[orig].text)}"
            for pos, orig in enumerate(order)
            if question.options[orig].correct
        )
        head = ctx._("❌ **Not quite.** The right answer: **{answer}**").format(answer=right)
    sources = format_sources(ctx, quiz.sources_of(question))
    return f"{head}\n\n{question.explanation}\n\n{sources}"


async def already_answered(ctx: Context, attempt: QuizAttempt, quiz: Quiz, index: int) -> None:
    """A double tap or a button of an earlier question: kind words, nothing counted twice."""
    await ctx.log("quiz", "duplicate_answer", quiz_id=quiz.id, attempt_id=attempt.id)
    if attempt.status == repo_quiz.COMPLETED:
        ctx.reply(
            ctx._(
                "You already answered that one, and this quiz is finished: your score was "
                "{score}. I only count your first answer."
            ).format(score=score_text(attempt.score, attempt.total)),
            [
                [Button(ctx._("🔄 Take it again"), payload=payload("qz", "start", quiz.id))],
                menu_row(ctx),
            ],
        )
        return
    ctx.reply(
        ctx._(
            "You already answered question {n}, and I only count your first answer. "
            "Here's where you are now:"
        ).format(n=index + 1)
    )
    await show_question(ctx, attempt, quiz)
