"""WhatsApp rendering limits and the template content kind, without any network."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.whatsapp.render import (
    MAX_INTERACTIVE_BODY,
    MAX_TEXT,
    render,
    shorten,
    split_text,
    unique_titles,
)
from bot.core.content import load_content
from bot.core.message_templates import KIND
from bot.core.replies import Button, Reply


def _(s: str) -> str:
    return s


def options(n: int, label: str = "Answer {}") -> list[list[Button]]:
    return [[Button(label.format(i), payload=f"quiz:a:{i}")] for i in range(n)]


def test_two_options_are_buttons_and_four_are_a_list() -> None:
    (two,) = render([Reply("Pick", options(2))], _)
    assert two.message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in two.message["interactive"]["action"]["buttons"]] == [
        "quiz:a:0",
        "quiz:a:1",
    ]
    (four,) = render([Reply("Which is right?", options(4))], _)
    inter = four.message["interactive"]
    assert inter["type"] == "list"
    assert inter["action"]["button"] == "Choose"
    assert inter["action"]["sections"][0]["title"] == "Options"
    assert [r["id"] for r in inter["action"]["sections"][0]["rows"]] == [
        f"quiz:a:{i}" for i in range(4)
    ]


def test_long_row_titles_keep_the_full_label_as_description() -> None:
    label = "Bring your e-KTP and the C6 notification letter {}"
    (msg,) = render([Reply("Q", options(5, label))], _)
    rows = msg.message["interactive"]["action"]["sections"][0]["rows"]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert len({r["title"].casefold() for r in rows}) == 5
    assert rows[0]["description"] == shorten(label.format(0), 72)


def test_shortened_button_labels_are_listed_in_full_only_when_the_text_lacks_them() -> None:
    labels = ["A. Type your NIK on the official site", "B. Send it to a campaign group"]
    buttons = [[Button(label, payload=f"qa:1:0:{i}")] for i, label in enumerate(labels)]
    (bare,) = render([Reply("Which is safe?", buttons)], _)
    body = bare.message["interactive"]["body"]["text"]
    assert body == "Which is safe?\n\n" + "\n".join(f"• {label}" for label in labels)
    question = "Which is safe?\n\n" + "\n".join(labels)  # a quiz spells out its options
    (spelt,) = render([Reply(question, buttons)], _)
    body = spelt.message["interactive"]["body"]["text"]
    assert body == question and "•" not in body


def test_duplicate_short_titles_are_made_unique() -> None:
    titles = unique_titles(["Polling station opening hours"] * 3, 20)
    assert len(set(titles)) == 3 and all(len(t) <= 20 for t in titles)
    assert shorten("Short", 20) == "Short"
    assert shorten("Yes, remind me about the election", 20) == "Yes, remind me…"


def test_long_text_is_split_and_interactive_bodies_fit() -> None:
    para = "Kalimat yang cukup panjang untuk diulang-ulang. " * 40
    text = "\n\n".join([para] * 6)
    msgs = render([Reply(text, options(2))], _)
    assert [m.kind for m in msgs[:-1]] == ["text"] * (len(msgs) - 1)
    assert all(len(m.message["text"]["body"]) <= MAX_TEXT for m in msgs[:-1])
    assert len(msgs[-1].message["interactive"]["body"]["text"]) <= MAX_INTERACTIVE_BODY
    sent = "".join(m.message["text"]["body"] for m in msgs[:-1])
    assert sent.replace(" ", "").replace("\n", "") + msgs[-1].message["interactive"]["body"][
        "text"
    ].replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@given(st.text(min_size=0, max_size=3000), st.integers(min_value=20, max_value=500))
def test_split_text_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_many_links_are_written_into_the_text() -> None:
    reply = Reply(
        "See",
        [
            [
                Button("KPU", url="https://www.kpu.go.id"),
                Button("Bawaslu", url="https://www.bawaslu.go.id"),
            ]
        ],
    )
    (msg,) = render([reply], _)
    assert msg.kind == "text"
    assert "🔗 KPU: https://www.kpu.go.id" in msg.message["text"]["body"]
    assert msg.message["text"]["preview_url"] is True


def test_more_than_ten_options_show_nine_and_more() -> None:
    (msg,) = render([Reply("Many", options(25))], _)
    assert msg.pages is not None and len(msg.pages.options) == 25
    rows = msg.message["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10
    assert rows[-1]["id"] == f"wamore:{msg.pages.token}:1"
    assert len(rows[-1]["id"].encode()) <= 64


def write(root: Path, locale: str, name: str, text: str) -> None:
    path = root / locale / "whatsapp" / "templates" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_template_files_are_checked_with_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "id",
        "good",
        "---\nid: good\nname: tp_good\nlanguage: id\nparameters: [date, place]\n---\n"
        "Hari H {{1}} di {{2}}.\n",
    )
    write(
        tmp_path,
        "id",
        "bad",
        "---\nid: bad\nname: Bad Name\nlanguage: indonesian\ncolour: red\n---\nHalo\n",
    )
    write(
        tmp_path,
        "id",
        "mismatch",
        "---\nid: mismatch\nname: tp_mismatch\nlanguage: id\nparameters: [date]\n---\n"
        "Hari H {{1}} di {{2}}.\n",
    )
    write(
        tmp_path,
        "en",
        "good",
        "---\nid: good\nname: tp_good\nlanguage: en\nparameters: [date]\n---\nOn {{1}}.\n",
    )
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    shown = [e.format(tmp_path) for e in errors]
    assert "id/whatsapp/templates/bad.md:3: name: must be the template name" in " ".join(shown)
    assert any(s.startswith("id/whatsapp/templates/bad.md:4: language:") for s in shown)
    assert any(s.startswith("id/whatsapp/templates/bad.md:5: unknown key 'colour'") for s in shown)
    assert any(
        s.startswith("id/whatsapp/templates/mismatch.md:5: the text uses {{1}}, {{2}}")
        for s in shown
    )
    assert any(s.startswith("en/whatsapp/templates/good.md:1: parameters ['date']") for s in shown)
    good = store.get(KIND, "good", "id")
    assert good.payload({"date": "14 Feb", "place": "TPS 5"})["components"][0]["parameters"] == [
        {"type": "text", "text": "14 Feb"},
        {"type": "text", "text": "TPS 5"},
    ]


def test_named_parameters_carry_their_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        "id",
        "named",
        "---\nid: named\nname: tp_named\nlanguage: id\nparameter_format: named\n"
        "parameters: [date]\n---\nHari H {{date}}.\n",
    )
    store, errors = load_content(tmp_path, ["id"], "id")
    assert errors == []
    payload = store.get(KIND, "named", "id").payload({"date": "besok"})
    assert payload["components"][0]["parameters"] == [
        {"type": "text", "text": "besok", "parameter_name": "date"}
    ]
