"""The privacy notice at onboarding and /privasi, and /dataku showing what is stored."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot import ROOT
from bot.core.content import load_content
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog


async def test_onboarding_shows_a_short_privacy_notice(runtime: Runtime) -> None:
    d = Dialog(runtime.core)
    await d.say("/start")
    assert "nggak pernah minta NIK" in d.text and "/privasi" in d.text and "/dataku" in d.text


async def test_privacy_notice_names_the_operator_and_the_rights(db_url: str) -> None:
    rt = await open_runtime(
        make_settings(
            db_url,
            VOTEBOT_OPERATOR="BEM Kampus X (halo@example.org)",
            VOTEBOT_LOG_RETENTION_DAYS=365,
        )
    )
    try:
        d = Dialog(rt.core, language_code="en")
        await d.say("/start")
        await d.press("English")
        await d.say("/privacy")
        assert "BEM Kampus X (halo@example.org) runs this copy" in d.text
        assert "cut loose from you after 1 year." in d.text
        assert "UU 27/2022" in d.text and "/hapus" in d.text and "/dataku" in d.text
        await d.say("/about")
        assert "not an official service of KPU or Bawaslu" in d.text
        assert "Who runs it: BEM Kampus X (halo@example.org) runs this copy" in d.text
        await d.press("🏠 Menu")
        await d.press("⚙️ More")
        await d.press("ℹ️ About")
        assert "BEM Kampus X (halo@example.org)" in d.text
    finally:
        await rt.close()


async def test_about_says_who_runs_it_even_when_unnamed(runtime: Runtime) -> None:
    d = Dialog(runtime.core)
    await d.say("/start")
    await d.press("Bahasa Indonesia")
    await d.say("/tentang")
    assert "bukan layanan resmi KPU atau Bawaslu" in d.text
    assert "lembaga yang menjalankan bot ini" in d.text


async def test_my_data_shows_what_is_stored_and_deletion_removes_it(runtime: Runtime) -> None:
    d = Dialog(runtime.core, language_code="en")
    await d.say("/start")
    await d.press("English")
    await d.press("Yes, remind me")
    await d.say("/janji")
    await d.press("Sign the pledge")
    await d.say("Sari")
    await d.press("Skip")
    await d.say("/dataku")
    assert "What I have stored about you" in d.text
    assert "Language: English" in d.text and "Occasional reminders: yes" in d.text
    assert "Name for the pledge: Sari" in d.text and "Pledge signed on" in d.text
    assert "Activity records" in d.text and "not linked to you" in d.text
    await d.say("/hapus")
    await d.press("Yes, delete my data")
    await d.say("/mydata")  # a fresh start: nothing of before is left
    assert "Sari" not in d.text and "Pledge signed" not in d.text
    assert "Language: not chosen" in d.text or "Bahasa: belum dipilih" in d.text


async def test_an_operator_rewrites_about_in_content(db_url: str, tmp_path: Path) -> None:
    """About is content (``about.md``) plus who runs the copy (``VOTEBOT_OPERATOR``)."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "id" / "about.md").write_text(
        "---\nid: about\ntitle: Tentang bot ini\n---\n"
        "Bot ini dipakai di Kampus X buat belajar pemilu bareng.\n\n"
        "Yang menjalankan: {operator}.\n",
        encoding="utf-8",
    )
    rt = await open_runtime(
        make_settings(db_url, VOTEBOT_CONTENT_DIR=content, VOTEBOT_OPERATOR="BEM Kampus X")
    )
    try:
        d = Dialog(rt.core)
        await d.say("/start")
        await d.press("Bahasa Indonesia")
        await d.say("/tentang")
        assert "dipakai di Kampus X" in d.text and "Yang menjalankan: BEM Kampus X." in d.text
    finally:
        await rt.close()


def test_about_must_name_who_runs_the_copy(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    path = content / "en" / "about.md"
    path.write_text("---\nid: about\ntitle: About\n---\nA bot.\n", encoding="utf-8")
    _, errors = load_content(content, ["id", "en"], "id")
    assert [(e.path, e.message) for e in errors] == [
        (path, "name who runs this copy with {operator} in the text")
    ]
