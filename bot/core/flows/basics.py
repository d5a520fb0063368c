"""Start (onboarding), menu, help, language, about, broadcast opt-in and the fallback."""

from __future__ import annotations

from bot.core import consent
from bot.core.about import About
from bot.core.context import Context
from bot.core.events import UnsupportedEvent
from bot.core.flows.mydata import operator_name, privacy_notice
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_buttons, menu_item, more_buttons, more_item
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router
from bot.core.typed import media_text
from bot.db import pledge_repo, repo

menu_item("more", N_("⚙️ More"), "more", order=900)
more_item("language", N_("🌐 Language"), "lang", order=10)
more_item("subscriptions", N_("🔔 Reminders"), "subs", order=20)
more_item("privacy", N_("🔒 Privacy"), "privacy", order=80)
more_item("about", N_("ℹ️ About"), "about", order=90)


def show_menu(ctx: Context, intro: str | None = None, *, replace: bool = False) -> None:
    text = intro or ctx._("What would you like to do? Pick one:")
    ctx.reply(text, menu_buttons(ctx.t), replace=replace)


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
        + "\n\n"
        + privacy_notice(ctx)
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
    """STOP: every proactive message stops (updates, voting-day reminders, any later kind)."""
    was = await consent.stop_all(ctx.session, ctx.user)
    await ctx.log(
        "settings",
        "broadcast_opt_out",
        via=via,
        was_opted_in=consent.BROADCASTS in was,
        withdrawn=was,
    )
    ctx.reply(
        ctx._(
            "Done: I won't send you reminders any more. You can still chat with me any time. "
            "To get reminders again, send /subscribe or START."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )


def ask_stop_reminders(ctx: Context, note: str | None = None) -> None:
    """After "stop" ended a flow: ask before stopping reminders (never silently)."""
    text = ctx._("Okay, stopped.") if note is None else note
    ctx.reply(
        text + "\n\n" + ctx._("Do you also want me to stop sending you reminders?"),
        [
            [
                Button(ctx._("🔕 Yes, stop reminders"), payload=payload("unsub", "yes")),
                Button(ctx._("No, keep them"), payload=payload("unsub", "no")),
            ]
        ],
    )


@router.button("unsub")
async def stop_reminders_button(ctx: Context, args: list[str]) -> None:
    if args not in (["yes"], ["no"]):
        raise StaleButton
    if args == ["yes"]:
        await unsubscribe(ctx, via="asked_after_stop")
        return
    await ctx.log("settings", "broadcast_opt_in_kept", via="asked_after_stop")
    show_menu(
        ctx,
        ctx._("Okay, your reminders stay on.")
        + "\n\n"
        + ctx._("What would you like to do? Pick one:"),
    )


@router.command("langganan", description=N_("get reminders"), aliases=("subscribe",), order=86)
async def subscribe_command(ctx: Context, args: tuple[str, ...]) -> None:
    held = await consent.held(ctx.session, ctx.user.id)
    if not any(held.values()):
        await subscribe(ctx, via="command")
        return
    await show_consents(ctx)


async def subscribe(ctx: Context, *, via: str) -> None:
    await consent.grant(ctx.session, ctx.user, consent.BROADCASTS)
    await ctx.log("settings", "broadcast_opt_in", via=via)
    ctx.reply(
        ctx._(
            "You're subscribed: I'll send you the occasional important reminder. "
            "Send /stop or STOP any time to stop them."
        ),
        [[Button(ctx._("🏠 Menu"), payload="menu")]],
    )
    await show_consents(ctx)


#: What each consent is called on ``/langganan`` (on, off).
CONSENT_LABELS = {
    consent.BROADCASTS: (N_("📣 Important updates: on"), N_("📣 Important updates: off")),
    consent.VOTING_DAY: (N_("🗳️ Voting-day reminder: on"), N_("🗳️ Voting-day reminder: off")),
    consent.POLL_RESULTS: (N_("📊 Poll results: on"), N_("📊 Poll results: off")),
}
CONSENT_BUTTONS = {
    consent.BROADCASTS: (N_("Stop updates"), N_("Turn updates on")),
    consent.VOTING_DAY: (N_("Stop the voting-day reminder"), N_("Turn the reminder on")),
    consent.POLL_RESULTS: (N_("Stop poll results"), N_("Turn poll results on")),
}


async def show_consents(ctx: Context, *, replace: bool = False) -> None:
    """Each consent, on or off, with a button to change it."""
    held = await consent.held(ctx.session, ctx.user.id)
    lines, rows = [], []
    for kind in consent.KINDS:
        on = held[kind]
        lines.append(ctx._(CONSENT_LABELS[kind][0 if on else 1]))
        label = CONSENT_BUTTONS[kind][0 if on else 1]
        rows.append([Button(ctx._(label), payload=payload("consent", kind, "off" if on else "on"))])
    rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
    ctx.reply(
        ctx._("Messages I may send you without you asking:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + ctx._("STOP turns them all off at once."),
        rows,
        replace=replace,
    )


@router.button("consent")
async def consent_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 2 or args[0] not in consent.KINDS or args[1] not in ("on", "off"):
        raise StaleButton
    kind, on = args[0], args[1] == "on"
    if on and kind in consent.NEEDS_PLEDGE:
        pledge = await pledge_repo.get_pledge(ctx.session, ctx.user.id)
        if pledge is None or pledge.withdrawn_at is not None:
            ctx.reply(
                ctx._("Voting-day reminders are for pledge signers. Sign the pledge first!"),
                [[Button(ctx._("🤝 Read the pledge"), payload="pledge")]],
            )
            return
    if on:
        await consent.grant(ctx.session, ctx.user, kind)
    else:
        await consent.withdraw(ctx.session, ctx.user, kind)
    await ctx.log("settings", "consent", kind=kind, on=on)
    await show_consents(ctx, replace=True)


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
        menu_buttons(ctx.t),
    )


@router.command("tentang", description=N_("about this bot and your privacy"), aliases=("about",))
async def about_command(ctx: Context, args: tuple[str, ...]) -> None:
    await send_about(ctx)


@router.button("more")
async def more_button(ctx: Context, args: list[str]) -> None:
    ctx.clear_state()
    rows = more_buttons(ctx.t)
    ctx.reply(ctx._("More options:"), [*rows, [Button(ctx._("🏠 Menu"), payload="menu")]])


@router.button("subs")
async def subscriptions_button(ctx: Context, args: list[str]) -> None:
    await subscribe_command(ctx, ())


@router.button("about")
async def about_button(ctx: Context, args: list[str]) -> None:
    await send_about(ctx)


async def send_about(ctx: Context) -> None:
    """The About text from content (``about.md``), naming who runs this copy (configuration)."""
    operator = escape(operator_name(ctx))
    about = ctx.content.get("about", "about", ctx.locale)
    if isinstance(about, About):
        text = about.text(operator)
    else:  # content without an about.md: who runs it, at least
        text = ctx._("**Who runs it:** {operator} runs this copy of Teman Pemilih.").format(
            operator=operator
        )
    ctx.reply(text, [[Button(ctx._("🏠 Menu"), payload="menu")]])


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
    elif reason == "unsupported" and isinstance(ctx.event, UnsupportedEvent):
        text = media_text(ctx, ctx.event.kind)
    elif reason == "location":
        text = ctx._("Thanks for the location, but I don't need it right now.")
    elif reason == "empty":
        text = ctx._("Your message looks empty.")
    else:
        text = ctx._("Sorry, I didn't understand that.")
    show_menu(ctx, text + " " + ctx._("Here's what I can help with:"))
