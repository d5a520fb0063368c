"""The team's unanswered-questions queue, from the chat side (see :mod:`bot.core.questions`).

When the understanding layer cannot answer (low confidence) or someone taps 👎 on an answer, the
question is queued scrubbed and without any user id, and the reply gets a "🔔 Tell me when
there's an answer" button. Only a tap on it links the person to the question.

A 👎 arrives as a button press, after the question; the question it rated is the one the
conversation state kept with the answer's prompt (``prompt["asked"]``, scrubbed, replaced by the
next prompt; see :func:`bot.core.typed.remember_prompt`).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.questions import queue_question, watch
from bot.core.replies import Button, Reply
from bot.core.router import StaleButton, payload, router
from bot.core.understanding.hooks import on_unanswered
from bot.core.understanding.model import Understanding
from bot.db.models_questions import THUMBS_DOWN, UNANSWERED, UnansweredQuestion

ROUTE = "qwatch"
#: The understanding layer's reasons that reach the queue (off-topic questions do not).
QUEUED = {"low": UNANSWERED, "not_helpful": THUMBS_DOWN}


def bell_button(ctx: Context, question_id: int) -> Button:
    return Button(ctx._("🔔 Tell me when there's an answer"), payload=payload(ROUTE, question_id))


def _target(replies: list[Reply]) -> Reply | None:
    """The reply that gets the bell: the last one (the menu after "I can't answer that yet", or
    the thanks after 👎), so the suggestions keep at most three buttons."""
    return replies[-1] if replies else None


@on_unanswered
async def queue_unanswered(ctx: Context, text: str, u: Understanding, reason: str) -> None:
    why = QUEUED.get(reason)
    if why is None:
        return
    answer_id = None
    if why == THUMBS_DOWN:
        text = str((ctx.state.prompt or {}).get("asked") or "")
        answer_id = u.best.target if u.best is not None else None
    question = await queue_question(
        ctx.session,
        text=text,
        locale=ctx.locale,
        region_id=ctx.user.region_id,
        reason=why,
        answer_id=answer_id,
        now=ctx.now(),
    )
    await ctx.log("questions", "queued", reason=why)
    target = _target(ctx.replies)
    if question is not None and question.text and target is not None:
        target.buttons.insert(0, [bell_button(ctx, question.id)])


@router.button(ROUTE)
async def watch_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 1 or not args[0].isdigit():
        raise StaleButton
    question = await ctx.session.get(UnansweredQuestion, int(args[0]))
    if question is None:
        raise StaleButton
    new = await watch(ctx.session, question.id, ctx.user.id)
    await ctx.log("questions", "watch", new=new)
    text = ctx._(
        "🔔 Okay! As soon as I have an answer, I'll send it to you, once. If none comes within "
        "30 days, I'll forget that you asked."
    )
    if not ctx.user.opted_in:
        text += "\n\n" + ctx._(
            "Right now my messages to you are switched off, so send START if you want to get it."
        )
    if ctx.flow is not None:
        ctx.reply(text)  # the engine shows the step the user is at below
        return
    ctx.reply(text, [[Button(ctx._("🏠 Menu"), payload="menu")]])
