from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.formatting import escape, to_plain, to_telegram_html, to_whatsapp

SAMPLE = "Halo **Budi**, ini _penting_: [KPU](https://www.kpu.go.id).\n\n- satu\n- dua <3 & 4"


def test_telegram_html_escapes_everything_but_its_tags() -> None:
    html = to_telegram_html(SAMPLE)
    assert "<b>Budi</b>" in html and "<i>penting</i>" in html
    assert '<a href="https://www.kpu.go.id">KPU</a>' in html
    assert "&lt;3 &amp; 4" in html
    assert "• satu" in html


def test_whatsapp_and_plain() -> None:
    assert "*Budi*" in to_whatsapp(SAMPLE) and "KPU: https://www.kpu.go.id" in to_whatsapp(SAMPLE)
    assert "Halo Budi, ini penting: KPU (https://www.kpu.go.id)." in to_plain(SAMPLE)


@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=200))
def test_escaped_user_text_is_shown_literally(text: str) -> None:
    rendered = to_plain(escape(text))
    assert rendered.split() == text.split() or not text.strip()
    assert "<" not in to_telegram_html(escape(text)).replace("&lt;", "")
