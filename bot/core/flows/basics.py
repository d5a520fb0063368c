"""Start (onboarding), menu, help, language, about, broadcast opt-in and the fallback."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_buttons, menu_item
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.db import repo

menu_item("language", N_("🌐 Language"), "lang", order=900)
menu_item("about", N_("ℹ️ About"), "about", order=910)


def show_menu(ctx: Context, intro: str | None = None, *, replace: bool = False) -> None:
    text = intro or ctx._("What would you like to do? Pick one:")
    ctx.reply(text, menu_buttons(ctx._), replace=replace)


def language_buttons(ctx: Context) -> list[list[Button]]:
    return [
        [Button(ctx.t.language_name(code), payload=payload("lang", "set", code))]
        for code in sorted(ctx.core.locales, key=lambda c: (c != ctx.settings.default_locale, c))
    ]


# --------------------------------------------------------------------------- start & menu


@router.command("start", description=N_("start over and show the menu"), order=0)
async def start(ctx: Context, args: tuple[str, ...]) -> None:
    if args:
        token = args[0]
        for prefix, handler in ctx.core.router.deep_links.items():
            if token.startswith(prefix):
                await handler(ctx, args)
                break
        else:
            await ctx.log("deep_link", "unknown", length=len(token))
    await ctx.log("flow", "start", returning=ctx.user.locale is not None)
    if ctx.user.locale is None:
        await onboarding(ctx)
        return
    show_menu(
        ctx,
        ctx._(
            "Welcome back! 👋 I'm **Teman Pemilih**, your friend for the election. "
            "What would you like to do?"
        ),
    )


async def onboarding(ctx: Context) -> None:
    ctx.reply(
        ctx._(
            "Hi! 👋 I'm **Teman Pemilih**, your friend for the election.\n\n"
            "I can help you get ready to vote: what to bring to the polling station (TPS), how to "
            "check you're registered, and why you should say no to money politics."
        )
    )
    ctx.reply(ctx._("First, choose your language:"), language_buttons(ctx))


@router.command("menu", description=N_("main menu"), order=1)
async def menu_command(ctx: Context, args: tuple[str, ...]) -> None:
    show_menu(ctx)


@router.button("menu")
async def menu_button(ctx: Context, args: list[str]) -> None:
    ctx.clear_state()
    show_menu(ctx)


@router.keyword("menu", "halo", "hai", "hi", "hello", "hallo", "hey", "p")
async def greeting(ctx: Context) -> None:
    if ctx.user.locale is None:
        await onboarding(ctx)
        return
    show_menu(ctx, ctx._("Hi! 👋 What would you like to do?"))


@router.keyword("start", "mulai")
async def start_keyword(ctx: Context) -> None:
    """START / MULAI: a greeting, and the way back in for someone who opted out of reminders."""
    if ctx.user.locale is not None and ctx.user.opt_in_asked and not ctx.user.opted_in:
        await subscribe(ctx, via="keyword")
        return
    await greeting(ctx)


# --------------------------------------------------------------------------- language


@router.command("bahasa", description=N_("change language"), aliases=("language", "lang"), order=80)
async def language_command(ctx: Context, args: tuple[str, ...]) -> None:
    if args and args[0].lower() in ctx.core.locales:
        await set_language(ctx, args[0].lower())
        return
    ctx.reply(ctx._("Choose your language:"), language_buttons(ctx))


@router.button("lang")
async def language_button(ctx: Context, args: list[str]) -> None:
    if not args:
        ctx.reply(ctx._("Choose your language:"), language_buttons(ctx), replace=True)
        return
    if len(args) != 2 or args[0] != "set" or args[1] not in ctx.core.locales:
        raise StaleButton
    await set_language(ctx, args[1])


async def set_language(ctx: Context, code: str) -> None:
    first_time = ctx.user.locale is None
    ctx.user.locale = code
    ctx.t = ctx.core.translator(code)
    await ctx.log("settings", "language", locale=code, first_time=first_time)
    ctx.reply(ctx._("Okay, I'll talk to you in {language}.").format(language=ctx.t.language_name()))
    if not ctx.user.opt_in_asked:
        ask_opt_in(ctx)
        return
    show_menu(ctx)


# --------------------------------------------------------------------------- broadcast opt-in


def ask_opt_in(ctx: Context) -> None:
    ctx.reply(
        ctx._(
            "Can I send you the occasional important reminder, like when to check your "
            "registration or that voting day is tomorrow? You can stop them any time."
        ),
        [
            [
                Button(ctx._("✅ Yes, remind me"), payload=payload("optin", "yes")),
                Button(ctx._("Not now"), payload=payload("optin", "no")),
            ]
        ],
    )


@router.button("optin")
async def opt_in_button(ctx: Context, args: list[str]) -> None:
    if args not in (["yes"], ["no"]):
        raise StaleButton
    yes = args == ["yes"]
    await repo.set_opt_in(ctx.session, ctx.user.id, yes)
    ctx.user.opted_in, ctx.user.opt_in_asked = yes, True
    await ctx.log("settings", "broadcast_opt_in" if yes else "broadcast_opt_out", via="onboarding")
    if yes:
        text = ctx._("Great, I'll only message you when it matters. 🙌")
    else:
        text = ctx._("No problem, I won't send you reminders.")
    show_menu(ctx, text + "\n\n" + ctx._("What would you like to do? Pick one:"))


@router.command(
    "berhenti", description=N_("stop reminders"), aliases=("stop", "unsubscribe"), order=85
)
async def unsubscribe_command(ctx: Context, args: tuple[str, ...]) -> None:
    await unsubscribe(ctx, via="command")


@router.keyword("stop", "berhenti", "unsubscribe", "stop pengingat", "jangan kirim lagi")
async def unsubscribe_keyword(ctx: Context) -> None:
    await unsubscribe(ctx, via="keyword")


async def unsubscribe(ctx: Context, *, via: str) -> None:
    was = ctx.user.opted_in
    await repo.set_opt_in(ctx.session, ctx.user.id, False)
    ctx.user.opted_in, ctx.user.opt_in_asked = False, True
    await ctx.log("settings", "broadcast_opt_out", via=via, was_opted_in=was)
    ctx.reply(
        ctx._(
            "Done: I won't send you reminders any more. You can still chat with me any time. "
            "To get reminders again, send /subscribe or START."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


@router.command("langganan", description=N_("get reminders"), aliases=("subscribe",), order=86)
async def subscribe_command(ctx: Context, args: tuple[str, ...]) -> None:
    await subscribe(ctx, via="command")


async def subscribe(ctx: Context, *, via: str) -> None:
    await repo.set_opt_in(ctx.session, ctx.user.id, True)
    ctx.user.opted_in, ctx.user.opt_in_asked = True, True
    await ctx.log("settings", "broadcast_opt_in", via=via)
    ctx.reply(
        ctx._(
            "You're subscribed: I'll send you the occasional important reminder. "
            "Send /stop or STOP any time to stop them."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


# --------------------------------------------------------------------------- help & about


@router.command("bantuan", description=N_("what I can do"), aliases=("help",), order=90)
async def help_command(ctx: Context, args: tuple[str, ...]) -> None:
    await send_help(ctx)


@router.keyword("help", "bantuan", "tolong")
async def help_keyword(ctx: Context) -> None:
    await send_help(ctx)


@router.button("help")
async def help_button(ctx: Context, args: list[str]) -> None:
    await send_help(ctx)


async def send_help(ctx: Context) -> None:
    lines = [
        f"/{escape(info.name_for(ctx.locale))} — {ctx._(info.description)}"
        for info in ctx.core.router.visible_commands()
    ]
    ctx.reply(
        ctx._("Here's what you can ask me. Tap a button or type a command:")
        + "\n\n"
        + "\n".join(lines),
        menu_buttons(ctx._),
    )


@router.command("tentang", description=N_("about this bot and your privacy"), aliases=("about",))
async def about_command(ctx: Context, args: tuple[str, ...]) -> None:
    await send_about(ctx)


@router.button("about")
async def about_button(ctx: Context, args: list[str]) -> None:
    await send_about(ctx)


async def send_about(ctx: Context) -> None:
    ctx.reply(
        ctx._(
            '**Teman Pemilih** ("the voter\'s friend") is an open-source chatbot for young '
            "voters, run by civil-society groups, campuses and election bodies.\n\n"
            "**Your privacy:** I never ask for your NIK (national ID number). I keep as little "
            "about you as I can: your language and your choices in this chat, never what you "
            "type. Facts I tell you come with their sources."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


# --------------------------------------------------------------------------- fallback


@router.fallback
async def fallback(ctx: Context) -> None:
    reason = ctx.fallback_reason
    if ctx.user.locale is None and reason in ("not_understood", "empty"):
        await onboarding(ctx)
        return
    if reason == "stale_button":
        text = ctx._("That button is from an earlier conversation and no longer works.")
    elif reason == "unknown_command":
        text = ctx._("I don't know that command.")
    elif reason == "unsupported":
        text = ctx._(
            "Sorry, I can't listen to voice notes or read stickers yet. Just type your question!"
        )
    elif reason == "location":
        text = ctx._("Thanks for the location, but I don't need it right now.")
    elif reason == "empty":
        text = ctx._("Your message looks empty.")
    else:
        text = ctx._("Sorry, I didn't understand that.")
    show_menu(ctx, text + " " + ctx._("Here's what I can help with:"))
