"""Suara Muda polls in the chat: open one (menu, ``/polling``, "ada polling?" or the invitation's
button), answer each question by button or by typing, skip ("lewati"), change an answer until
the poll closes, give an age band once (optional) and say whether to hear the results.

Buttons: ``poll`` (list / open), ``pq`` (answer), ``pt`` (toggle a multiple choice), ``pd``
(multiple choice done), ``ps`` (skip), ``pc`` (change an answer), ``pa`` (age band), ``pn``
(hear the results: y/n).
"""

from __future__ import annotations

import re

from bot.core import consent
from bot.core.context import Context
from bot.core.events import TextEvent
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import more_item
from bot.core.polls import closing, store, typed
from bot.core.polls.links import results_link
from bot.core.polls.render import (
    AGE_LABELS,
    answer_text,
    button_labels,
    localized,
    option_labels,
    question_text,
)
from bot.core.polls.spec import MULTI, OPEN, OPEN_MAX, SCALE, SINGLE, Question
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.core.timezones import WIB
from bot.db.models_poll import APPROVED, Poll, PollRespondent

FLOW = "poll"
#: Words that leave a poll for the menu (and go on to their usual handlers).
LEAVE = frozenset({"menu", "batal", "cancel", "stop", "berhenti", "keluar"})
YES = frozenset({"ya", "iya", "yes", "y", "mau", "boleh", "ok", "oke", "okay", "yup", "sip"})
NO = frozenset({"tidak", "nggak", "gak", "ga", "no", "n", "enggak", "gak usah", "nggak usah"})

assert closing.INVITE_PREFIX  # imported for the invitation's button (bot.core.broadcasts)

more_item("polls", N_("🗳️ Suara Muda polls"), "poll", order=5)


def menu_row(ctx: Context) -> list[Button]:
    return [Button(ctx._("🏠 Menu"), payload="menu")]


@router.command(
    "polling", description=N_("answer a Suara Muda poll"), aliases=("poll", "survei"), order=45
)
async def polling_command(ctx: Context, args: tuple[str, ...]) -> None:
    await show_polls(ctx)


@router.keyword(
    "ada polling", "polling", "polls", "poll", "survei", "ada survei", "suara muda", "any polls"
)
async def polling_keyword(ctx: Context) -> None:
    await show_polls(ctx)


@router.button("poll")
async def poll_button(ctx: Context, args: list[str]) -> None:
    if not args:
        await show_polls(ctx)
        return
    poll = await _poll(ctx, args[0])
    await start(ctx, poll)


async def _poll(ctx: Context, poll_id: str) -> Poll:
    try:
        return await store.get_poll(ctx.session, poll_id)
    except store.PollError:
        raise StaleButton from None


def closes_on(ctx: Context, poll: Poll) -> str:
    return ctx.t.date(poll.closes_at.astimezone(WIB).date())


async def show_polls(ctx: Context) -> None:
    polls = await store.open_polls(ctx.session, ctx.now())
    if len(polls) == 1:
        await start(ctx, polls[0])
        return
    if not polls:
        link = results_link(ctx.settings, None)
        rows = [[Button(ctx._("📊 Earlier results"), url=link)]] if link else []
        ctx.reply(
            ctx._("No poll is open right now. I'll let you know when there is one!"),
            [*rows, menu_row(ctx)],
        )
        return
    rows = [[Button(p.title[:60], payload=payload("poll", p.id))] for p in polls]
    ctx.reply(ctx._("Which poll would you like to answer?"), [*rows, menu_row(ctx)])


async def start(ctx: Context, poll: Poll) -> None:
    if poll.status == APPROVED and ctx.now() < poll.opens_at:
        when = ctx.t.date(poll.opens_at.astimezone(WIB).date())
        ctx.reply(
            ctx._("This poll opens on {date}. See you then!").format(date=when), [menu_row(ctx)]
        )
        return
    if not store.is_open(poll, ctx.now()):
        await closed(ctx, poll)
        return
    resp = await store.respondent(ctx.session, poll, ctx.user, ctx.locale)
    assert resp is not None
    done = await store.answers(ctx.session, resp)
    if not done:
        await ctx.log("poll", "poll_started", poll_id=poll.id)
        intro = localized(poll.spec.get("intros", {}), ctx.locale, ctx.settings.default_locale)
        if intro:
            ctx.reply(intro)
    questions = store.questions(poll)
    left = [i for i in range(len(questions)) if i not in done]
    if left:
        await ask(ctx, poll, left[0])
    else:
        await summary(ctx, poll, resp)


