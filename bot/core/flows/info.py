"""Info pages from content, grouped in sections; each section is one tap from the main menu.

A section lists its pages as buttons, so every page is two taps from the menu. WhatsApp shows at
most ten rows per list, so a section holds at most nine pages (plus "Menu") and the main menu at
most ten entries (tests/test_info_menu.py and tests/test_whatsapp.py hold both).
"""

from __future__ import annotations

from bot.core.content import SECTIONS, Page, Source
from bot.core.context import Context
from bot.core.formatting import escape
from bot.core.i18n import N_
from bot.core.menu import menu_item
from bot.core.replies import Button
from bot.core.router import StaleButton, payload, router

menu_item("basics", N_("🗳️ Voting-day basics"), payload("sec", "basics"), order=10)
menu_item(
    "money-politics", N_("💸 Money politics & rules"), payload("sec", "money-politics"), order=40
)
menu_item("elections", N_("🧭 Elections & you"), payload("sec", "elections"), order=42)


def format_sources(ctx: Context, sources: list[Source]) -> str:
    parts = [f"[{escape(s.title)}]({s.url})" if s.url else escape(s.title) for s in sources]
    return "_" + ctx._("Sources:") + "_ " + "; ".join(parts)


def with_facts(ctx: Context, text: str) -> tuple[str, list[Source]]:
    """A translated UI string with its ``{{fact:ID}}`` filled from the ledger, and the sources
    it must cite: code states a rule (hours, deadlines, articles) only through the ledger, so a
    rule change is one edit in ``content/facts.yaml``. Fill before any ``.format()`` call."""
    facts = ctx.content.facts
    return facts.cite(text, ctx.locale) if facts is not None else (text, [])


def page_label(page: Page) -> str:
    return page.meta.title


async def show_section(ctx: Context, section: str, *, replace: bool = False) -> None:
    pages = ctx.content.section_pages(section, ctx.locale)
    title = ctx._(SECTIONS[section])
    if not pages:
        ctx.reply(ctx._("There's nothing here yet."), [[Button(ctx._("🏠 Menu"), payload="menu")]])
        return
    rows = [[Button(page_label(p), payload=payload("page", p.id))] for p in pages]
    rows.append([Button(ctx._("🏠 Menu"), payload="menu")])
    await ctx.log("info", "section_viewed", section=section)
    ctx.reply(f"**{escape(title)}**\n\n" + ctx._("Pick a topic:"), rows, replace=replace)


async def show_page(ctx: Context, page: Page) -> None:
    await ctx.log("info", "page_viewed", page=page.id, section=page.meta.section)
    text = (
        f"**{escape(page.meta.title)}**\n\n{page.body}\n\n{format_sources(ctx, page.meta.sources)}"
    )
    siblings = ctx.content.section_pages(page.meta.section, ctx.locale)
    ids = [p.id for p in siblings]
    nav: list[Button] = [Button(ctx._("⬅️ Topics"), payload=payload("sec", page.meta.section))]
    if page.id in ids and ids.index(page.id) + 1 < len(ids):
        nxt = siblings[ids.index(page.id) + 1]
        nav.append(Button(ctx._("Next ➡️"), payload=payload("page", nxt.id)))
    ctx.reply(text, [nav, [Button(ctx._("🏠 Menu"), payload="menu")]])


@router.command("info", description=N_("voting-day basics"), order=10)
async def info_command(ctx: Context, args: tuple[str, ...]) -> None:
    if args:
        page = ctx.content.page(args[0].lower(), ctx.locale)
        if page is not None:
            await show_page(ctx, page)
            return
    await show_section(ctx, "basics")


@router.button("sec")
async def section_button(ctx: Context, args: list[str]) -> None:
    if len(args) != 1 or args[0] not in SECTIONS:
        raise StaleButton
    await show_section(ctx, args[0], replace=True)


@router.button("page")
async def page_button(ctx: Context, args: list[str]) -> None:
    page = ctx.content.page(args[0], ctx.locale) if len(args) == 1 else None
    if page is None:
        raise StaleButton
    await show_page(ctx, page)
