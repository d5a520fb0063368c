"""The facts ledger: {{fact:ID}} is filled per locale in every kind, cites the fact's sources,
unknown ids are rejected with file and line, `reviewed` is required, and `content facts` lists
each fact once with what uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from bot import ROOT
from bot.cli import cli
from bot.core.broadcasts import broadcast_files
from bot.core.calendar import Calendar
from bot.core.content import load_content
from bot.core.i18n import available_locales
from bot.core.pledge import PledgeText
from bot.core.quiz.content import get_quiz
from tests.test_content import GOOD, check, write

FACTS = """\
facts:
  - id: tps-hours
    value:
      id: "07.00–13.00 waktu setempat"
      en: "07.00–13.00 local time"
    sources:
      - id: pkpu-25-2023
        title: PKPU No. 25 Tahun 2023
    as_of: 2026-12-02
    review_by: 2027-12-31
  - id: voting-day
    value: {id: "14 Februari 2024", en: "14 February 2024"}
    sources: [{id: kpu, title: KPU RI, url: "https://www.kpu.go.id"}]
    as_of: 2026-12-02
    review_by: 2027-12-31
"""

QUIZ = """---
id: sample
title: A sample quiz
description: Questions to test the parser with.
level: beginner
reviewed: 2026-12-02
sources:
  - {id: uu-7-2017, title: UU No. 7 Tahun 2017 tentang Pemilihan Umum}
---

## hours

When is the TPS open?

- [x] {{fact:tps-hours}}
- [ ] 08.00–17.00

> From {{fact:tps-hours}}.

Source: uu-7-2017

## other

Who may vote?

- [x] Citizens aged 17 or older
- [ ] Everyone

> Citizens aged 17 or older.

Source: uu-7-2017
"""

PLEDGE = """---
id: pledge
title: Janji
points:
  - Aku nyoblos jam {{fact:tps-hours}}.
sources: [{id: own, title: Teman Pemilih}]
---
Hari-H: {{fact:voting-day}}.
"""

CALENDAR = """---
elections:
  - id: pemilu-2024
    name: {id: "Pemilu {{fact:voting-day}}", en: "Election of {{fact:voting-day}}"}
    stages:
      - {kind: voting-day, date: 2024-02-14, sources: [{id: kpu, title: KPU RI}]}