async def closed(ctx: Context, poll: Poll) -> None:
    ctx.clear_state()
    link = results_link(ctx.settings, poll.id) if poll.status == "closed" else None
    text = ctx._("This poll is closed. Thank you to everyone who answered!")
    rows = [[Button(ctx._("📊 See the results"), url=link)]] if link else []
    ctx.reply(text, [*rows, menu_row(ctx)])


async def ask(
    ctx: Context,
    poll: Poll,
    index: int,
    *,
    selected: int | None = None,
    review: bool = False,
    replace: bool = False,
) -> None:
    """Show question ``index`` (with the current answer, if any); ``selected`` is the
    multiple-choice ticks so far (None: start from the stored answer)."""
    questions = store.questions(poll)
    q = questions[index]
    labels = option_labels(q, ctx.locale, ctx.settings.default_locale, ctx._)
    resp = await store.respondent(ctx.session, poll, ctx.user, ctx.locale, create=False)
    done = await store.answers(ctx.session, resp) if resp is not None else {}
    current = answer_text(q, done[index], labels, ctx._) if index in done else None
    if selected is None:
        stored = done.get(index)
        selected = stored if q.kind == MULTI and stored is not None else 0
    text = question_text(
        q, index, len(questions), ctx.locale, ctx.settings.default_locale, ctx._, current
    )
    shown = button_labels(q, labels, selected)
    rows: list[list[Button]] = []
    if q.kind in (SINGLE, SCALE):
        base = 1 if q.kind == SCALE else 0
        rows = [
            [Button(s, payload=payload("pq", poll.id, index, i + base))]
            for i, s in enumerate(shown)
        ]
    elif q.kind == MULTI:
        rows = [[Button(s, payload=payload("pt", poll.id, index, i))] for i, s in enumerate(shown)]
        rows.append([Button(ctx._("✔️ Done"), payload=payload("pd", poll.id, index))])
    rows.append([Button(ctx._("⏭️ Skip"), payload=payload("ps", poll.id, index))])
    ctx.set_state(FLOW, "q", poll=poll.id, q=index, sel=selected, review=review)
    ctx.reply(text, rows, replace=replace)


async def _answer(ctx: Context, poll: Poll, index: int, value: int | None, text: str = "") -> None:
    if not store.is_open(poll, ctx.now()):
        await closed(ctx, poll)
        return
    questions = store.questions(poll)
    if not 0 <= index < len(questions):
        raise StaleButton
    q = questions[index]
    review = bool(ctx.data.get("review")) and ctx.data.get("poll") == poll.id
    resp = await store.respondent(ctx.session, poll, ctx.user, ctx.locale)
    assert resp is not None
    changed = await store.record(ctx.session, resp, index, q, value, text or None)
    name = "question_skipped" if value is None else "question_answered"
    await ctx.log("poll", name, poll_id=poll.id, question=q.id, changed=changed)
    if value is not None and changed:
        ctx.reply(ctx._("Changed. ✅"))
    done = await store.answers(ctx.session, resp)
    left = [i for i in range(len(questions)) if i not in done]
    later = [i for i in left if i > index]
    if review or not left:
        await finish(ctx, poll, resp)
    else:
        await ask(ctx, poll, (later or left)[0])


def _args(args: list[str], count: int) -> tuple[str, int, int]:
    if len(args) != count or not all(a.isdigit() for a in args[1:]):
        raise StaleButton
    return args[0], int(args[1]), int(args[2]) if count == 3 else 0


@router.button("pq")
async def answer_button(ctx: Context, args: list[str]) -> None:
    poll_id, index, value = _args(args, 3)
    poll = await _poll(ctx, poll_id)
    q = store.questions(poll)[index] if index < len(store.questions(poll)) else None
    if q is None or q.kind not in (SINGLE, SCALE) or not 0 <= value - (q.kind == SCALE) < q.choices:
        raise StaleButton
    await _answer(ctx, poll, index, value)


@router.button("pt")
async def toggle_button(ctx: Context, args: list[str]) -> None:
    poll_id, index, option = _args(args, 3)
    poll = await _poll(ctx, poll_id)
    questions = store.questions(poll)
    if index >= len(questions) or questions[index].kind != MULTI:
        raise StaleButton
    if not store.is_open(poll, ctx.now()):
        await closed(ctx, poll)
        return
    same = ctx.flow == FLOW and ctx.data.get("poll") == poll_id and ctx.data.get("q") == index
    selected = int(ctx.data.get("sel", 0)) if same else 0
    if option >= questions[index].choices:
        raise StaleButton
    selected ^= 1 << option
    review = bool(ctx.data.get("review")) if same else False
    await ask(ctx, poll, index, selected=selected, review=review, replace=True)


@router.button("pd")
async def done_button(ctx: Context, args: list[str]) -> None:
    poll_id, index, _ = _args(args, 2)
    poll = await _poll(ctx, poll_id)
    same = ctx.flow == FLOW and ctx.data.get("poll") == poll_id and ctx.data.get("q") == index
    selected = int(ctx.data.get("sel", 0)) if same else 0
    if not selected:
        ctx.reply(ctx._("Tick at least one answer first, or skip the question."))
        return
    await _answer(ctx, poll, index, selected)


@router.button("ps")
async def skip_button(ctx: Context, args: list[str]) -> None:
    poll_id, index, _ = _args(args, 2)
    await _answer(ctx, await _poll(ctx, poll_id), index, None)


@router.button("pc")
async def change_button(ctx: Context, args: list[str]) -> None:
    if not args:
        raise StaleButton
    poll = await _poll(ctx, args[0])
    if not store.is_open(poll, ctx.now()):
        await closed(ctx, poll)
        return
    questions = store.questions(poll)
    if len(args) == 2 and args[1].isdigit() and int(args[1]) < len(questions):
        await ask(ctx, poll, int(args[1]), review=True)
        return
    rows = [
        [
            Button(
                f"{i + 1}. {localized(q.text, ctx.locale, ctx.settings.default_locale)[:50]}",
                payload=payload("pc", poll.id, i),
            )
        ]
        for i, q in enumerate(questions)
    ]
    ctx.reply(ctx._("Which answer would you like to change?"), [*rows, menu_row(ctx)])


async def finish(ctx: Context, poll: Poll, resp: PollRespondent) -> None:
    if resp.completed_at is None:
        resp.completed_at = ctx.now()
        await ctx.log("poll", "poll_completed", poll_id=poll.id)
    if await store.age_band(ctx.session, ctx.user.id) is None:
        ctx.set_state(FLOW, "age", poll=poll.id)
        rows = [
            [Button(label, payload=payload("pa", poll.id, band))]
            for band, label in AGE_LABELS.items()
        ]
        rows.append([Button(ctx._("Rather not say"), payload=payload("pa", poll.id, "-"))])
        ctx.reply(
            ctx._(
                "Thanks! One optional question, asked only once: how old are you? Just the "
                "range, never your birth date. It helps show what each age group needs."
            ),
            rows,
        )
        return
    if resp.notify is None:
        ctx.set_state(FLOW, "notify", poll=poll.id)
        ctx.reply(
            ctx._(
                "Want to hear the results? When the poll closes I'll send you ONE message with "
                "your area's result next to the national one."
            ),
            [
                [Button(ctx._("🔔 Yes, tell me"), payload=payload("pn", poll.id, "y"))],
                [Button(ctx._("No, thanks"), payload=payload("pn", poll.id, "n"))],
            ],
        )
        return
    await summary(ctx, poll, resp)


async def summary(ctx: Context, poll: Poll, resp: PollRespondent) -> None:
    ctx.clear_state()
    text = ctx._("🙏 Thanks, your answers are saved! You can change them until {date}.").format(
        date=closes_on(ctx, poll)
    )
    if resp.notify:
        text += "\n" + ctx._("I'll send you the results when the poll closes.")
    ctx.reply(
        text,
        [[Button(ctx._("✏️ Change an answer"), payload=payload("pc", poll.id))], menu_row(ctx)],
    )


