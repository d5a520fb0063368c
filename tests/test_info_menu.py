"""Every info page is at most two taps from the main menu, in every locale, tapped as a user taps.

The walk taps each main-menu button, then each button of the reply it got, and records which
page (by its title heading) each tap shows. It never types: a topic must be findable by buttons
alone. WhatsApp shows lists of at most ten rows (nine and a "more" row beyond that), so sections
must fit in one list and sit among the first nine menu entries, or the second tap becomes a third.
"""

from __future__ import annotations

from bot.channels.whatsapp.render import MAX_ROWS, PAGE_SIZE
from bot.core.content import SECTIONS
from bot.core.formatting import to_plain
from bot.core.replies import Button
from bot.runtime import Runtime
from tests.dialog import Dialog

#: Buttons the walk does not follow: changing the language mid-walk would change every title.
SKIPPED_ROUTES = ("lang",)

LANGUAGES = {"id": ("Bahasa Indonesia", "Nanti dulu"), "en": ("English", "Not now")}


def taps(d: Dialog) -> list[Button]:
    """The buttons of the last replies a walk may follow (payload buttons, language excepted)."""
    out: list[Button] = []
    for reply in d.replies:
        for button in reply.all_buttons():
            if button.payload is not None and not button.payload.startswith(SKIPPED_ROUTES):
                out.append(button)
    return out


def shown_page(d: Dialog, titles: dict[str, str]) -> str | None:
    """The id of the page the last replies show (its title is the first line), if any."""
    for reply in d.replies:
        first_line = to_plain(reply.text).split("\n", 1)[0].strip() if reply.text else ""
        if first_line in titles:
            return titles[first_line]
    return None


async def walk(d: Dialog, titles: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Page id → the labels tapped to reach it first, for every page at most two taps away."""
    found: dict[str, tuple[str, ...]] = {}
    await d.say("/menu")
    for first in taps(d):
        await d.tap("menu")
        await d.tap(first.payload or "")
        if (page := shown_page(d, titles)) is not None:
            found.setdefault(page, (first.label,))
        for second in taps(d):
            await d.tap(second.payload or "")
            if (page := shown_page(d, titles)) is not None:
                found.setdefault(page, (first.label, second.label))
    return found


async def onboard(runtime: Runtime, locale: str) -> Dialog:
    d = Dialog(runtime.core, user=f"walker-{locale}")
    await d.say("/start")
    language, not_now = LANGUAGES[locale]
    await d.press(language)
    await d.press(not_now)
    return d


async def test_every_page_is_two_taps_from_the_main_menu(runtime: Runtime) -> None:
    content = runtime.core.content
    for locale in LANGUAGES:
        pages = content.all("pages", locale)
        titles = {p.meta.title: p.id for p in pages}
        assert len(titles) == len(pages), f"two {locale} pages share a title"
        d = await onboard(runtime, locale)
        found = await walk(d, titles)
        missing = sorted(set(titles.values()) - set(found))
        assert not missing, f"{locale}: not reachable in two taps: {missing}"
        assert all(1 <= len(path) <= 2 for path in found.values())


async def test_the_new_topics_each_open_from_their_section(runtime: Runtime) -> None:
    d = await onboard(runtime, "id")
    await d.say("/menu")
    await d.press("Aturan & pelanggaran")
    assert "Pilih topik" in d.text
    await d.press("NIK-mu dicatut partai?")
    assert "infopemilu.kpu.go.id" in d.text
    assert "Sumber:" in d.text
    await d.say("/menu")
    await d.press("Pemilu & kamu")
    await d.press("Pemilu vs Pilkada")
    # The ledger's value, not a date the page made up.
    assert "diperkirakan 2029" in d.text
    assert "135/PUU-XXII/2024" in d.text


async def test_sections_fit_one_whatsapp_list_and_the_first_menu_page(runtime: Runtime) -> None:
    content = runtime.core.content
    d = await onboard(runtime, "en")
    await d.say("/menu")
    menu = [b.payload for b in taps(d)]
    for section in SECTIONS:
        assert f"sec:{section}" in menu[:PAGE_SIZE], f"{section} is past WhatsApp's first page"
        for locale in LANGUAGES:
            pages = content.section_pages(section, locale)
            assert pages, f"section {section} has no pages in {locale}"
            # One row per page plus "Menu" must fit in a single WhatsApp list.
            assert len(pages) + 1 <= MAX_ROWS, f"{section} ({locale}) has {len(pages)} pages"
