"""Reply to free text that no flow step took: answer, ask "which one?", or say we don't know.

Registered on the router as its free-text handler (see :meth:`bot.core.engine.Core.dispatch`).
Logs only the outcome (confidence, the matched target), never the text.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.flows.basics import onboarding, show_menu
from bot.core.flows.info import format_sources, show_page
from bot.core.privacy import without_contact_details
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.core.understanding import hooks
from bot.core.understanding.content import knowledge
from bot.core.understanding.faq import FaqEntry
from bot.core.understanding.index import index_for
from bot.core.understanding.intents import Intent
from bot.core.understanding.language import guess_locale
from bot.core.understanding.model import Match, Understanding

#: What a ``flow:<name>`` link opens: (command to run, button label).
FLOW_COMMANDS = {
    "tps": "tps",
    "quiz": "kuis",
    "pledge": "janji",
    "report": "lapor",
    "calendar": "jadwal",
    "menu": "menu",
}
#: Topics suggested when nothing matched (FAQ or page ids; missing ones are skipped).
SUGGESTED = ("what-to-bring", "check-registration", "when-offered-money", "tps-hours")


@router.free_text
async def answer_free_text(ctx: Context, text: str) -> bool:
    """Reply to ``text`` per confidence; False when it could not answer (after saying so)."""
    first_contact = ctx.is_new_user and ctx.user.locale is None
    if ctx.user.locale is None:
        guessed = guess_locale(knowledge(ctx.content), text, ctx.core.locales)
        if guessed is not None and guessed != ctx.locale:
            ctx.t = ctx.core.translator(guessed)
    u = index_for(ctx.content).understand(without_contact_details(text), ctx.locale)
    await ctx.log(
        "understanding",
        u.confidence,
        target=u.best.label if u.best and u.confidence != "low" else None,
        first_message=first_contact,
    )
    answered = await _respond(ctx, text, u)
    if first_contact and ctx.user.locale is None:
        await onboarding(ctx)
    return answered


async def _respond(ctx: Context, text: str, u: Understanding) -> bool:
    best = u.best
    if u.confidence == "high" and best is not None:
        if best.kind == "intent":
            intent = knowledge(ctx.content).intent(best.target, ctx.locale)
            if intent is not None:
                await run_intent(ctx, intent, text, u)
                return not intent.unanswered
        elif await show_match(ctx, best):
            return True
    if u.confidence in ("high", "medium") and u.candidates:
        rows = [[b] for m in u.candidates if (b := choice_button(ctx, m)) is not None]
        if rows:
            rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
            ctx.reply(ctx._("Which one do you mean?"), rows)
            return True
    await dont_know(ctx, text, u)
    return False


async def dont_know(ctx: Context, text: str, u: Understanding) -> None:
    rows: list[list[Button]] = []
    for topic in SUGGESTED:
        button = choice_button(ctx, Match("faq", topic, 0.0)) or choice_button(
            ctx, Match("page", topic, 0.0)
        )
        if button is not None:
            rows.append([button])
        if len(rows) == 3:
            break
    ctx.reply(
        ctx._(
            "Sorry, I can't answer that yet. 🙏 I've noted it so the team can add an answer. "
            "Maybe one of these helps:"
        ),
        rows,
    )
    if ctx.user.locale is not None:  # a new user is asked their language next, not the menu
        show_menu(ctx, ctx._("Or pick from the menu:"))
    await hooks.unanswered(ctx, text, u, "low")


async def run_intent(ctx: Context, intent: Intent, text: str, u: Understanding) -> None:
    if intent.command is not None:
        info = ctx.core.router.commands.get(intent.command)
        if info is not None:
            ctx.clear_state()
            await info.handler(ctx, ())
            return
    rows: list[list[Button]] = []
    if intent.link is not None and (b := link_button(ctx, intent.link)) is not None:
        rows.append([b])
    if intent.menu and not rows:
        show_menu(ctx, intent.reply)
    else:
        rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
        ctx.reply(intent.reply or "", rows)
    if intent.unanswered:
        await hooks.unanswered(ctx, text, u, "out_of_scope")


async def show_match(ctx: Context, match: Match) -> bool:
    if match.kind == "page":
        page = ctx.content.page(match.target, ctx.locale)
        if page is None:
            return False
        await show_page(ctx, page)
        return True
    entry = knowledge(ctx.content).faq(match.target, ctx.locale)
    if entry is None:
        return False
    await show_faq(ctx, entry)
    return True


async def show_faq(ctx: Context, entry: FaqEntry) -> None:
    await ctx.log("faq", "shown", faq=entry.id)
    text = f"**{entry.meta.title}**\n\n{entry.answer}\n\n{format_sources(ctx, entry.meta.sources)}"
    rows: list[list[Button]] = []
    if entry.meta.link is not None and (b := link_button(ctx, entry.meta.link)) is not None:
        rows.append([b])
    rows.append(
        [
            Button("👍", payload=payload("faqfb", entry.id, "up")),
            Button("👎", payload=payload("faqfb", entry.id, "down")),
        ]
    )
    rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
    ctx.reply(text, rows)


def link_button(ctx: Context, link: str) -> Button | None:
    kind, _, target = link.partition(":")
    if kind == "page":
        page = ctx.content.page(target, ctx.locale)
        if page is None:
            return None
        return Button(
            "📖 " + (page.meta.short_title or page.meta.title), payload=payload("page", target)
        )
    if target == "check":
        return Button(ctx._("🔎 Check my registration"), url="https://cekdptonline.kpu.go.id")
    command = FLOW_COMMANDS.get(target)
    if command is None:
        return None
    labels = {
        "tps": ctx._("📍 Find your TPS"),
        "kuis": ctx._("🧠 Take a quiz"),
        "janji": ctx._("🤝 The pledge"),
        "lapor": ctx._("📣 Report money politics"),
        "jadwal": ctx._("📅 Countdown"),
        "menu": ctx._("🏠 Menu"),
    }
    return Button(labels[command], payload=payload("go", command))


def choice_button(ctx: Context, match: Match) -> Button | None:
    """A button for one candidate on "Which one do you mean?"."""
    if match.kind == "faq":
        entry = knowledge(ctx.content).faq(match.target, ctx.locale)
        return Button(entry.meta.title, payload=payload("faq", entry.id)) if entry else None
    if match.kind == "page":
        page = ctx.content.page(match.target, ctx.locale)
        return Button(page.meta.title, payload=payload("page", page.id)) if page else None
    intent = knowledge(ctx.content).intent(match.target, ctx.locale)
    if intent is None or intent.command is None:
        return None
    info = ctx.core.router.commands.get(intent.command)
    if info is None or not info.description:
        return None
    return Button(ctx._(info.description).capitalize(), payload=payload("go", intent.command))


# --------------------------------------------------------------------------- buttons


@router.button("faq")
async def faq_button(ctx: Context, args: list[str]) -> None:
    entry = knowledge(ctx.content).faq(args[0], ctx.locale) if len(args) == 1 else None
    if entry is None:
        raise StaleButton
    await show_faq(ctx, entry)


@router.button("go")
async def go_button(ctx: Context, args: list[str]) -> None:
    """Open a flow from an answer's button (runs the command as if it was typed)."""
    info = ctx.core.router.commands.get(args[0]) if len(args) == 1 else None
    if info is None or args[0] not in FLOW_COMMANDS.values():
        raise StaleButton
    ctx.clear_state()
    await info.handler(ctx, ())


@router.button("faqfb")
async def feedback_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[1] not in ("up", "down"):
        raise StaleButton
    entry = knowledge(ctx.content).faq(args[0], ctx.locale)
    if entry is None:
        raise StaleButton
    helpful = args[1] == "up"
    await ctx.log("faq", "helpful" if helpful else "not_helpful", faq=entry.id)
    if helpful:
        ctx.reply(ctx._("Thanks! Glad it helped. 🙌"))
        return
    ctx.reply(
        ctx._("Thanks for telling me. I've passed it on so the team can improve this answer."),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )
    best = Match("faq", entry.id, 1.0)
    await hooks.unanswered(ctx, "", Understanding("high", best, [best]), "not_helpful")