@router.button("pa")
async def age_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or (args[1] != "-" and args[1] not in AGE_LABELS):
        raise StaleButton
    await _age(ctx, await _poll(ctx, args[0]), None if args[1] == "-" else args[1])


async def _age(ctx: Context, poll: Poll, band: str | None) -> None:
    await store.set_age_band(ctx.session, ctx.user, band)
    await ctx.log("poll", "age_band", given=band is not None)
    resp = await store.respondent(ctx.session, poll, ctx.user, ctx.locale, create=False)
    if resp is None:
        raise StaleButton
    await ctx.session.refresh(resp)
    await finish(ctx, poll, resp)


@router.button("pn")
async def notify_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[1] not in ("y", "n"):
        raise StaleButton
    await _notify(ctx, await _poll(ctx, args[0]), args[1] == "y")


async def _notify(ctx: Context, poll: Poll, yes: bool) -> None:
    resp = await store.respondent(ctx.session, poll, ctx.user, ctx.locale, create=False)
    if resp is None:
        raise StaleButton
    resp.notify = yes
    if yes:
        await consent.grant(ctx.session, ctx.user, consent.POLL_RESULTS)
    await ctx.log("poll", "results_opt_in" if yes else "results_declined", poll_id=poll.id)
    await summary(ctx, poll, resp)


def age_band_of(text: str) -> str | None:
    """A band from "22", "21-25", "21–25", "30+" or "umur 19 tahun"; the age is not kept."""
    numbers = [int(n) for n in re.findall(r"\d{1,3}", text)]
    if not numbers:
        return None
    age = numbers[0]
    if "+" in text and age == 30:
        return "30+"
    for band, (low, high) in {"17-20": (17, 20), "21-25": (21, 25), "26-30": (26, 30)}.items():
        if low <= age <= high:
            return band
    return "30+" if 30 < age < 120 else None


@router.state(FLOW)
async def typed_answer(ctx: Context, event: object) -> bool:
    if not isinstance(event, TextEvent) or ctx.data.get("poll") is None:
        return False
    text = event.text.strip()
    if typed.fold(text) in LEAVE:
        return False
    poll = await _poll(ctx, str(ctx.data["poll"]))
    if ctx.step == "age":
        band = None if typed.is_skip(text) else age_band_of(text)
        if band is None and not typed.is_skip(text):
            ctx.reply(ctx._("Tap one of the ranges, or “Rather not say”."))
            return True
        await _age(ctx, poll, band)
        return True
    if ctx.step == "notify":
        word = typed.fold(text)
        if word not in YES | NO:
            return False
        await _notify(ctx, poll, word in YES)
        return True
    index = int(ctx.data.get("q", 0))
    questions = store.questions(poll)
    if index >= len(questions):
        return False
    q = questions[index]
    if typed.is_skip(text):
        await _answer(ctx, poll, index, None)
        return True
    value = _typed_value(ctx, q, text)
    if value is None:
        ctx.reply(_hint(ctx, q))
        return True
    if q.kind == OPEN and len(text) > OPEN_MAX:
        ctx.reply(ctx._("That's a bit long: please keep it under 280 characters."))
        return True
    await _answer(ctx, poll, index, value, text if q.kind == OPEN else "")
    return True


def _typed_value(ctx: Context, q: Question, text: str) -> int | None:
    labels = option_labels(q, ctx.locale, ctx.settings.default_locale, ctx._)
    if q.kind == SCALE:
        return typed.scale_value(text)
    if q.kind == SINGLE:
        return typed.single_choice(text, labels)
    if q.kind == MULTI:
        return typed.multi_choice(text, labels)
    return 1 if text else None


def _hint(ctx: Context, q: Question) -> str:
    if q.kind == SCALE:
        return ctx._("I didn't get that. Type a number from 1 to 5, or “lewati” to skip.")
    letters = typed.LETTERS[: len(q.options)].upper()
    return ctx._("I didn't get that. Type a letter ({first}–{last}), or “lewati” to skip.").format(
        first=escape(letters[0]), last=escape(letters[-1])
    )
