"""The content loader: good files, broken files (with file and line), bundled content, fallback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import ROOT
from bot.core.content import load_content
from bot.core.i18n import available_locales

GOOD = """---
id: sample
title: A sample page
section: basics
order: 1
short_title: Sample
reviewed: 2026-12-02
sources:
  - id: uu-7-2017
    title: UU No. 7 Tahun 2017 tentang Pemilihan Umum
    url: https://www.kpu.go.id
---
Some **text**.
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(root: Path) -> list[str]:
    _, errors = load_content(root, ["id", "en"], "id")
    return [e.format(root) for e in errors]


def test_good_page_loads_and_falls_back_to_default_locale(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD)
    (tmp_path / "en").mkdir()
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    assert errors == []
    page = store.page("sample", "en")
    assert page is not None and page.locale == "id" and "**text**" in page.body
    assert [p.id for p in store.section_pages("basics", "en")] == ["sample"]


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (GOOD.replace("title: A sample page\n", ""), "id/pages/sample.md:1: missing key 'title'"),
        (
            GOOD.replace("order: 1\n", "order: 1\ncolour: red\n"),
            "id/pages/sample.md:6: unknown key 'colour'",
        ),
        (
            GOOD.replace("title: A sample page", "title: [unclosed"),
            "id/pages/sample.md:4: invalid YAML",
        ),
        (
            GOOD.replace("section: basics", "section: gossip"),
            "id/pages/sample.md:4: section: unknown",
        ),
        (
            GOOD.replace("    url: https://www.kpu.go.id", "    url: kpu"),
            "id/pages/sample.md:11: sources.0.url",
        ),
        (GOOD.replace("id: sample", "id: other"), "id/pages/sample.md:2: id 'other' must match"),
        (GOOD.replace("Some **text**.\n", ""), "id/pages/sample.md:13: the page has no text"),
        (GOOD.replace("---\nSome", "Some"), "id/pages/sample.md:1: front matter is not closed"),
        ("no front matter", "id/pages/sample.md:1: missing front matter"),
        (GOOD.replace("sources:\n", "sources: []\nx:\n"), "unknown key 'x'"),
    ],
)
def test_broken_pages_name_file_and_line(tmp_path: Path, broken: str, expected: str) -> None:
    write(tmp_path, "id/pages/sample.md", broken)
    errors = check(tmp_path)
    assert any(e.startswith(expected) or expected in e for e in errors), errors


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "id/pages/sample.md", GOOD.replace("title: A sample page\n", "tilte: x\n"))
    write(tmp_path, "en/pages/sample.md", "---\n: [\n---\n")
    write(tmp_path, "id/stray.md", GOOD)
    errors = check(tmp_path)
    assert len(errors) >= 4, errors
    assert any("stray.md:1: not a known kind" in e for e in errors)


def test_bundled_content_is_valid_in_every_locale() -> None:
    locales = available_locales()
    store, errors = load_content(ROOT / "content", locales, "id")
    assert errors == []
    for locale in ("id", "en"):
        assert len(store.items["pages"][locale]) >= 6
        for page in store.all("pages", locale):
            assert page.meta.sources
    assert set(store.items["pages"]["id"]) == set(store.items["pages"]["en"])


def test_content_check_cli_on_a_broken_copy(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    runner = CliRunner()
    ok = runner.invoke(cli, ["content", "check", str(copy)])
    assert ok.exit_code == 0, ok.output
    assert "Content OK" in ok.output
    page = copy / "id" / "pages" / "who-may-vote.md"
    page.write_text(page.read_text().replace("title:", "judul:", 1))
    bad = runner.invoke(cli, ["content", "check", str(copy)])
    assert bad.exit_code == 1
    assert "who-may-vote.md:" in bad.output and "unknown key 'judul'" in bad.output
