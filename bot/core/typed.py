"""Typed answers: what people type instead of tapping, and what happens when they go off script.

On WhatsApp people type far more than they tap. Three things make that work in every flow
without per-flow code:

- **The last prompt is remembered.** After each event the last reply that carried buttons (or,
  inside a flow, the last question asked) is kept in the conversation state (``prompt``). A
  typed message that matches one of its button labels, with or without the emoji ("Yes, remind
  me", "lewati", a quiz option's text without its letter) presses that button; a yes/no word
  ("iya", "nggak dulu", see :mod:`bot.core.understanding.replywords`) presses the one button
  that means yes or no; a language word ("indo", "inggris") presses that language's button.
- **Cancel and stop end a flow.** "batal", "ga jadi", "udah", "cancel" end the current flow
  with a short confirmation and the menu. "stop"/"berhenti" inside a flow ends it and then asks
  whether to stop reminders too: it never unsubscribes silently (outside a flow STOP still
  unsubscribes at once). A flow may register a note for these exits with ``router.on_exit``.
- **Off script, the step comes back.** Text a flow does not take (a question typed mid-quiz), a
  voice note or a sticker gets its answer, and then the step the user was on is shown again,
  never just the main menu.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import inspect

from bot.core.context import Context
from bot.core.events import ButtonEvent, InboundEvent, TextEvent, UnsupportedEvent
from bot.core.i18n import N_
from bot.core.menu import menu_buttons
from bot.core.privacy import scrub
from bot.core.replies import Button, QuizHint, Reply
from bot.core.understanding.replywords import classify_reply, fold, language_of
from bot.db.models_questions import MAX_TEXT

log = logging.getLogger(__name__)

#: A quiz-style option label: "B. Option text".
_LETTERED = re.compile(r"^[A-J]\.\s+(.*)$", re.DOTALL)
#: The understanding layer's 👍/👎 button route (bot.core.understanding.answer).
FEEDBACK_ROUTE = "faqfb"
#: The line above a step shown again.
BACK = N_("Back to where we were 👇")
#: The language buttons' payloads (see bot.core.flows.basics).
LANGUAGE_PAYLOAD = "lang:set:{code}"


# --------------------------------------------------------------------------- the prompt


def _encode(reply: Reply) -> dict[str, Any]:
    rows = [
        [
            {"label": b.label, "payload": b.payload}
            if b.payload is not None
            else {"label": b.label, "url": b.url}
            for b in row
        ]
        for row in reply.buttons
    ]
    prompt: dict[str, Any] = {"text": reply.text, "rows": rows}
    if reply.request_location:
        prompt["location"] = True
    if reply.quiz is not None:
        q = reply.quiz
        prompt["quiz"] = {
            "question": q.question,
            "options": list(q.options),
            "correct": q.correct,
            "header": q.header,
            "explanation": q.explanation,
        }
    return prompt


def _gone(ctx: Context) -> bool:
    """The state row was deleted this event (the user deleted their data)."""
    state = inspect(ctx.state)
    return bool(state.deleted or state.detached)


def remember_prompt(ctx: Context, *, moved: bool = True) -> None:
    """Keep the prompt this event ended on (called by the engine after each event).

    ``moved`` says whether the conversation state was set this event: inside a flow whose step
    did not move, a reply without buttons ("tap a button, please") does not replace the step.
    When typed text got an answer with 👍/👎 buttons, the question is kept with it, scrubbed, so
    a 👎 can queue what was asked (:mod:`bot.core.flows.questions`); the next prompt replaces it.
    """
    if not ctx.replies or _gone(ctx):
        return
    asked = [r for r in ctx.replies if any(b.payload for b in r.all_buttons())]
    prompt: dict[str, Any] | None
    if asked:
        prompt = _encode(asked[-1])
    elif ctx.flow is not None and (moved or not ctx.state.prompt):
        texts = [r for r in ctx.replies if r.text]
        prompt = _encode(texts[-1]) if texts else dict(ctx.state.prompt or {}) or None
    elif ctx.flow is not None:  # the step did not move (e.g. "tap a button, please")
        prompt = {k: v for k, v in (ctx.state.prompt or {}).items() if k != "asked"}
    else:
        prompt = None
    intro = ctx._(BACK) + "\n\n"
    if prompt is not None and str(prompt.get("text", "")).startswith(intro):
        prompt["text"] = prompt["text"][len(intro) :]  # a step shown again: keep it as it was
    if prompt is not None and isinstance(ctx.event, TextEvent) and _rated(ctx.replies):
        prompt["asked"] = scrub(ctx.event.text)[:MAX_TEXT]
    if prompt != ctx.state.prompt:
        ctx.state.prompt = prompt


def _rated(replies: list[Reply]) -> bool:
    """Whether an answer in ``replies`` carries the 👍/👎 feedback buttons."""
    prefix = FEEDBACK_ROUTE + ":"
    return any((b.payload or "").startswith(prefix) for r in replies for b in r.all_buttons())


def prompt_buttons(ctx: Context) -> list[tuple[str, str]]:
    """(label, payload) of every button of the remembered prompt."""
    prompt = ctx.state.prompt or {}
    return [
        (str(b["label"]), str(b["payload"]))
        for row in prompt.get("rows", [])
        for b in row
        if b.get("payload")
    ]


def show_prompt_again(ctx: Context, intro: str | None = None) -> bool:
    """Send the remembered prompt again (``intro`` above it); False if there is none."""
    prompt = ctx.state.prompt
    if not prompt or not (prompt.get("text") or prompt.get("rows")):
        return False
    rows = [
        [
            Button(b["label"], payload=b["payload"])
            if b.get("payload")
            else Button(b["label"], url=b["url"])
            for b in row
        ]
        for row in prompt.get("rows", [])
    ]
    text = str(prompt.get("text") or "")
    if intro:
        text = f"{intro}\n\n{text}" if text else intro
    reply = ctx.reply(text, rows, request_location=bool(prompt.get("location")))
    quiz = prompt.get("quiz")
    if quiz:
        reply.quiz = QuizHint(
            question=quiz["question"],
            options=tuple(quiz["options"]),
            correct=int(quiz["correct"]),
            header=quiz.get("header", ""),
            explanation=quiz.get("explanation", ""),
        )
    return True


# --------------------------------------------------------------------------- matching


def label_keys(label: str) -> set[str]:
    """The typed forms that press a button labelled ``label``."""
    keys = {fold(label) or label.strip()}
    lettered = _LETTERED.match(label.strip())
    if lettered:
        keys.add(fold(lettered.group(1)))
    keys.discard("")
    return keys


def button_answer(label: str, locale: str) -> str | None:
    """What a button means as a reply: "Yes, remind me" → yes, "Nanti dulu" → no, "Batal" →
    cancel; ``None`` for the rest. Read from the label itself, or its first clause."""
    answer = classify_reply(label, locale)
    if answer is None:
        head = re.split(r"[,:;—–(]", label, maxsplit=1)[0]
        answer = classify_reply(head, locale) if head != label else None
    return answer


def match_label(text: str, buttons: list[tuple[str, str]]) -> str | None:
    """The payload of the one button whose label ``text`` is (emoji and case aside)."""
    key = fold(text) or text.strip()
    if not key:
        return None
    hits = {payload for label, payload in buttons if key in label_keys(label)}
    return hits.pop() if len(hits) == 1 else None


def match_answer(answer: str, buttons: list[tuple[str, str]], locale: str) -> str | None:
    """The payload of the one button meaning ``answer`` (yes or no).

    A "no" with no "no" button takes the cancel button of a yes/cancel question ("Delete my
    data?" [Yes, delete] [Cancel]).
    """
    meaning = {payload: button_answer(label, locale) for label, payload in buttons}
    hits = [p for p, m in meaning.items() if m == answer]
    if not hits and answer == "no" and "yes" in meaning.values():
        hits = [p for p, m in meaning.items() if m == "cancel"]
    return hits[0] if len(hits) == 1 else None


# --------------------------------------------------------------------------- typed text


async def take_typed(ctx: Context, event: TextEvent) -> bool:
    """Handle ``event`` as a typed button press, cancel or stop; False to let it pass on."""
    if event.in_group:
        return False
    buttons = prompt_buttons(ctx)
    payload = match_label(event.text, buttons)
    if payload is None:
        code = language_of(event.text)
        wanted = LANGUAGE_PAYLOAD.format(code=code) if code else None
        payload = next((p for _, p in buttons if p == wanted), None)
    answer = classify_reply(event.text, ctx.locale) if payload is None else None
    if answer in ("yes", "no"):
        payload = match_answer(answer, buttons, ctx.locale)
    if payload is not None:
        await ctx.log("typed", "button", route=payload.split(":", 1)[0][:32])
        ctx.event = ButtonEvent(
            user=event.user,
            language_code=event.language_code,
            first_name=event.first_name,
            in_group=event.in_group,
            payload=payload,
        )
        await ctx.core.dispatch(ctx)
        return True
    if answer in ("cancel", "stop") and ctx.flow is not None:
        await leave_flow(ctx, answer)
        return True
    return False


async def leave_flow(ctx: Context, why: str) -> None:
    """End the current flow on a cancel or stop word (see the module doc)."""
    flow, step = ctx.flow, ctx.step
    hook = ctx.core.router.exits.get(flow or "")
    note = await hook(ctx) if hook is not None else None
    ctx.clear_state()
    await ctx.log("flow", "left", flow=(flow or "")[:32], step=(step or "")[:32], via=why)
    if why == "stop" and ctx.user.opted_in:
        from bot.core.flows.basics import ask_stop_reminders

        ask_stop_reminders(ctx, note)
        return
    text = note or ctx._("Okay, cancelled.")
    ctx.reply(text + "\n\n" + ctx._("What would you like to do? Pick one:"), menu_buttons(ctx.t))


# --------------------------------------------------------------------------- off script


def media_text(ctx: Context, kind: str) -> str:
    """The kind reply to media the bot cannot read (voice notes, stickers, ...)."""
    if kind in ("voice", "audio"):
        return ctx._("I can't listen to voice notes yet 🙈 Just type your question, okay?")
    if kind in ("sticker", "animation", "gif"):
        return ctx._(
            "Nice sticker! 😄 I can only read text, though: just type your question, okay?"
        )
    return ctx._(
        "I can't open that yet 🙈 I understand text and buttons: just type your question, okay?"
    )


async def off_script(ctx: Context, reason: str) -> bool:
    """Inside a flow: answer what no step took, then show the step again. False outside one."""
    if ctx.flow is None or not ctx.state.prompt:
        return False
    event: InboundEvent = ctx.event
    if isinstance(event, UnsupportedEvent):
        text = media_text(ctx, event.kind)
    elif reason == "location":
        text = ctx._("Thanks for the location, but I don't need it right now.")
    elif reason == "stale_button":
        text = ctx._("That button is from an earlier conversation and no longer works.")
    elif reason == "unknown_command":
        text = ctx._("I don't know that command.")
    elif reason == "empty":
        text = ctx._("Your message looks empty.")
    else:
        text = ctx._("Sorry, I didn't understand that.")
    ctx.reply(text)
    return await show_step_again(ctx, reason)


async def show_step_again(ctx: Context, reason: str) -> bool:
    """Inside a flow, after an answer to something off script: the step the user was on."""
    if ctx.flow is None or not ctx.state.prompt or _gone(ctx):
        return False
    await ctx.log("flow", "step_shown_again", flow=ctx.flow[:32], reason=reason[:32])
    return show_prompt_again(ctx, ctx._(BACK))
