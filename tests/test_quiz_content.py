"""Quiz files: the parser, every validation rule (with file and line), the bundled quizzes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import ROOT
from bot.core.content import load_content
from bot.core.i18n import available_locales
from bot.core.quiz.certificate import InvalidName, clean_name
from bot.core.quiz.content import Quiz, all_quizzes, get_quiz
from tests.test_content import check, write

GOOD = """---
id: sample
title: A sample quiz
description: Questions to test the parser with.
level: beginner
tags: [voting, tps]
reviewed: 2026-12-02
sources:
  - {id: uu-7-2017, title: UU No. 7 Tahun 2017 tentang Pemilihan Umum}
  - id: kpu
    title: Komisi Pemilihan Umum (KPU RI)
    url: https://www.kpu.go.id
---

## who-may-vote

Who may vote?

- [ ] Everyone aged 15
- [x] Citizens aged 17 or older, or married
- [ ] Only graduates

> Citizens aged 17 or older, or who are or have been married.
>
> A second paragraph.

Source: uu-7-2017

## tps-hours

When is the TPS open?

- [x] 07.00–13.00
- [ ] 08.00–17.00

> From 07.00 to 13.00 local time.

Source: kpu, uu-7-2017
"""
# Lines in GOOD: 2 id, 15 "## who-may-vote", 17 its text, 19–21 options, 23 explanation,
# 27 Source; 29 "## tps-hours", 31 text, 33–34 options, 36 explanation, 38 Source.


def test_a_good_quiz_parses_into_questions_with_lines(tmp_path: Path) -> None:
    write(tmp_path, "id/quizzes/sample.md", GOOD)
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    assert errors == []
    quiz = get_quiz(store, "sample", "en")  # falls back to id
    assert isinstance(quiz, Quiz) and quiz.locale == "id"
    assert quiz.meta.tags == ["voting", "tps"] and quiz.meta.level == "beginner"
    first, second = quiz.questions
    assert (first.id, first.line, first.text) == ("who-may-vote", 15, "Who may vote?")
    assert [o.line for o in first.options] == [19, 20, 21]
    assert first.correct_indexes == (1,)
    assert first.explanation == (
        "Citizens aged 17 or older, or who are or have been married.\n\nA second paragraph."
    )
    assert [s.id for s in quiz.sources_of(second)] == ["kpu", "uu-7-2017"]
    assert second.correct_indexes == (0,)
    assert [q.id for q in all_quizzes(store, "id")] == ["sample"]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (GOOD.replace("id: sample", "id: other"), "id/quizzes/sample.md:2: id 'other' must match"),
        (GOOD.replace("level: beginner", "level: expert"), "id/quizzes/sample.md:5: level:"),
        (GOOD.replace("description: Questions", "descripton: Questions"), ":4: unknown key"),
        (GOOD.replace("tags: [voting, tps]", "tags: [Voting]"), "sample.md:6: tags: must be"),
        # two options are enough
        (GOOD.replace("- [ ] Only graduates\n", ""), ""),
        (
            GOOD.replace("- [x] 07.00–13.00\n", "").replace("- [ ] 08.00–17.00", "- [x] 08.00"),
            "sample.md:29: question 'tps-hours' has 1 option(s): give 2 to 10",
        ),
        (
            GOOD.replace("- [ ] Everyone aged 15", "- [x] Everyone aged 15"),
            "sample.md:20: question 'who-may-vote': 2 options are marked right",
        ),
        (
            GOOD.replace("- [x] Citizens aged", "- [ ] Citizens aged"),
            "sample.md:15: question 'who-may-vote': mark the right option",
        ),
        (
            GOOD.replace("Who may vote?", "Who " * 80),
            "sample.md:17: question 'who-may-vote': the question has 319 characters",
        ),
        (
            GOOD.replace("- [ ] Only graduates", "- [ ] " + "x" * 101),
            "sample.md:21: question 'who-may-vote': the option has 101 characters",
        ),
        (
            GOOD.replace("> From 07.00 to 13.00 local time.", "> " + "y" * 1001),
            "sample.md:36: question 'tps-hours': the explanation has 1001 characters",
        ),
        (
            GOOD.replace("Source: kpu, uu-7-2017\n", ""),
            "sample.md:29: question 'tps-hours' has no 'Source: id' line",
        ),
        (
            GOOD.replace("Source: kpu, uu-7-2017", "Source: kpu, facts-md"),
            "sample.md:38: question 'tps-hours': unknown source 'facts-md'",
        ),
        (
            GOOD.replace("## tps-hours", "## who-may-vote"),
            "sample.md:29: duplicate question id 'who-may-vote' (first on line 15)",
        ),
        (GOOD.replace("## tps-hours", "## TPS hours"), "sample.md:29: question id 'TPS hours'"),
        (
            GOOD.replace("- [ ] 08.00–17.00", "- 08.00–17.00"),
            "sample.md:34: an option starts with '- [ ] '",
        ),
        (
            GOOD.replace("> From 07.00 to 13.00 local time.\n", ""),
            "sample.md:29: question 'tps-hours' has no explanation",
        ),
        (
            GOOD.replace("Source: uu-7-2017\n", "Source: uu-7-2017\nstray words\n"),
            "sample.md:28: unexpected text here",
        ),
        (
            GOOD.replace("## who-may-vote\n", "Intro text\n\n## who-may-vote\n"),
            "sample.md:15: text before the first question",
        ),
        (
            GOOD.replace("- [x] Citizens aged 17 or older, or married", "- [x] Everyone aged 15"),
            "sample.md:20: question 'who-may-vote': the same option twice",
        ),
        (GOOD.split("## who-may-vote")[0], "sample.md:14: the quiz has no questions"),
        (
            GOOD.replace("Source: uu-7-2017\n", "Source: uu-7-2017\nSource: kpu\n"),
            "sample.md:28: only one 'Source:' line",
        ),
        (
            GOOD.replace("> From 07.00", "- [ ] 09.00\n> From 07.00").replace(
                "- [ ] 08.00–17.00\n", "- [ ] 08.00–17.00\n\n> Early.\n"
            ),
            "options must come before the explanation",
        ),
    ],
)
def test_broken_quizzes_name_file_and_line(tmp_path: Path, broken: str, expected: str) -> None:
    write(tmp_path, "id/quizzes/sample.md", broken)
    errors = check(tmp_path)
    if not expected:
        assert errors == []
        return
    assert any(e.startswith(expected) or expected in e for e in errors), errors
    assert all(":" in e.split("sample.md", 1)[1][:8] for e in errors), errors


def test_multiple_correct_must_be_declared(tmp_path: Path) -> None:
    text = GOOD.replace("- [ ] Everyone aged 15", "- [x] Everyone aged 15")
    write(
        tmp_path, "id/quizzes/sample.md", text.replace("level:", "multiple_correct: true\nlevel:")
    )
    store, errors = load_content(tmp_path, ["id"], "id")
    assert errors == []
    quiz = get_quiz(store, "sample", "id")
    assert quiz is not None and quiz.questions[0].correct_indexes == (0, 1)


def test_locales_must_share_questions_options_and_answers(tmp_path: Path) -> None:
    write(tmp_path, "id/quizzes/sample.md", GOOD)
    en = GOOD.replace("## tps-hours", "## polling-hours")  # a renamed question
    en = en.replace("- [ ] Only graduates\n", "")  # one option fewer
    write(tmp_path, "en/quizzes/sample.md", en)
    errors = check(tmp_path)
    assert any(
        e.startswith("en/quizzes/sample.md:15: question 'who-may-vote' has 2 options but 3")
        for e in errors
    ), errors
    assert any(
        e.startswith("en/quizzes/sample.md:28: question 'polling-hours' is not in") for e in errors
    )
    assert any("question 'tps-hours' is missing here" in e for e in errors), errors

    swapped = GOOD.replace(
        "- [x] 07.00–13.00\n- [ ] 08.00–17.00", "- [ ] 07.00–13.00\n- [x] 08.00–17.00"
    )
    write(tmp_path, "en/quizzes/sample.md", swapped)
    errors = check(tmp_path)
    assert errors == [
        "en/quizzes/sample.md:33: question 'tps-hours': the right option(s) differ from the id "
        "version (line 33)"
    ]


def test_a_quiz_only_in_another_locale_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "id/quizzes/sample.md", GOOD)
    write(tmp_path, "en/quizzes/extra.md", GOOD.replace("id: sample", "id: extra"))
    errors = check(tmp_path)
    assert errors == ["en/quizzes/extra.md:1: quiz 'extra' has no 'id' version"]


def test_bundled_quizzes_are_valid_sourced_and_big_enough() -> None:
    store, errors = load_content(ROOT / "content", available_locales(), "id")
    assert errors == []
    for locale in ("id", "en"):
        quizzes = store.items["quizzes"][locale]
        assert len(quizzes) >= 4
        questions = [q for quiz in quizzes.values() for q in quiz.questions]
        assert len(questions) >= 32
        for quiz in quizzes.values():
            assert len(quiz.questions) >= 8
            source_ids = {s.id for s in quiz.meta.sources}
            for source in quiz.meta.sources:
                # Never the project's own fact sheet: cite the primary source or the institution.
                assert "FACTS" not in source.title and "fakta" not in source.id
            for question in quiz.questions:
                assert question.source_ids and set(question.source_ids) <= source_ids
    assert set(store.items["quizzes"]["id"]) == set(store.items["quizzes"]["en"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Rina   Wulandari ", "Rina Wulandari"),
        ("Ana\u200b\tPutri", "Ana Putri"),  # invisible and control characters go
        ("Budi 2", "Budi 2"),
    ],
)
def test_certificate_names_are_cleaned(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("3174 0123 4567", "digits"), ("x", "length"), ("y" * 41, "length"), ("!!! ???", "letters")],
)
def test_certificate_names_are_rejected(raw: str, reason: str) -> None:
    with pytest.raises(InvalidName) as info:
        clean_name(raw)
    assert info.value.reason == reason
