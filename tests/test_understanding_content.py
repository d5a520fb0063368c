"""The understanding layer's content: FAQ entries, lexicons, place aliases and intents, each
checked by ``content check`` with file and line; normalising; place aliases in segments."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import ROOT
from bot.core.content import load_content
from bot.core.segments import parse_segment
from bot.core.understanding import normalise, understand
from bot.core.understanding.content import knowledge
from bot.core.understanding.index import AFFIX_TRUST, index_for
from bot.core.understanding.lexicon import Lexicon
from bot.core.understanding.normalise import apply_lexicons
from bot.core.understanding.places import load_places
from tests.test_cli_broadcast import FILE, env, votebot  # noqa: F401 (env is a fixture)
from tests.test_content import GOOD, write

FAQ = """---
id: {id}
title: Jam buka TPS
reviewed: 2026-12-02
questions:
  - jam brp tps buka
  - tps buka jam berapa
  - nyoblos mulai jam brp
  - pagi2 tps udah buka?
link: {link}
sources:
  - id: pkpu-25-2023
    title: PKPU 25/2023
---
{answer}
"""


def faq(
    faq_id: str = "tps-hours-faq", link: str = "page:sample", answer: str = "Jam 07.00."
) -> str:
    return FAQ.format(id=faq_id, link=link, answer=answer)


def check(root: Path) -> list[str]:
    _, errors = load_content(root, ["id", "en"], "id")
    return [e.format(root) for e in errors]


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    store, errors = load_content(ROOT / "content", ["id", "en"], "id")
    assert not errors
    return store


# --------------------------------------------------------------------------- FAQ checks


def test_a_good_faq_entry_loads_with_its_link(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD)
    write(tmp_path, "id/faq/tps-hours-faq.md", faq())
    store, errors = load_content(tmp_path, ["id"], "id")
    assert errors == []
    entry = knowledge(store).faq("tps-hours-faq", "id")
    assert entry is not None and entry.link == ("page", "sample")
    assert entry.answer == "Jam 07.00."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (faq(link="page:nope"), "id/faq/tps-hours-faq.md:10: link: no page 'nope'"),
        (faq(link="flow:dance"), "id/faq/tps-hours-faq.md:10: link: unknown flow 'dance'"),
        (faq(answer="x" * 601), "id/faq/tps-hours-faq.md:15: the answer has 601 characters"),
        (faq().replace("reviewed: 2026-12-02\n", ""), "missing key 'reviewed'"),
        (faq().replace("  - pagi2 tps udah buka?\n", ""), "at least 4 items"),
        (faq(faq_id="other"), "id/faq/tps-hours-faq.md:2: id 'other' must match the file name"),
    ],
)
def test_broken_faq_entries_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD)
    write(tmp_path, "id/faq/tps-hours-faq.md", text)
    errors = check(tmp_path)
    assert any(expected in e for e in errors), errors


def test_a_phrasing_may_belong_to_one_entry_only(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD)
    write(tmp_path, "id/faq/tps-hours-faq.md", faq())
    # The same question in other words once normalised: "jam berapa tps buka".
    other = faq("tps-open").replace("  - jam brp tps buka\n", "  - JAM BERAPA tps bukaaa??\n")
    write(tmp_path, "id/faq/tps-open.md", other.replace("tps buka jam berapa", "buka tps jam"))
    write(tmp_path, "id/lexicon.yaml", "words:\n  brp: berapa\n")
    errors = check(tmp_path)
    assert (
        "id/faq/tps-open.md:6: 'JAM BERAPA tps bukaaa??' is also a phrasing of faq 'tps-hours-faq'"
        in errors
    ), errors


# --------------------------------------------------------------------------- data files


def test_broken_lexicon_places_and_intents_name_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD)
    write(
        tmp_path,
        "id/lexicon.yaml",
        "words:\n  gmn: bagaimana\n  Two Words: x\n  ok: ok\n  gmn: gimana\n"
        "stopwords: [yang, 3 x]\n",
    )
    write(tmp_path, "places.yaml", "province:\n  jawa tengah: [Jateng!]\ncity:\n  x: [y]\n")
    write(
        tmp_path,
        "id/intents.yaml",
        "tps:\n  command: nosuchcommand\n  phrases: [tps]\n"
        "thanks:\n  reply: Sama-sama\n  command: menu\n  phrases: [makasih]\n"
        "bye:\n  reply: Dadah\n  phrases: []\n"
        "neutral:\n  reply: Netral\n  link: page:nope\n  phrases: [partai apa]\n",
    )
    errors = check(tmp_path)
    assert "id/lexicon.yaml:5: key 'gmn' appears twice" in errors
    write(tmp_path, "id/lexicon.yaml", "words:\n  gmn: bagaimana\n  Two Words: x\n  ok: ok\n")
    errors = check(tmp_path)
    assert "id/lexicon.yaml:3: 'Two Words': a key is one lower-case token (a-z, 0-9)" in errors
    assert "id/lexicon.yaml:4: 'ok' maps to itself" in errors
    assert "places.yaml:2: alias 'Jateng!': lower case a-z 0-9 only" in errors
    assert "places.yaml:3: unknown level 'city' (known: kabupaten, province)" in errors
    assert "id/intents.yaml:1: intent 'tps': no command /nosuchcommand" in errors
    assert "id/intents.yaml:4: intent 'thanks' needs either 'command' or 'reply'" in errors
    assert "id/intents.yaml:8: intent 'bye' needs a list of phrases" in errors
    assert "id/intents.yaml:11: intent 'neutral': no page 'nope'" in errors


def test_the_bundled_understanding_content_is_valid_and_generous(store) -> None:  # type: ignore[no-untyped-def]
    k = knowledge(store)
    assert len(k.lexicons["id"].words) >= 300
    assert len(k.lexicons["en"].words) >= 100
    assert k.places.size >= 100
    for locale in ("id", "en"):
        names = set(k.intents[locale])
        assert {"tps", "quiz", "report", "neutrality", "thanks", "out-of-scope"} <= names
    assert set(k.intents["id"]) == set(k.intents["en"])


# --------------------------------------------------------------------------- normalising


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Jam brp TPS bukaaa?? 🙏", "jam berapa tps buka"),
        ("gue ga tau gmn caranya", "saya tidak tahu bagaimana caranya"),
        ("dikasih duit 50rb", "kasih uang 50000 ribu"),
        ("Rp1,5jt", "rupiah 1500000 juta"),
        ("rp 50.000", "rupiah 50000"),
        ("ditawarin 1,5jt", "ditawarin 1500000 juta"),
        ("piye iki, kumaha atuh", "bagaimana iki bagaimana"),
        ("Café   Pémilu", "cafe pemilu"),
        ("tps di jaksel", "tps di jakarta selatan"),
        ("ktp jkt", "ktp daerah khusus ibukota jakarta"),
        ("don't know bout it", "do not know about it"),
        # A usual form that is itself a key is followed on: "gabisa" → "tidak bisa" → "tidak
        # boleh", as "bisa" alone becomes; "mudik" → "kampung" → "desa".
        ("gabisa mudik", "tidak boleh desa"),
        ("i voted", "i pilih"),
        ("gmn nyoblosnya di kampungku", "bagaimana pilih di desa"),
        # Letters and digits typed together are split, unless a lexicon knows the whole token.
        ("blm dpt C6", "belum dpt undangan"),
        ("tps 5", "tps 5"),
    ],
)
def test_normalise(store, typed: str, normal: str) -> None:  # type: ignore[no-untyped-def]
    assert normalise(typed, "id", store=store) == normal


def test_lexicon_chains_end_in_one_form_and_loops_stop() -> None:
    chain = Lexicon("id", {"kyk": "kayak", "kayak": "seperti", "a": "b", "b": "a c"})
    assert apply_lexicons(["kyk", "kayak", "x"], [chain]) == ["seperti", "seperti", "x"]
    assert apply_lexicons(["a"], [chain]) == ["a", "c"]


def test_a_stem_found_by_stripping_an_affix_is_read_through_the_lexicon(store) -> None:  # type: ignore[no-untyped-def]
    index = index_for(store)
    assert "dicoblosin" not in index.idf and "coblos" not in index.idf
    assert index.mend("dicoblosin") == ("pilih", AFFIX_TRUST)


def test_segments_read_place_aliases() -> None:
    places = load_places(ROOT / "content")
    seg = parse_segment("province=Jateng|jogja,kabupaten=Jaksel,locale=id", places)
    assert seg.terms["province"] == ("Jawa Tengah", "Daerah Istimewa Yogyakarta")
    assert seg.terms["kabupaten"] == ("Jakarta Selatan",)
    assert parse_segment("province=Jawa Timur", places).terms["province"] == ("Jawa Timur",)
    assert parse_segment("province=Jateng").terms["province"] == ("Jateng",)  # no aliases given


# --------------------------------------------------------------------------- understanding


@pytest.mark.parametrize(
    ("typed", "locale", "target"),
    [
        ("jam brp tps buka", "id", "faq:tps-opening-hours"),
        ("ktp ku ilang, msh bisa milih?", "id", "faq:lost-ektp"),
        ("makasih ya kak", "id", "intent:thanks"),
        ("partai apa yg paling bagus", "id", "intent:neutrality"),
        ("where do i vote", "en", "faq:where-is-my-tps"),
        ("kuis", "id", "intent:quiz"),
    ],
)
def test_understand_answers_common_questions(store, typed: str, locale: str, target: str) -> None:  # type: ignore[no-untyped-def]
    u = understand(typed, locale, store=store)
    assert u.confidence == "high" and u.best is not None and u.best.label == target


def test_one_word_that_is_no_phrasing_is_asked_about_not_answered(store) -> None:  # type: ignore[no-untyped-def]
    # "test" is part of the quiz's "test my knowledge", and nothing more.
    u = understand("test", "id", store=store)
    assert u.confidence != "high"
    assert understand("kuis", "id", store=store).confidence == "high"  # a phrasing as typed


def test_understand_says_low_for_nonsense_and_medium_for_vague(store) -> None:  # type: ignore[no-untyped-def]
    for nonsense in ("", "🗳️🔥", "asdfgh qwerty", "x" * 5000):
        assert understand(nonsense, "id", store=store).confidence == "low"
    vague = understand("surat suara", "id", store=store)
    assert vague.confidence == "medium"
    assert 2 <= len(vague.candidates) <= 3


def test_broadcast_cli_reads_place_aliases_in_segments(env: dict[str, str]) -> None:  # noqa: F811
    result = votebot(env, "broadcast", "create", "--file", FILE, "--segment", "province=Jateng")
    # No regions are imported here, so the alias shows in the error as the name it stands for.
    assert result.exit_code == 2
    assert "no province called “Jawa Tengah”" in result.output
