"""The end of an attempt: the score, a cheer, "retry the ones I missed", the certificate offer."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.flows.quiz.certificate import missing_for_certificate
from bot.core.flows.quiz.common import PASS_RATIO, menu_row, quiz_gone, score_text
from bot.core.flows.quiz.starting import show_question, start
from bot.core.quiz.content import Quiz, get_quiz
from bot.core.replies import Button
from bot.core.router import StaleButton, payload
from bot.db import repo_quiz
from bot.db.models import utcnow
from bot.db.models_quiz import QuizAttempt


async def finish(ctx: Context, attempt: QuizAttempt, quiz: Quiz) -> None:
    attempt.status = repo_quiz.COMPLETED
    attempt.completed_at = utcnow()
    ctx.clear_state()
    await ctx.log(
        "quiz",
        "quiz_completed",
        quiz_id=quiz.id,
        attempt_id=attempt.id,
        score=attempt.score,
        total=attempt.total,
        mode=attempt.mode,
    )
    done = await repo_quiz.answers(ctx.session, attempt.id)
    missed = [q for q in attempt.question_ids if q in done and not done[q].correct]
    score = score_text(attempt.score, attempt.total)
    ratio = attempt.score / attempt.total if attempt.total else 0
    if attempt.mode == repo_quiz.MISSED:
        text = ctx._("🏁 **Done!** You got {score} of the questions you missed before.").format(
            score=score
        )
    else:
        text = ctx._("🏁 **Done!** Your score: **{score}**").format(score=score)
        best = (await repo_quiz.best_scores(ctx.session, ctx.user.id)).get(quiz.id)
        if best is not None:
            text += "\n" + ctx._("Your best score: {best}").format(
                best=score_text(best.score, best.total)
            )
    if ratio == 1:
        cheer = ctx._("Perfect! You really know this. 🎉")
    elif ratio >= PASS_RATIO:
        cheer = ctx._("Great job, you know this well! 💪")
    elif ratio >= 0.5:
        cheer = ctx._("Not bad! Read the explanations again and you'll ace it.")
    else:
        cheer = ctx._("Keep going: every question you get wrong now is one you'll get right later.")
    rows: list[list[Button]] = []
    if missed:
        label = ctx.t.ngettext(
            "🔁 Retry the {n} I missed", "🔁 Retry the {n} I missed", len(missed)
        ).format(n=len(missed))
        rows.append([Button(label, payload=payload("qr", attempt.id))])
    rows.append([Button(ctx._("🏆 Leaderboard"), payload=payload("qlb", "show", quiz.id))])
    rows.append(menu_row(ctx))
    ctx.reply(f"{text}\n\n{cheer}", rows)
    if attempt.mode == repo_quiz.FULL and not await missing_for_certificate(ctx):
        profile = await repo_quiz.profile(ctx.session, ctx.user.id)
        if profile.certificate_issued_at is None:
            ctx.reply(
                ctx._(
                    "🎓 You've passed every core quiz with at least 80%! You've earned the "
                    "**Pemilih Cerdas** certificate."
                ),
                [[Button(ctx._("🎓 Get my certificate"), payload=payload("qcert", "get"))]],
            )


async def retry_missed_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 1 or not args[0].isdigit():
        raise StaleButton
    attempt = await repo_quiz.get_attempt(ctx.session, int(args[0]), ctx.user.id)
    if attempt is None or attempt.status != repo_quiz.COMPLETED:
        raise StaleButton
    quiz = get_quiz(ctx.content, attempt.quiz_id, ctx.locale)
    if quiz is None:
        await quiz_gone(ctx, attempt)
        return
    current = (await repo_quiz.active_attempts(ctx.session, ctx.user.id)).get(quiz.id)
    if current is not None and current.parent_id == attempt.id:
        await show_question(ctx, current, quiz)  # a second tap: carry on with the retry
        return
    done = await repo_quiz.answers(ctx.session, attempt.id)
    missed = [
        q
        for q in attempt.question_ids
        if q in done and not done[q].correct and quiz.question(q) is not None
    ]
    if not missed:
        ctx.reply(ctx._("You got every question right: nothing to retry! 🎉"), [menu_row(ctx)])
        return
    await start(ctx, quiz, missed, mode=repo_quiz.MISSED, parent_id=attempt.id)