---
"""

BROADCAST = """---
id: hours
title: Jam TPS
sources: [{id: own, title: Teman Pemilih}]
---
# id
TPS buka {{fact:tps-hours}}.
# en
The TPS is open {{fact:tps-hours}}.
"""


def page(body: str) -> str:
    return GOOD.replace("Some **text**.", body)


def test_a_fact_is_filled_per_locale_and_cites_its_sources(tmp_path: Path) -> None:
    write(tmp_path, "facts.yaml", FACTS)
    write(tmp_path, "id/pages/sample.md", page("TPS buka {{fact:tps-hours}}."))
    write(tmp_path, "en/pages/sample.md", page("The TPS is open {{ fact:tps-hours }}."))
    write(tmp_path, "id/quizzes/sample.md", QUIZ)
    write(tmp_path, "id/pledge.md", PLEDGE)
    write(tmp_path, "calendar.md", CALENDAR)
    write(tmp_path, "broadcasts/hours.md", BROADCAST)
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    assert errors == []
    id_page, en_page = store.page("sample", "id"), store.page("sample", "en")
    assert id_page is not None and en_page is not None
    assert id_page.body == "TPS buka 07.00–13.00 waktu setempat."
    assert en_page.body == "The TPS is open 07.00–13.00 local time."
    assert [s.id for s in en_page.meta.sources] == ["uu-7-2017", "pkpu-25-2023"]

    quiz = get_quiz(store, "sample", "id")
    assert quiz is not None
    hours, other = quiz.questions
    assert hours.options[0].text == "07.00–13.00 waktu setempat"
    assert hours.explanation == "From 07.00–13.00 waktu setempat."
    # Only the question that states the fact cites its source.
    assert hours.source_ids == ("uu-7-2017", "pkpu-25-2023")
    assert other.source_ids == ("uu-7-2017",)
    assert [s.id for s in quiz.sources_of(hours)] == ["uu-7-2017", "pkpu-25-2023"]

    pledge = store.get("pledge", "pledge", "id")
    assert isinstance(pledge, PledgeText)
    assert pledge.meta.points == ["Aku nyoblos jam 07.00–13.00 waktu setempat."]
    assert pledge.body == "Hari-H: 14 Februari 2024."
    assert {s.id for s in pledge.meta.sources} == {"own", "pkpu-25-2023", "kpu"}

    calendar = store.get("calendar", "calendar", "en")
    assert isinstance(calendar, Calendar)
    name = calendar.elections[0].name
    assert name == {"id": "Pemilu 14 Februari 2024", "en": "Election of 14 February 2024"}

    files, errors = broadcast_files(tmp_path, ["id", "en"], "id")
    assert errors == []
    assert files[0].bodies == {
        "id": "TPS buka 07.00–13.00 waktu setempat.",
        "en": "The TPS is open 07.00–13.00 local time.",
    }
    assert [s.id for s in files[0].meta.sources] == ["own", "pkpu-25-2023"]


def test_text_from_elsewhere_is_filled_with_one_call(tmp_path: Path) -> None:
    write(tmp_path, "facts.yaml", FACTS)
    (tmp_path / "id").mkdir()
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    assert errors == [] and store.facts is not None
    text, sources = store.facts.cite("Poll: TPS open {{fact:tps-hours}}? {{fact:nope}}", "en")
    assert text == "Poll: TPS open 07.00–13.00 local time? {{fact:nope}}"
    assert [s.id for s in sources] == ["pkpu-25-2023"]
    assert store.facts.cite("No facts here.", "id") == ("No facts here.", [])


def test_unknown_fact_references_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "facts.yaml", FACTS)
    write(tmp_path, "id/pages/sample.md", page("Buka {{fact:tps-hour}}.\n\nLagi {{fact:nope}}."))
    write(tmp_path, "id/quizzes/sample.md", QUIZ.replace("From {{fact:tps-hours}}", "{{fact:x}}"))
    write(tmp_path, "id/pledge.md", PLEDGE.replace("{{fact:voting-day}}", "{{fact:}}"))
    write(
        tmp_path,
        "broadcasts/hours.md",
        BROADCAST.replace("{{fact:tps-hours}}.\n#", "{{fact:b}}\n#"),
    )
    errors = check(tmp_path)
    assert "id/pages/sample.md:13: unknown fact 'tps-hour' in {{fact:tps-hour}}" in "\n".join(
        errors
    )
    assert any(e.startswith("id/pages/sample.md:15: unknown fact 'nope'") for e in errors)
    assert any(e.startswith("id/quizzes/sample.md:18: unknown fact 'x'") for e in errors)
    assert any(e.startswith("id/pledge.md:8: unknown fact ''") for e in errors)
    assert any(e.startswith("broadcasts/hours.md:7: unknown fact 'b'") for e in errors)
    # The broadcast file alone (as `votebot broadcast create --file` reads it) is rejected too.
    _, alone = broadcast_files(tmp_path, ["id", "en"], "id")
    assert [e.format(tmp_path) for e in alone] == [
        "broadcasts/hours.md:7: unknown fact 'b' in {{fact:b}} (known: tps-hours, voting-day)"
    ]


def test_without_a_ledger_every_reference_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", page("Buka {{fact:tps-hours}}."))
    assert check(tmp_path) == [
        "id/pages/sample.md:13: unknown fact 'tps-hours' in {{fact:tps-hours}} "
        "(known: none: add content/facts.yaml)"
    ]


def test_a_broken_ledger_names_its_lines(tmp_path: Path) -> None:
    (tmp_path / "id").mkdir()
    write(
        tmp_path,
        "facts.yaml",
        FACTS
        + "  - id: Bad_Id\n    value: {id: x}\n    sources: []\n    as_of: 2026-12-02\n"
        + "    review_by: 2026-01-01\n"
        + "  - id: tps-hours\n    value: {id: a, en: b}\n    sources: [{id: k, title: KPU}]\n"
        + "    as_of: 2026-12-02\n    review_by: 2027-01-01\n"
        + "  - id: no-en\n    value: {id: a}\n    sources: [{id: k, title: KPU}]\n"
        + "    as_of: 2026-12-02\n    review_by: 2027-01-01\n    colour: red\n"
        + "extra: 1\n",
    )
    errors = check(tmp_path)
    assert "facts.yaml:1: unknown key 'extra' (the file holds one 'facts' list)" in errors
    assert "facts.yaml:16: facts.2.id: must be a slug" in "\n".join(errors)
    assert any(e.startswith("facts.yaml:18: facts.2.sources:") for e in errors)
    assert "facts.yaml:21: duplicate fact id 'tps-hours' (first on line 2)" in errors
    assert "facts.yaml:31: unknown key 'facts.4.colour'" in errors


def test_a_missing_value_for_a_locale_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "id").mkdir()
    write(tmp_path, "facts.yaml", FACTS.replace('      en: "07.00–13.00 local time"\n', ""))
    assert check(tmp_path) == ["facts.yaml:3: fact 'tps-hours': no value for en"]


def test_pages_and_quizzes_need_a_reviewed_date(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD.replace("reviewed: 2026-12-02\n", ""))
    write(tmp_path, "id/quizzes/sample.md", QUIZ.replace("reviewed: 2026-12-02", "reviewed: soon"))
    errors = check(tmp_path)
    assert "id/pages/sample.md:1: missing key 'reviewed'" in errors
    assert any(
        e.startswith("id/quizzes/sample.md:6: reviewed: Input should be a valid date")
        for e in errors
    )


#: Sources that are the project itself, not an outside authority.
PROJECT_SOURCES = ("teman-pemilih", "teman pemilih", "project")


def is_outside(source_id: str, title: str) -> bool:
    return not any(p in source_id.lower() or p in title.lower() for p in PROJECT_SOURCES)


def test_every_bundled_page_and_quiz_is_reviewed_and_cites_an_outside_source() -> None:
    store, errors = load_content(ROOT / "content", available_locales(), "id")
    assert errors == []
    for kind in ("pages", "quizzes"):
        for locale in ("id", "en"):
            items = store.items[kind][locale].values()
            assert items
            for item in items:
                assert item.meta.reviewed is not None
                outside = [s for s in item.meta.sources if is_outside(s.id, s.title)]
                assert outside, f"{item.path} cites no source outside the project"


def test_bundled_content_has_no_unfilled_fact_references() -> None:
    store, _ = load_content(ROOT / "content", available_locales(), "id")
    for kind in ("pages", "quizzes", "pledge"):
        for by_id in store.items[kind].values():
            for item in by_id.values():
                assert "{{fact" not in repr(item), item.path


def copy_content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    return copy


def test_content_facts_lists_each_fact_once_with_its_users(tmp_path: Path) -> None:
    copy = copy_content(tmp_path)
    (copy / "id" / "pages" / "tps-hours.md").write_text(
        page("TPS buka {{fact:tps-hours}}, DPK {{fact:dpk-hours}}.\nLagi: {{fact:tps-hours}}."),
        encoding="utf-8",
    )
    runner = CliRunner()
    out = runner.invoke(cli, ["content", "facts", "--dir", str(copy)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    headers = [line for line in lines if line and not line.startswith(" ")]
    assert len(headers) == len(set(headers)) >= 20
    assert "tps-hours" in headers and "next-national-election" in headers
    block = out.output.split("\ntps-closing", 1)[0]
    assert "  en: 07.00–13.00 local time" in block
    assert "PKPU No. 25 Tahun 2023" in block
    assert "    id/pages/tps-hours.md (lines 13, 14)" in block

    one = runner.invoke(cli, ["content", "facts", "--dir", str(copy), "dpk-hours"])
    assert one.exit_code == 0 and one.output.startswith("dpk-hours\n")
    assert "id/pages/tps-hours.md (line 13)" in one.output
    assert "tps-hours\n" not in one.output
    unknown = runner.invoke(cli, ["content", "facts", "--dir", str(copy), "nope"])
    assert unknown.exit_code == 1 and "no such fact: nope" in unknown.output


def test_content_check_warns_when_a_fact_is_due_for_review(tmp_path: Path) -> None:
    copy = copy_content(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(cli, ["content", "check", str(copy), "--today", "2026-12-02"])
    assert ok.exit_code == 0, ok.output
    assert "warning" not in ok.output and "facts: " in ok.output
    late = runner.invoke(cli, ["content", "check", str(copy), "--today", "2099-01-01"])
    assert late.exit_code == 0, late.output
    assert "facts.yaml:" in late.output
    assert "warning: fact 'tps-hours' was due for review on 2027-12-31" in late.output
    assert "fact(s) due for review" in late.output
    page_path = copy / "en" / "pages" / "tps-hours.md"
    page_path.write_text(page_path.read_text() + "\n{{fact:tps-hourz}}\n", encoding="utf-8")
    bad = runner.invoke(cli, ["content", "check", str(copy), "--today", "2026-12-02"])
    assert bad.exit_code == 1
    assert "tps-hours.md:" in bad.output and "unknown fact 'tps-hourz'" in bad.output
