"""The quiz list, starting or resuming an attempt, and asking its current question.

An attempt's progress lives in the database (see the package docstring), so asking the
current question again after hours or a restart shows the same question in the same option order.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.flows.quiz.common import (
    FLOW,
    LETTERS,
    LEVEL_LABELS,
    LONG_OPTION,
    menu_row,
    quiz_gone,
    score_text,
)
from bot.core.formatting import escape, to_plain
from bot.core.quiz.content import Question, Quiz, all_quizzes, get_quiz
from bot.core.replies import Button, QuizHint
from bot.core.router import StaleButton, payload
from bot.db import repo_quiz
from bot.db.models import utcnow
from bot.db.models_quiz import QuizAttempt

# --------------------------------------------------------------------------- the list


async def quiz_command(ctx: Context, args: tuple[str, ...]) -> None:
    quiz = get_quiz(ctx.content, args[0].lower(), ctx.locale) if args else None
    if quiz is not None:
        await open_quiz(ctx, quiz)
        return
    await show_list(ctx)


async def quiz_list_button(ctx: Context, args: list[str]) -> None:
    ctx.clear_state()
    await show_list(ctx)


async def show_list(ctx: Context) -> None:
    quizzes = all_quizzes(ctx.content, ctx.locale)
    if not quizzes:
        ctx.reply(ctx._("There's nothing here yet."), [[Button(ctx._("🏠 Menu"), payload="menu")]])
        return
    best = await repo_quiz.best_scores(ctx.session, ctx.user.id)
    active = await repo_quiz.active_attempts(ctx.session, ctx.user.id)
    lines, rows = [], []
    for quiz in quizzes:
        title = quiz.meta.title
        mine = best.get(quiz.id)
        going = active.get(quiz.id)
        if going is not None and going.position:
            status = ctx._("in progress: {done} of {total} answered").format(
                done=going.position, total=going.total
            )
            label = "▶️ " + title
        elif mine is not None:
            status = ctx._("your best: {score}").format(score=score_text(mine.score, mine.total))
            label = f"{title} · {score_text(mine.score, mine.total)}"
        else:
            status = ctx._("not taken yet")
            label = title
        count = ctx.t.ngettext("{n} question", "{n} questions", len(quiz.questions)).format(
            n=len(quiz.questions)
        )
        star = "⭐ " if quiz.meta.core else ""
        lines.append(
            f"- {star}**{escape(title)}** ({escape(ctx._(LEVEL_LABELS[quiz.meta.level]))}, "
            f"{count}): {escape(status)}"
        )
        rows.append([Button(label, payload=payload("qz", "start", quiz.id))])
    rows.append(
        [
            Button(ctx._("🏆 Leaderboards"), payload=payload("qlb", "pick")),
            Button(ctx._("🎓 Certificate"), payload=payload("qcert", "get")),
        ]
    )
    rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
    await ctx.log("quiz", "list_viewed", quizzes=len(quizzes))
    intro = ctx._(
        "**Quizzes** 📝\n\nLearn the rules in two minutes: answer one question at a time and I'll "
        "tell you straight away whether you got it, and why. Pass every core quiz (⭐) with at "
        "least 80% to earn the **Pemilih Cerdas** certificate."
    )
    ctx.reply(intro + "\n\n" + "\n".join(lines) + "\n\n" + ctx._("Pick a quiz:"), rows)


# --------------------------------------------------------------------------- starting


async def quiz_button(ctx: Context, args: list[str]) -> None:
    if len(args) == 2 and args[0] == "start":
        quiz = get_quiz(ctx.content, args[1], ctx.locale)
        if quiz is None:
            raise StaleButton
        await open_quiz(ctx, quiz)
    elif len(args) == 2 and args[0] == "resume" and args[1].isdigit():
        attempt = await repo_quiz.get_attempt(ctx.session, int(args[1]), ctx.user.id)
        if attempt is None:
            raise StaleButton
        await continue_attempt(ctx, attempt)
    elif len(args) == 3 and args[0] == "new" and args[2].isdigit():
        quiz = get_quiz(ctx.content, args[1], ctx.locale)
        if quiz is None:
            raise StaleButton
        old = await repo_quiz.get_attempt(ctx.session, int(args[2]), ctx.user.id)
        current = (await repo_quiz.active_attempts(ctx.session, ctx.user.id)).get(quiz.id)
        if old is not None and old.status != repo_quiz.ACTIVE and current is not None:
            # A second tap on "start over": the quiz was already restarted, carry on with it.
            await show_question(ctx, current, quiz)
            return
        await start(ctx, quiz, [q.id for q in quiz.questions], mode=repo_quiz.FULL)
    else:
        raise StaleButton


async def open_quiz(ctx: Context, quiz: Quiz) -> None:
    """Start a quiz, or offer to continue the attempt left half-way."""
    active = (await repo_quiz.active_attempts(ctx.session, ctx.user.id)).get(quiz.id)
    if active is None:
        await start(ctx, quiz, [q.id for q in quiz.questions], mode=repo_quiz.FULL)
        return
    if active.position == 0:
        await show_question(ctx, active, quiz)
        return
    ctx.reply(
        ctx._(
            "You started **{title}** earlier and answered {done} of {total} questions. "
            "Carry on where you stopped?"
        ).format(title=escape(quiz.meta.title), done=active.position, total=active.total),
        [
            [Button(ctx._("▶️ Continue"), payload=payload("qz", "resume", active.id))],
            [Button(ctx._("🔄 Start over"), payload=payload("qz", "new", quiz.id, active.id))],
            menu_row(ctx),
        ],
    )


async def start(
    ctx: Context, quiz: Quiz, question_ids: list[str], *, mode: str, parent_id: int | None = None
) -> None:
    counts = []
    for qid in question_ids:
        question = quiz.question(qid)
        assert question is not None
        counts.append(len(question.options))
    attempt = await repo_quiz.start_attempt(
        ctx.session,
        user_id=ctx.user.id,
        quiz_id=quiz.id,
        question_ids=question_ids,
        option_counts=counts,
        mode=mode,
        parent_id=parent_id,
    )
    await ctx.log("quiz", "quiz_started", quiz_id=quiz.id, attempt_id=attempt.id, mode=mode)
    n = len(question_ids)
    if mode == repo_quiz.MISSED:
        intro = ctx.t.ngettext(
            "Let's try again the {n} question you missed.",
            "Let's try again the {n} questions you missed.",
            n,
        ).format(n=n)
    else:
        intro = ctx.t.ngettext(
            "{n} question. Tap the answer you think is right, and I'll tell you straight away "
            "whether you got it.",
            "{n} questions. Tap the answer you think is right, and I'll tell you straight away "
            "whether you got it.",
            n,
        ).format(n=n)
    ctx.reply(f"**{escape(quiz.meta.title)}**\n\n{intro}")
    await show_question(ctx, attempt, quiz)


async def continue_attempt(ctx: Context, attempt: QuizAttempt) -> None:
    quiz = get_quiz(ctx.content, attempt.quiz_id, ctx.locale)
    if quiz is None:
        await quiz_gone(ctx, attempt)
        return
    if attempt.status == repo_quiz.ACTIVE:
        await show_question(ctx, attempt, quiz)
        return
    current = (await repo_quiz.active_attempts(ctx.session, ctx.user.id)).get(quiz.id)
    if current is not None:
        await show_question(ctx, current, quiz)
        return
    await show_list(ctx)


# --------------------------------------------------------------------------- questions


def current_question(attempt: QuizAttempt, quiz: Quiz) -> tuple[Question, list[int]] | None:
    """The question to ask now and its option order; ``None`` if the quiz changed since."""
    question = quiz.question(attempt.question_ids[attempt.position])
    order = attempt.option_orders[attempt.position]
    if question is None or sorted(order) != list(range(len(question.options))):
        return None
    return question, order


async def show_question(ctx: Context, attempt: QuizAttempt, quiz: Quiz) -> None:
    found = current_question(attempt, quiz)
    if found is None:
        await restart_changed(ctx, attempt, quiz)
        return
    question, order = found
    attempt.question_shown_at = utcnow()
    header = ctx._("Question {n} of {total}").format(n=attempt.position + 1, total=attempt.total)
    text = f"**{escape(header)}**\n\n{question.text}"
    options = [question.options[i].text for i in order]
    if any(len(o) > LONG_OPTION for o in options):
        text += "\n\n" + "\n".join(f"{LETTERS[i]}. {escape(o)}" for i, o in enumerate(options))
    rows = [
        [Button(f"{LETTERS[i]}. {o}", payload=payload("qa", attempt.id, attempt.position, orig))]
        for i, (o, orig) in enumerate(zip(options, order, strict=True))
    ]
    ctx.set_state(FLOW, "question", attempt=attempt.id)
    reply = ctx.reply(text, rows)
    right = [pos for pos, orig in enumerate(order) if question.options[orig].correct]
    if len(right) == 1:
        # Channels with a native quiz widget may show that; its answer maps back to these buttons.
        reply.quiz = QuizHint(
            question=to_plain(question.text),
            options=tuple(options),
            correct=right[0],
            header=header,
            explanation=to_plain(question.explanation),
        )


async def restart_changed(ctx: Context, attempt: QuizAttempt, quiz: Quiz) -> None:
    """The quiz's questions changed since the attempt began: start it again, fairly."""
    await ctx.log("quiz", "content_changed", quiz_id=quiz.id, attempt_id=attempt.id)
    ctx.reply(ctx._("This quiz was updated since you started it, so let's start it fresh."))
    await start(ctx, quiz, [q.id for q in quiz.questions], mode=repo_quiz.FULL)
