"""Quizzes: ``/kuis``, one question at a time, feedback, resume, retry-missed, leaderboards and the
"Pemilih Cerdas" certificate.

Progress lives in the ``quiz_attempts`` and ``quiz_answers`` tables, never in memory, so a quiz
resumes after hours or a restart. An answer button carries ``qa:<attempt>:<index>:<option>``
(the question's position in the attempt and the option's index in the quiz file): a tap on a
button of an earlier question or an abandoned attempt is recognised and answered kindly, and the
unique (attempt, question) constraint makes a double tap count once. A channel that shows a
question another way (e.g. Telegram's native quiz poll) only has to turn the chosen option back
into the same payload and hand the core a ``ButtonEvent``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.core.context import Context
from bot.core.events import ButtonEvent, TextEvent
from bot.core.flows.info import format_sources
from bot.core.formatting import escape, to_plain
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.quiz.certificate import (
    MAX_NAME,
    CertificateText,
    InvalidName,
    clean_name,
    render_certificate,
)
from bot.core.quiz.content import Question, Quiz, all_quizzes, certificate_quizzes, get_quiz
from bot.core.regions import region_path
from bot.core.replies import Button, Image, QuizHint
from bot.core.router import StaleButton, payload, router
from bot.core.timezones import WIB
from bot.db import repo_quiz
from bot.db.models import utcnow
from bot.db.models_quiz import QuizAttempt

FLOW = "quiz"
LETTERS = "ABCDEFGHIJ"
#: A share of right answers that passes a quiz towards the certificate.
PASS_RATIO = 0.8
LEADERBOARD_SIZE = 10
#: The longest name shown on a leaderboard.
MAX_BOARD_NAME = 32
#: Options longer than this are also listed in the question text (buttons may cut them short).
LONG_OPTION = 30
#: Dates on the certificate are in Western Indonesian Time.

LEVEL_LABELS = {
    "beginner": N_("beginner"),
    "intermediate": N_("intermediate"),
    "advanced": N_("advanced"),
}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}

menu_item("quiz", N_("📝 Quiz"), "quiz", order=20)


def menu_row(ctx: Context) -> list[Button]:
    return [
        Button(ctx._("📝 All quizzes"), payload="quiz"),
        Button(ctx._("🏠 Menu"), payload="menu"),
    ]


def score_text(score: int, total: int) -> str:
    return f"{score}/{total}"


# --------------------------------------------------------------------------- the list


@router.command("kuis", description=N_("quizzes: test what you know"), aliases=("quiz",), order=20)
async def quiz_command(ctx: Context, args: tuple[str, ...]) -> None:
    quiz = get_quiz(ctx.content, args[0].lower(), ctx.locale) if args else None
    if quiz is not None:
        await open_quiz(ctx, quiz)
        return
    await show_list(ctx)


@router.button("quiz")
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


@router.button("qz")
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


async def quiz_gone(ctx: Context, attempt: QuizAttempt) -> None:
    await ctx.log("quiz", "quiz_missing", quiz_id=attempt.quiz_id[:64])
    ctx.clear_state()
    ctx.reply(ctx._("Sorry, that quiz is no longer available."), [menu_row(ctx)])


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


@router.button("qa")
async def answer_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 3 or not all(a.isdigit() for a in args):
        raise StaleButton
    await answer(ctx, int(args[0]), int(args[1]), int(args[2]))


@router.state(FLOW)
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


@router.on_exit(FLOW)
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


# --------------------------------------------------------------------------- the end


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


@router.button("qr")
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


# --------------------------------------------------------------------------- leaderboards


@router.button("qlb")
async def leaderboard_button(ctx: Context, args: list[str]) -> None:
    if args == ["pick"]:
        quizzes = all_quizzes(ctx.content, ctx.locale)
        rows = [[Button(q.meta.title, payload=payload("qlb", "show", q.id))] for q in quizzes]
        ctx.reply(ctx._("🏆 Which quiz's leaderboard?"), [*rows, menu_row(ctx)])
        return
    if len(args) != 2:
        raise StaleButton
    action, quiz_id = args
    quiz = get_quiz(ctx.content, quiz_id, ctx.locale)
    if quiz is None:
        raise StaleButton
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    if action == "show":
        await show_leaderboard(ctx, quiz)
    elif action == "join":
        if ctx.user.display_name:
            await set_board_opt_in(ctx, quiz, True)
            return
        ask_board_name(ctx, quiz)
    elif action == "first":
        await save_board_name(ctx, platform_name(ctx), quiz.id)
    elif action in ("no", "leave"):
        if action == "no" and profile.leaderboard is not None:
            await show_leaderboard(ctx, quiz)  # a second tap
            return
        await set_board_opt_in(ctx, quiz, False)
    else:
        raise StaleButton


def platform_name(ctx: Context) -> str:
    event = ctx.event
    return (event.first_name or "") if isinstance(event, ButtonEvent) else ""


async def show_leaderboard(ctx: Context, quiz: Quiz) -> None:
    entries = await repo_quiz.leaderboard(ctx.session, quiz.id, LEADERBOARD_SIZE)
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    await ctx.log("quiz", "leaderboard_viewed", quiz_id=quiz.id, entries=len(entries))
    lines = [
        ctx._("🏆 **Leaderboard: {title}**").format(title=escape(quiz.meta.title)),
        "",
    ]
    if not entries:
        lines.append(ctx._("Nobody is on this leaderboard yet. Be the first!"))
    for rank, entry in enumerate(entries, start=1):
        name = escape(entry.user.display_name or "")
        where = await kabupaten_name(ctx, entry.user.region_id)
        place = f" ({escape(where)})" if where else ""
        lines.append(
            f"{MEDALS.get(rank, f'{rank}.')} {name}{place}: {score_text(entry.score, entry.total)}"
        )
    rows: list[list[Button]] = []
    if profile.leaderboard is None:
        lines += [
            "",
            ctx._(
                "Do you want to appear on the leaderboards? Only the name you choose and your "
                "kabupaten/kota (if you saved your area) are shown."
            ),
        ]
        rows.append(
            [
                Button(ctx._("✅ Yes, show me"), payload=payload("qlb", "join", quiz.id)),
                Button(ctx._("No, thanks"), payload=payload("qlb", "no", quiz.id)),
            ]
        )
    elif profile.leaderboard and ctx.user.display_name:
        lines += ["", ctx._("You appear as **{name}**.").format(name=escape(ctx.user.display_name))]
        rows.append([Button(ctx._("🙈 Hide me"), payload=payload("qlb", "leave", quiz.id))])
    else:
        rows.append(
            [Button(ctx._("🙋 Show me on leaderboards"), payload=payload("qlb", "join", quiz.id))]
        )
    rows.append(menu_row(ctx))
    ctx.reply("\n".join(lines), rows)


async def kabupaten_name(ctx: Context, region_id: int | None) -> str | None:
    if region_id is None:
        return None
    path = await region_path(ctx.session, region_id)
    return path.kabupaten.name if path is not None and path.kabupaten is not None else None


def ask_board_name(ctx: Context, quiz: Quiz) -> None:
    ctx.set_state(FLOW, "lb_name", quiz=quiz.id)
    rows: list[list[Button]] = []
    first = platform_name(ctx)
    if first:
        try:
            shown = clean_name(first, MAX_BOARD_NAME)
        except InvalidName:
            shown = ""
        if shown:
            rows.append(
                [
                    Button(
                        ctx._("Use “{name}”").format(name=shown),
                        payload=payload("qlb", "first", quiz.id),
                    )
                ]
            )
    rows.append([Button(ctx._("Cancel"), payload=payload("qlb", "show", quiz.id))])
    ctx.reply(
        ctx._(
            "What name should I show on the leaderboard? Your first name or a nickname is fine "
            "(up to {max} characters). Type it below."
        ).format(max=MAX_BOARD_NAME),
        rows,
    )


async def save_board_name(ctx: Context, raw: str, quiz_id: str) -> None:
    quiz = get_quiz(ctx.content, quiz_id, ctx.locale)
    if quiz is None:
        ctx.clear_state()
        await show_list(ctx)
        return
    name = await accept_name(ctx, raw, MAX_BOARD_NAME, "lb_name", quiz=quiz.id)
    if name is None:
        return
    ctx.user.display_name = name
    ctx.clear_state()
    await set_board_opt_in(ctx, quiz, True)


async def set_board_opt_in(ctx: Context, quiz: Quiz, join: bool) -> None:
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    profile.leaderboard = join
    repo_quiz.touch(profile)
    await ctx.log("quiz", "leaderboard_opt_in" if join else "leaderboard_opt_out")
    if join:
        ctx.reply(
            ctx._("Done! You're on the leaderboards as **{name}**.").format(
                name=escape(ctx.user.display_name or "")
            )
        )
    else:
        ctx.reply(ctx._("Okay, you won't appear on the leaderboards."))
    await show_leaderboard(ctx, quiz)


async def accept_name(ctx: Context, raw: str, limit: int, step: str, **data: Any) -> str | None:
    """The cleaned name, or ``None`` after explaining the problem and asking again."""
    try:
        return clean_name(raw, limit)
    except InvalidName as exc:
        await ctx.log("quiz", "name_rejected", reason=exc.reason, step=step)
        ctx.set_state(FLOW, step, **data)
        ctx.reply(name_problem(ctx, exc, limit))
        return None


def name_problem(ctx: Context, exc: InvalidName, limit: int) -> str:
    if exc.reason == "digits":
        return ctx._(
            "That looks like a number, not a name. Please send only the name, never an ID or "
            "phone number."
        )
    if exc.reason == "letters":
        return ctx._("A name needs letters. Please try again.")
    if exc.reason == "emoji":
        return ctx._(
            "Emoji can't be printed on the certificate (they'd show up as boxes). "
            "Please send your name without them. 🙂"
        )
    return ctx._("Please send a name of 2 to {max} characters.").format(max=limit)


# --------------------------------------------------------------------------- the certificate


@router.command(
    "sertifikat",
    description=N_("your Pemilih Cerdas certificate"),
    aliases=("certificate",),
    order=21,
)
async def certificate_command(ctx: Context, args: tuple[str, ...]) -> None:
    await offer_certificate(ctx)


@router.button("qcert")
async def certificate_button(ctx: Context, args: list[str]) -> None:
    if args == ["get"]:
        await offer_certificate(ctx)
    elif args == ["use"] and ctx.user.display_name:
        await issue_certificate(ctx, ctx.user.display_name)
    elif args == ["first"] and platform_name(ctx):
        await issue_certificate(ctx, platform_name(ctx))
    else:
        raise StaleButton


async def missing_for_certificate(ctx: Context) -> list[tuple[Quiz, repo_quiz.Best | None]]:
    """Core quizzes not yet passed with at least 80%, with the user's best score so far.

    Only the core quizzes (``core: true`` in content) count: optional extras never hold the
    certificate back."""
    best = await repo_quiz.best_scores(ctx.session, ctx.user.id)
    return [
        (quiz, best.get(quiz.id))
        for quiz in certificate_quizzes(ctx.content, ctx.locale)
        if quiz.id not in best or best[quiz.id].ratio < PASS_RATIO
    ]


async def offer_certificate(ctx: Context) -> None:
    missing = await missing_for_certificate(ctx)
    if missing:
        lines = [
            ctx._(
                "🎓 The **Pemilih Cerdas** certificate is for everyone who passes every core "
                "quiz (⭐) with at least 80%. Still to go:"
            )
        ]
        rows: list[list[Button]] = []
        for quiz, best in missing:
            status = (
                ctx._("your best: {score}").format(score=score_text(best.score, best.total))
                if best
                else ctx._("not taken yet")
            )
            lines.append(f"- {escape(quiz.meta.title)}: {escape(status)}")
            rows.append([Button(quiz.meta.title, payload=payload("qz", "start", quiz.id))])
        ctx.reply("\n".join(lines), [*rows, menu_row(ctx)])
        return
    ctx.set_state(FLOW, "cert_name")
    rows = []
    if ctx.user.display_name:
        rows.append(
            [
                Button(
                    ctx._("Use “{name}”").format(name=ctx.user.display_name),
                    payload=payload("qcert", "use"),
                )
            ]
        )
    elif platform_name(ctx):
        rows.append(
            [
                Button(
                    ctx._("Use “{name}”").format(name=platform_name(ctx)[:MAX_NAME]),
                    payload=payload("qcert", "first"),
                )
            ]
        )
    ctx.reply(
        ctx._(
            "🎓 Congratulations, you've earned it! What name should I print on your certificate? "
            "Type it below (up to {max} characters)."
        ).format(max=MAX_NAME),
        rows,
    )


async def issue_certificate(ctx: Context, raw: str) -> None:
    if await missing_for_certificate(ctx):
        ctx.clear_state()
        await offer_certificate(ctx)
        return
    name = await accept_name(ctx, raw, MAX_NAME, "cert_name")
    if name is None:
        return
    today = datetime.now(UTC).astimezone(WIB).date()
    png = render_certificate(
        CertificateText(
            heading=ctx._("Certificate"),
            title="Pemilih Cerdas",
            presented_to=ctx._("This certificate is presented to"),
            name=name,
            reason=ctx._(
                "for passing every core Teman Pemilih quiz with at least 80%. Thank you for "
                "being a smart, informed voter!"
            ),
            date_line=ctx._("Issued on {date}").format(date=ctx.t.date(today, "long")),
            signature="Teman Pemilih",
        )
    )
    profile = await repo_quiz.profile(ctx.session, ctx.user.id)
    first = profile.certificate_issued_at is None
    if first:
        profile.certificate_issued_at = utcnow()
    repo_quiz.touch(profile)
    ctx.clear_state()
    await ctx.log("quiz", "certificate_issued", first=first, bytes=len(png))
    caption = ctx._("🎓 Pemilih Cerdas: {name}").format(name=escape(name))
    reply = ctx.reply(
        ctx._(
            "Here's your certificate, **{name}**! Share it and challenge your friends to take "
            "the quizzes too. 🗳️"
        ).format(name=escape(name)),
        [menu_row(ctx)],
    )
    reply.image = Image(png, "sertifikat.png", caption)
