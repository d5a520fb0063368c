"""Cek Fakta in chat: a forwarded or pasted message gets a verdict, a "did you mean?", or an
honest "not checked yet" with three checks anyone can do and an offer to pass it to the team.

Typed text nothing else took arrives here first (this module registers the router's free-text
handler and hands everything that is not a claim to the understanding layer's
:func:`~bot.core.understanding.answer.answer_free_text`). A question is not a claim: short text
the understanding layer answers with confidence goes there, unless it repeats a checked claim
almost word for word. A long text, a forward (header or chain-letter noise) or a link is a claim.
``/cek`` and the menu's "Cek Fakta" check whatever comes next, text or picture. A photo sent with
a caption is read like its caption (after its perceptual hash, where the flow downloaded it).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import TextEvent, UnsupportedEvent, caption_text
from bot.core.factcheck.content import VERDICT_ICONS, VERDICT_LABELS
from bot.core.factcheck.images import match_image
from bot.core.factcheck.index import CheckResult
from bot.core.factcheck.library import ClaimView, check_all, view
from bot.core.factcheck.queue import follow, queue_unknown, record_sighting
from bot.core.factcheck.scrub import scrub
from bot.core.factcheck.text import looks_forwarded
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.core.understanding import understand
from bot.core.understanding.answer import answer_free_text

FLOW = "factcheck"
#: A text this long (in words) is a forwarded statement, not a typed question.
LONG_WORDS = 20
#: A short typed text needs this many words to be taken for a claim at all ...
MIN_WORDS = 4
#: ... and, when the understanding layer could answer it as a question, this claim score.
SURE = 0.75
#: The "did you mean?" buttons show at most this much of a claim's title.
BUTTON_TITLE = 40

menu_item("factcheck", N_("🔎 Fact check"), "fc", order=38)


def is_claim_like(text: str, result: CheckResult) -> bool:
    """A forward, a long statement or a text with a link is handled as a claim."""
    return bool(looks_forwarded(text) or len(text.split()) >= LONG_WORDS or result.urls)


@router.free_text
async def free_text(ctx: Context, text: str) -> bool:
    """Claims first, then everything else to the understanding layer."""
    result = await check_all(ctx.session, ctx.content, text, ctx.locale)
    if is_claim_like(text, result) and (result.words or result.urls):
        await respond_to_claim(ctx, text, result)
        return True
    if result.confidence != "unknown" and len(result.words) >= MIN_WORDS:
        # A short typed text: a question when the understanding layer answers it with
        # confidence, unless it repeats a checked claim almost word for word.
        u = understand(text, ctx.locale, store=ctx.content)
        best = result.best
        if result.confidence == "high" and best is not None:
            if u.confidence != "high" or best.score >= SURE:
                await show_verdict(ctx, best.claim_id, via="text")
                return True
        elif u.confidence == "low":
            await did_you_mean(ctx, text, result)
            return True
    return await answer_free_text(ctx, text)


async def respond_to_claim(ctx: Context, text: str, result: CheckResult) -> None:
    if result.confidence == "high" and result.best is not None:
        await show_verdict(ctx, result.best.claim_id, via="text")
    elif result.confidence == "medium":
        await did_you_mean(ctx, text, result)
    else:
        await not_checked_yet(ctx, text, result)


# --------------------------------------------------------------------------- answers


def format_sources(ctx: Context, sources: tuple[tuple[str, str | None], ...]) -> str:
    parts = [f"[{escape(t)}]({u})" if u else escape(t) for t, u in sources]
    return "_" + ctx._("Sources:") + "_ " + "; ".join(parts)


def verdict_text(ctx: Context, claim: ClaimView) -> str:
    label = ctx._(VERDICT_LABELS.get(claim.verdict, "UNPROVEN"))
    icon = VERDICT_ICONS.get(claim.verdict, "❔")
    checked = ctx._("Checked: {date}").format(date=claim.checked.isoformat())
    return (
        f"{icon} **{label}**: {escape(claim.title)}\n\n{claim.explanation}\n\n"
        f"{format_sources(ctx, claim.sources)}\n_{checked}_"
    )


def verdict_buttons(ctx: Context, claim: ClaimView) -> list[list[Button]]:
    return [
        [Button(ctx._("📋 Reply for the group"), payload=payload("fcr", claim.id))],
        [Button(ctx._("🏠 Menu"), payload="menu")],
    ]


async def show_verdict(ctx: Context, claim_id: str, *, via: str) -> None:
    claim = await view(ctx.session, ctx.content, claim_id, ctx.locale)
    if claim is None:
        raise StaleButton
    ctx.clear_state()
    if via == "text" and caption_text(ctx.event) is not None:
        via = "caption"
    await ctx.log("factcheck", "verdict", claim=claim.id, verdict=claim.verdict, via=via)
    await record_sighting(ctx.session, ctx.user, day=ctx.now().date(), claim_id=claim.id)
    ctx.reply(verdict_text(ctx, claim), verdict_buttons(ctx, claim))


async def did_you_mean(ctx: Context, text: str, result: CheckResult) -> None:
    rows: list[list[Button]] = []
    for cand in result.candidates:
        claim = await view(ctx.session, ctx.content, cand.claim_id, ctx.locale)
        if claim is not None:
            title = claim.title if len(claim.title) <= BUTTON_TITLE else claim.title[:39] + "…"
            rows.append([Button(title, payload=payload("fcc", claim.id))])
    await ctx.log("factcheck", "did_you_mean", choices=len(rows))
    remember(ctx, text, result)
    rows.append([Button(ctx._("None of these"), payload=payload("fcq", "none"))])
    ctx.reply(ctx._("Do you mean this claim?"), rows)


def remember(ctx: Context, text: str, result: CheckResult) -> None:
    """Keep the scrubbed claim until the user decides whether to pass it to the team."""
    ctx.set_state(
        FLOW,
        "offer",
        text=scrub(text),
        words=" ".join(result.words)[:600],
        urls=result.urls[:10],
    )


async def not_checked_yet(ctx: Context, text: str, result: CheckResult) -> None:
    await ctx.log("factcheck", "unknown")
    remember(ctx, text, result)
    ctx.reply(
        ctx._(
            "I haven't got a check of this claim yet, so I can't say whether it's true. 🙏\n\n"
            "Three checks anyone can do:\n"
            "1. Search its key words on cekfakta.com or turnbackhoax.id.\n"
            "2. Look for it on the official sites (kpu.go.id, bawaslu.go.id): official news "
            "never comes only from a chain message, a random WhatsApp number or an APK file.\n"
            "3. Check the date and the source: old photos and videos are often shared again, and "
            'a message that shouts "SPREAD THIS!" deserves extra doubt.\n\n'
            "Shall I pass it to our fact-checking team? Personal data (NIK, phone numbers, "
            "names) is removed first."
        ),
        [
            [Button(ctx._("📨 Send to the team"), payload=payload("fcq", "send"))],
            [Button(ctx._("🔔 Send and tell me"), payload=payload("fcq", "follow"))],
            [Button(ctx._("🏠 Menu"), payload="menu")],
        ],
    )


# --------------------------------------------------------------------------- /cek


async def start_check(ctx: Context) -> None:
    ctx.set_state(FLOW, "await")
    await ctx.log("factcheck", "start")
    ctx.reply(
        ctx._(
            "Paste or forward the message you want checked, or send its picture. 🔎 I'll compare "
            "it with the claims checked by KPU, Bawaslu and fact-checkers."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


@router.command("cek", description=N_("check a forwarded message"), aliases=("cekfakta",), order=38)
async def cek_command(ctx: Context, args: tuple[str, ...]) -> None:
    if args:
        text = " ".join(args)
        result = await check_all(ctx.session, ctx.content, text, ctx.locale)
        await respond_to_claim(ctx, text, result)
        return
    await start_check(ctx)


@router.keyword("cek fakta", "cekfakta", "cek hoaks", "fact check")
async def cek_keyword(ctx: Context) -> None:
    await start_check(ctx)


@router.button("fc")
async def cek_button(ctx: Context, args: list[str]) -> None:
    ctx.clear_state()
    await start_check(ctx)


@router.state(FLOW, media_steps=("await",))
async def factcheck_state(ctx: Context, event: object) -> bool:
    if ctx.step == "offer":
        # The scrubbed claim waits only for the next step: anything else forgets it.
        ctx.clear_state()
        return False
    if ctx.step != "await":
        return False
    if isinstance(event, TextEvent) and event.text.strip():
        result = await check_all(ctx.session, ctx.content, event.text, ctx.locale)
        await respond_to_claim(ctx, event.text, result)
        return True
    if isinstance(event, UnsupportedEvent) and event.kind == "photo":
        claim_id = match_image(ctx.content, event.data) if event.data else None
        if claim_id is not None:
            await show_verdict(ctx, claim_id, via="image")
            return True
        caption = caption_text(event)
        if caption is not None:
            # A picture we don't know, sent with its caption: the caption is the claim.
            result = await check_all(ctx.session, ctx.content, caption, ctx.locale)
            await respond_to_claim(ctx, caption, result)
            return True
        await ctx.log("factcheck", "image_unknown")
        ctx.reply(
            ctx._(
                "I don't know this picture from any checked claim. Send me the text or the "
                "caption that came with it and I'll check that."
            ),
            [[Button(ctx._("🏠 Menu"), payload="menu")]],
        )
        return True
    return False


# --------------------------------------------------------------------------- buttons


@router.button("fcc")
async def choose_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 1:
        raise StaleButton
    await show_verdict(ctx, args[0], via="choice")


@router.button("fcr")
async def reply_button(ctx: Context, args: list[str]) -> None:
    """Send the paste-back reply alone, so it can be forwarded to the family group as it is."""
    claim = await view(ctx.session, ctx.content, args[0], ctx.locale) if len(args) == 1 else None
    if claim is None:
        raise StaleButton
    await ctx.log("factcheck", "reply_copied", claim=claim.id)
    ctx.reply(claim.reply)


@router.button("fcq")
async def queue_button(ctx: Context, args: list[str]) -> None:
    """Pass the remembered claim to the team (``send``), and keep a link if ``follow``."""
    if len(args) != 1 or ctx.flow != FLOW or ctx.step != "offer":
        raise StaleButton
    data = ctx.data
    if args[0] == "none":
        ctx.reply(
            ctx._("Okay. Shall I pass your message to our fact-checking team?"),
            [
                [Button(ctx._("📨 Send to the team"), payload=payload("fcq", "send"))],
                [Button(ctx._("🔔 Send and tell me"), payload=payload("fcq", "follow"))],
                [Button(ctx._("🏠 Menu"), payload="menu")],
            ],
        )
        return
    if args[0] not in ("send", "follow"):
        raise StaleButton
    report = await queue_unknown(
        ctx.session,
        text=str(data.get("text", "")),
        words=str(data.get("words", "")),
        urls=[str(u) for u in data.get("urls", [])],
        locale=ctx.locale,
        now=ctx.now(),
    )
    await record_sighting(ctx.session, ctx.user, day=ctx.now().date(), report_id=report.id)
    ctx.clear_state()
    if args[0] == "follow":
        await follow(ctx.session, report, ctx.user)
        await ctx.log("factcheck", "queued", follow=True)
        ctx.reply(
            ctx._(
                "Thanks! 🙏 The team has it now. I'll tell you once, when its verdict is out. "
                "You can undo this any time with /hapus."
            ),
            [[Button(ctx._("🏠 Menu"), payload="menu")]],
        )
        return
    await ctx.log("factcheck", "queued", follow=False)
    ctx.reply(
        ctx._("Thanks! 🙏 The team has it now. Checked claims are added to what I know."),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )
