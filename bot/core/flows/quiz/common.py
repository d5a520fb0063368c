"""What the quiz modules share: constants, the menu row, scores, names."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.events import ButtonEvent
from bot.core.i18n import N_
from bot.core.quiz.certificate import InvalidName, clean_name
from bot.core.replies import Button
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

LEVEL_LABELS = {
    "beginner": N_("beginner"),
    "intermediate": N_("intermediate"),
    "advanced": N_("advanced"),
}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def menu_row(ctx: Context) -> list[Button]:
    return [
        Button(ctx._("📝 All quizzes"), payload="quiz"),
        Button(ctx._("🏠 Menu"), payload="menu"),
    ]


def score_text(score: int, total: int) -> str:
    return f"{score}/{total}"


def platform_name(ctx: Context) -> str:
    event = ctx.event
    return (event.first_name or "") if isinstance(event, ButtonEvent) else ""


async def quiz_gone(ctx: Context, attempt: QuizAttempt) -> None:
    await ctx.log("quiz", "quiz_missing", quiz_id=attempt.quiz_id[:64])
    ctx.clear_state()
    ctx.reply(ctx._("Sorry, that quiz is no longer available."), [menu_row(ctx)])


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
