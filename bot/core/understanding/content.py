"""Load the understanding layer's data with the content and check what spans files.

Registered as a content data loader: after every kind has loaded, it reads ``places.yaml`` and
each locale's ``lexicon.yaml`` and ``intents.yaml`` into ``store.data["understanding"]``, then
checks FAQ links, intent commands and that no phrasing is used twice in a locale. The search
index is built from this on first use, once per loaded store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.content import ContentError, ContentStore, register_data_loader
from bot.core.understanding.faq import FaqEntry
from bot.core.understanding.intents import Intent, parse_intents
from bot.core.understanding.lexicon import Lexicon, parse_lexicon
from bot.core.understanding.normalise import normalise_with, surface
from bot.core.understanding.places import Places, parse_places

if TYPE_CHECKING:
    from bot.core.understanding.index import Index

KEY = "understanding"


@dataclass
class Knowledge:
    """Everything :func:`bot.core.understanding.understand` needs, per loaded content store."""

    store: ContentStore
    lexicons: dict[str, Lexicon] = field(default_factory=dict)
    places: Places = field(default_factory=Places)
    #: locale → intent name → intent
    intents: dict[str, dict[str, Intent]] = field(default_factory=dict)
    index: Index | None = None

    def lexicon_chain(self, locale: str) -> list[Lexicon]:
        """The locale's lexicon first, then the others (people mix languages)."""
        first = [self.lexicons[locale]] if locale in self.lexicons else []
        return first + [lex for code, lex in sorted(self.lexicons.items()) if code != locale]

    def normalise(self, text: str, locale: str) -> str:
        folded = self.places.expand(surface(text))
        return normalise_with(folded, self.lexicon_chain(locale))

    def intent(self, name: str, locale: str) -> Intent | None:
        found = self.intents.get(locale, {}).get(name)
        if found is None:
            found = self.intents.get(self.store.default_locale, {}).get(name)
        return found

    def faq(self, faq_id: str, locale: str) -> FaqEntry | None:
        entry = self.store.get("faq", faq_id, locale)
        return entry if isinstance(entry, FaqEntry) else None


def knowledge(store: ContentStore) -> Knowledge:
    """The store's understanding data (empty when the loader did not run, e.g. a bare store)."""
    found = store.data.get(KEY)
    if not isinstance(found, Knowledge):
        found = Knowledge(store)
        store.data[KEY] = found
    return found


def places_of(store: ContentStore) -> Places:
    return knowledge(store).places


@register_data_loader
def load_understanding(store: ContentStore, locales: list[str]) -> list[ContentError]:
    errors: list[ContentError] = []
    k = Knowledge(store)
    store.data[KEY] = k
    places_path = store.root / "places.yaml"
    if places_path.is_file():
        k.places, found = parse_places(places_path)
        errors.extend(found)
    for locale in locales:
        base = store.root / locale
        if (base / "lexicon.yaml").is_file():
            k.lexicons[locale], found = parse_lexicon(base / "lexicon.yaml", locale)
            errors.extend(found)
        if (base / "intents.yaml").is_file():
            k.intents[locale], found = parse_intents(base / "intents.yaml")
            errors.extend(found)
            errors.extend(_check_commands(base / "intents.yaml", k.intents[locale]))
    for locale in locales:
        errors.extend(_check_links(store, locale))
        errors.extend(_check_duplicates(k, locale))
    return errors


def _check_links(store: ContentStore, locale: str) -> list[ContentError]:
    errors = []
    for entry in store.items.get("faq", {}).get(locale, {}).values():
        link = entry.link
        if link is not None and link[0] == "page" and store.page(link[1], locale) is None:
            errors.append(ContentError(entry.path, entry.link_line, f"link: no page '{link[1]}'"))
    for intent in store.data[KEY].intents.get(locale, {}).values():
        if intent.link and intent.link.startswith("page:"):
            page_id = intent.link.removeprefix("page:")
            if store.page(page_id, locale) is None:
                path = store.root / locale / "intents.yaml"
                errors.append(
                    ContentError(path, intent.line, f"intent '{intent.name}': no page '{page_id}'")
                )
    return errors


def _check_duplicates(k: Knowledge, locale: str) -> list[ContentError]:
    """A phrasing (once normalised) may belong to one FAQ entry or intent of a locale only."""
    seen: dict[str, str] = {}
    errors = []
    owners: list[tuple[str, Path, tuple[str, ...], tuple[int, ...]]] = []
    for entry in k.store.items.get("faq", {}).get(locale, {}).values():
        owners.append(
            (f"faq '{entry.id}'", entry.path, tuple(entry.meta.questions), entry.question_lines)
        )
    intents_path = k.store.root / locale / "intents.yaml"
    for intent in k.intents.get(locale, {}).values():
        owners.append(
            (f"intent '{intent.name}'", intents_path, intent.phrases, intent.phrase_lines)
        )
    chain = k.lexicon_chain(locale)
    for owner, path, phrases, lines in owners:
        mine: set[str] = set()
        for phrase, line in zip(phrases, lines, strict=False):
            key = normalise_with(k.places.expand(surface(phrase)), chain)
            other = seen.get(key)
            if other is not None and other != owner:
                errors.append(ContentError(path, line, f"'{phrase}' is also a phrasing of {other}"))
            elif key in mine:
                errors.append(ContentError(path, line, f"'{phrase}' is listed twice"))
            mine.add(key)
            seen.setdefault(key, owner)
    return errors


def _check_commands(path: Path, intents: dict[str, Intent]) -> list[ContentError]:
    from bot.core.flows import load_flows
    from bot.core.router import router

    load_flows()
    return [
        ContentError(path, i.line, f"intent '{i.name}': no command /{i.command}")
        for i in intents.values()
        if i.command is not None and i.command not in router.commands
    ]
