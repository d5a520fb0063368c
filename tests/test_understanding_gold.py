"""A floor against regressions: the dev half of the gold set (tests/nlu/gold.tsv).

Fails below 90 % top-1 on in-scope lines or above 3 % answered confidently and wrongly. The test
half runs only in bench/nlu_bench.py, so nobody tunes on it to make this pass.
"""

from __future__ import annotations

from bot import ROOT
from bot.core.content import load_content
from bot.core.understanding.gold import read_gold, score
from bot.core.understanding.index import index_for

GOLD = ROOT / "tests" / "nlu" / "gold.tsv"


def test_the_gold_set_is_big_enough_and_well_formed() -> None:
    gold = read_gold(GOLD)
    by_locale = {loc: [g for g in gold if g.locale == loc] for loc in ("id", "en")}
    assert len(by_locale["id"]) >= 400 and len(by_locale["en"]) >= 150
    assert sum(g.target == "none" for g in gold) >= 60
    assert {g.half for g in gold} == {"dev", "test"}
    store, errors = load_content(ROOT / "content", ["id", "en"], "id")
    assert not errors
    targets = {g.target for g in gold} - {"none"}
    for target in targets:
        kind, _, name = target.partition(":")
        assert kind in ("faq", "page", "intent"), target
        found = {
            "faq": store.get("faq", name, "id"),
            "page": store.page(name, "id"),
            "intent": store.data["understanding"].intent(name, "id"),
        }[kind]
        assert found is not None, f"unknown target {target}"
    assert len({g.text for g in gold}) == len(gold), "a line appears twice"


def test_dev_half_top1_and_confidently_wrong() -> None:
    store, _ = load_content(ROOT / "content", ["id", "en"], "id")
    dev = [g for g in read_gold(GOLD) if g.half == "dev"]
    s = score(index_for(store), dev)
    misses = "\n".join(f"{line.text!r}: want {line.target}, got {got}" for line, got, _ in s.misses)
    assert s.top1_share >= 0.90, f"top-1 {s.top1_share:.1%} < 90 %\n{misses}"
    assert s.wrong_share <= 0.03, f"confidently wrong {s.wrong_share:.1%} > 3 %\n{misses}"
