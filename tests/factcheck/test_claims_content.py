"""The claims library: strict schema, file:line errors, same ids and verdicts in every locale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import ROOT
from bot.core.content import load_content
from bot.core.factcheck.content import Claim, count_sentences

GOOD = """---
id: sample-claim
title: Tinta pemilu haram
verdict: keliru
checked: 2024-01-18
reviewed: 2026-12-02
variants:
  - tinta pemilu itu haram katanya
  - jangan mau dicelup tinta pemilu
  - tinta ungu bikin wudhu batal
sources:
  - id: lppom
    title: LPPOM MUI 2024
    url: https://example.org/lppom
reply: Maaf nimbrung ya. Tinta pemilu bersertifikat halal dan tembus air. Ini sumbernya https://example.org/lppom
---
Tinta pemilu wajib halal dan tembus air.
"""


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def errors_for(root: Path) -> list[str]:
    _, errors = load_content(root, ["id", "en"], "id")
    return [e.format(root) for e in errors]


def test_a_good_claim_loads_in_both_locales(tmp_path: Path) -> None:
    write(tmp_path, "id/claims/sample-claim.md", GOOD)
    write(tmp_path, "en/claims/sample-claim.md", GOOD)
    store, errors = load_content(tmp_path, ["id", "en"], "id")
    assert errors == []
    claim = store.get("claims", "sample-claim", "en")
    assert isinstance(claim, Claim)
    assert claim.link == "https://example.org/lppom"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("verdict: keliru", "verdict: salah", "id/claims/sample-claim.md:4: verdict:"),
        ("title: Tinta pemilu haram", "title: " + "x" * 61, "id/claims/sample-claim.md:3: title:"),
        ("  - tinta ungu bikin wudhu batal\n", "", "id/claims/sample-claim.md:7: variants:"),
        ("Ini sumbernya https://example.org/lppom", "Tanpa tautan", "reply: must contain exactly"),
        (
            "Ini sumbernya https://example.org/lppom",
            "Satu https://a.example/x dua https://b.example/y",
            "found 2",
        ),
        ("Maaf nimbrung ya. Tinta pemilu bersertifikat halal dan tembus air. ", "", "(found 1)"),
        ("checked: 2024-01-18", "checked: 2027-01-18", "checked is after reviewed"),
        ("sources:\n", "image_hashes: [XYZ]\nsources:\n", "image_hashes: not a lower-case hex"),
        ("Tinta pemilu wajib halal dan tembus air.", "x" * 601, "601 characters"),
        ("reviewed: 2026-12-02\n", "", "missing key 'reviewed'"),
        ("id: sample-claim", "id: other-claim", "must match the file name"),
    ],
)
def test_broken_claims_name_file_and_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    write(tmp_path, "id/claims/sample-claim.md", GOOD.replace(old, new))
    write(tmp_path, "en/claims/sample-claim.md", GOOD)
    errors = errors_for(tmp_path)
    assert any(expected in e for e in errors), errors


def test_locales_must_agree_on_ids_and_verdicts(tmp_path: Path) -> None:
    write(tmp_path, "id/claims/sample-claim.md", GOOD)
    write(tmp_path, "en/claims/sample-claim.md", GOOD.replace("verdict: keliru", "verdict: benar"))
    write(tmp_path, "id/claims/only-id.md", GOOD.replace("id: sample-claim", "id: only-id"))
    errors = errors_for(tmp_path)
    assert any(
        e.startswith("en/claims/sample-claim.md:4: verdict 'benar' differs") for e in errors
    ), errors
    assert any("claim 'only-id' has no 'en' version" in e for e in errors), errors


def test_sentence_counting_ignores_the_dots_of_links_and_numbers() -> None:
    assert count_sentences("TPS buka 07.00. Cek di https://cekdptonline.kpu.go.id/x.y") == 2
    assert count_sentences("Satu! Dua? Tiga.") == 3


def test_the_bundled_library_is_big_and_each_reply_has_one_link() -> None:
    store, errors = load_content(ROOT / "content", ["id", "en"], "id")
    assert errors == []
    for locale in ("id", "en"):
        claims = store.items["claims"][locale]
        assert len(claims) >= 40
        for claim in claims.values():
            assert len(re.findall(r"https?://", claim.meta.reply)) == 1, claim.path
