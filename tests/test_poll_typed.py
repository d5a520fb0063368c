"""What people type instead of pressing a button, scrubbing of open answers, age bands."""

from __future__ import annotations

import pytest

from bot.core.flows.polls import age_band_of
from bot.core.polls.scrub import scrub
from bot.core.polls.typed import is_skip, multi_choice, scale_value, single_choice

LABELS = ["Cara cek DPT", "Apa yang dibawa ke TPS", "Cara pindah TPS"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("setuju banget", 5),
        ("Setuju bgt!!", 5),
        ("sangat setuju", 5),
        ("setujuuu", 4),
        ("setuju", 4),
        ("agak setuju", 4),
        ("biasa aja", 3),
        ("b aja", 3),
        ("netral", 3),
        ("gak setuju", 2),
        ("kurang setuju", 2),
        ("tidak setuju sama sekali", 1),
        ("nggak setuju banget", 1),
        ("strongly disagree", 1),
        ("agree", 4),
        ("4", 4),
        ("halo", None),
        ("6", None),
    ],
)
def test_scale_words(text: str, value: int | None) -> None:
    assert scale_value(text) == value


def test_choices_by_letter_number_or_text() -> None:
    assert single_choice("b", LABELS) == 1
    assert single_choice("3", LABELS) == 2
    assert single_choice("pindah tps", LABELS) == 2
    assert single_choice("cara", LABELS) is None  # two options say "cara"
    assert single_choice("d", LABELS) is None
    assert multi_choice("A, C", LABELS) == 0b101
    assert multi_choice("1 dan 3", LABELS) == 0b101
    assert multi_choice("cara cek dpt, cara pindah tps", LABELS) == 0b101
    assert multi_choice("zzz", LABELS) is None
    assert is_skip("Lewati") and is_skip("skip") and not is_skip("lewat mana")


def test_open_answers_are_scrubbed() -> None:
    text = "NIK 3201234567890123, wa +62 812-3456-7890, a.b@mail.co.id, https://x.id/a, @budi"
    assert scrub(text) == "NIK [number], wa [number], [email], [link], [handle]"
    assert scrub("umur 21, pemilu 2024 di TPS 5") == "umur 21, pemilu 2024 di TPS 5"


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("22", "21-25"),
        ("17–20", "17-20"),
        ("30", "26-30"),
        ("30+", "30+"),
        ("umur 45", "30+"),
        ("12", None),
        ("nggak", None),
    ],
)
def test_age_bands(text: str, band: str | None) -> None:
    assert age_band_of(text) == band
