"""Catalogs are complete, up to date with the code, and formatting follows the locale."""

from __future__ import annotations

from babel.messages.pofile import read_po

from bot import ROOT
from bot.cli.i18n import extract, problems
from bot.core.facts import FACT_REF, load_facts
from bot.core.i18n import Translator, available_locales, negotiate


def test_id_and_en_catalogs_exist() -> None:
    assert {"id", "en"} <= set(available_locales())


def test_no_catalog_has_untranslated_or_fuzzy_entries() -> None:
    found = [
        p
        for loc in available_locales()
        for p in problems(ROOT / "locales" / loc / "LC_MESSAGES" / "messages.po")
    ]
    assert found == [], "run `votebot i18n update` and translate:\n" + "\n".join(found)


def test_template_matches_the_code() -> None:
    with (ROOT / "locales" / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    in_code = {m.id for m in extract() if m.id}
    assert in_code == template, "run `votebot i18n update`"


def test_numbers_and_dates_follow_the_locale() -> None:
    from datetime import date

    assert Translator("id").number(204807222) == "204.807.222"
    assert Translator("en").number(204807222) == "204,807,222"
    assert Translator("id").date(date(2024, 2, 14)) == "14 Februari 2024"
    assert Translator("id").percent(0.5645, 2) == "56,45%"


def test_translation_and_negotiation() -> None:
    assert Translator("id")("Sources:") == "Sumber:"
    assert Translator("en")("Sources:") == "Sources:"
    assert negotiate([None, "en-US"], ["id", "en"], "id") == "en"
    assert negotiate(["fr"], ["id", "en"], "id") == "id"
    assert negotiate(["in"], ["id", "en"], "id") == "id"


def test_facts_in_ui_strings_exist_and_every_translation_keeps_them() -> None:
    """Code states rules only as ``{{fact:ID}}`` from the ledger; a translation that dropped or
    misspelt one would show a stale or raw value."""
    ledger, errors = load_facts(ROOT / "content", available_locales(), "id")
    assert errors == []
    in_code = {m.id for m in extract() if isinstance(m.id, str) and FACT_REF.search(m.id)}
    assert in_code, "the TPS hours and what to bring come from the ledger"
    for loc in available_locales():
        with (ROOT / "locales" / loc / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = {m.id: m.string for m in read_po(fh) if isinstance(m.id, str)}
        for msgid in in_code:
            refs = FACT_REF.findall(msgid)
            assert all(r in ledger.facts for r in refs), msgid
            if catalog.get(msgid):  # an empty msgstr falls back to the msgid
                assert sorted(FACT_REF.findall(catalog[msgid])) == sorted(refs), (loc, msgid)
