"""Claim matching: noise stripping, link normalisation, the dev half of the gold set as a floor."""

from __future__ import annotations

import pytest

from bot import ROOT
from bot.core.content import load_content
from bot.core.factcheck import ClaimIndex, claim_texts, index_for
from bot.core.factcheck.gold import read_gold, score
from bot.core.factcheck.text import looks_forwarded, strip_noise
from bot.core.factcheck.urls import extract_urls, normalise_url
from bot.core.understanding.content import knowledge


@pytest.fixture(scope="module")
def index() -> ClaimIndex:
    store, errors = load_content(ROOT / "content", ["id", "en"], "id")
    assert errors == []
    return index_for(store)


def test_chain_letter_noise_and_forward_headers_are_stripped() -> None:
    text = (
        "Diteruskan\n[Forwarded from Om Budi]\nTINTA PEMILU HARAM!!!! 😱😱😱 SEBARKAN ke semua grup"
    )
    assert strip_noise(text) == "TINTA PEMILU HARAM!"
    assert looks_forwarded(text)
    assert not looks_forwarded("jam berapa tps buka")
    # "Diteruskan" on its own line never swallows the claim on the next line
    assert strip_noise("Diteruskan\nDari PPS: instal aplikasinya") == "Dari PPS: instal aplikasinya"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.Example.com/a/b/?utm_source=wa&fbclid=x#top", "example.com/a/b"),
        ("http://m.kompas.com/x?id=2&igshid=z&a=1", "https://kompas.com/x?a=1&id=2"),
        ("bit.ly/AbC?si=123", "https://bit.ly/AbC/"),
    ],
)
def test_near_duplicate_links_normalise_alike(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b) != ""


def test_shortener_codes_are_case_sensitive_and_never_host_only() -> None:
    assert normalise_url("bit.ly/AbC") != normalise_url("bit.ly/abc")
    assert normalise_url("https://bit.ly/") == ""
    assert extract_urls("cek www.kpu.go.id/ dan bit.ly/x1, juga s.id/Pemilu!") == [
        "kpu.go.id",
        "bit.ly/x1",
        "s.id/Pemilu",
    ]


def test_a_link_that_spread_a_claim_matches_with_tracking_noise(index: ClaimIndex) -> None:
    result = index.check("lihat ini https://vt.tiktok.com/ZSFNSEq32/?utm_source=wa 😱", "id")
    assert result.confidence == "high"
    assert result.url_match
    assert result.best is not None and result.best.claim_id == "hasil-suara-luar-negeri-bocor"
    other = index.check("lihat ini https://vt.tiktok.com/zsfnseq32", "id")
    assert not other.url_match


def test_a_forwarded_hoax_with_typos_gets_its_claim(index: ClaimIndex) -> None:
    result = index.check(
        "Diteruskan\nASTAGFIRULLAH tinta pemilu ternyata harammm, wudhu jd gak sah!!! sebarkan",
        "id",
    )
    assert result.confidence == "high"
    assert result.best is not None and result.best.claim_id == "tinta-pemilu-haram"


def test_everyday_messages_are_unknown(index: ClaimIndex) -> None:
    for text in ("Selamat pagi semua, semoga sehat selalu", "harga cabai naik lagi di pasar"):
        assert index.check(text, "id").confidence == "unknown"


def test_dev_half_floor() -> None:
    """A floor against regressions (the test half runs only in bench/factcheck_bench.py)."""
    store, _ = load_content(ROOT / "content", ["id", "en"], "id")
    fresh = ClaimIndex(knowledge(store), claim_texts(store))
    lines = [ln for ln in read_gold(ROOT / "tests" / "factcheck" / "gold.tsv") if ln.half == "dev"]
    assert sum(ln.expected == "none" for ln in lines) >= 25
    s = score(fresh, lines)
    assert s.top1_share >= 0.85, s.misses
    assert s.wrong_share <= 0.02, s.misses
