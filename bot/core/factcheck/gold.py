"""Score claim matching against the gold set (``tests/factcheck/gold.tsv``).

Shared by ``bench/factcheck_bench.py`` (both halves, with timings) and the regression test (dev
half only). Columns: ``half``, ``expected`` (a claim id or ``none``), ``text`` (``\\n`` for a line
break, as forwards have them).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.factcheck.index import ClaimIndex


@dataclass(frozen=True)
class GoldLine:
    half: str
    expected: str
    text: str


def read_gold(path: Path) -> list[GoldLine]:
    rows = csv.DictReader(
        path.read_text(encoding="utf-8").splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE
    )
    return [GoldLine(r["half"], r["expected"], r["text"].replace("\\n", "\n")) for r in rows]


@dataclass
class Score:
    claims: int = 0
    top1: int = 0
    #: claim lines answered with high confidence and rightly (the verdict at once)
    high_right: int = 0
    lines: int = 0
    confidently_wrong: int = 0
    none_true: int = 0
    unknown_predicted: int = 0
    unknown_correct: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[tuple[GoldLine, str, str]] = field(default_factory=list)

    @property
    def top1_share(self) -> float:
        return self.top1 / self.claims if self.claims else 0.0

    @property
    def high_share(self) -> float:
        return self.high_right / self.claims if self.claims else 0.0

    @property
    def wrong_share(self) -> float:
        return self.confidently_wrong / self.lines if self.lines else 0.0

    @property
    def unknown_precision(self) -> float:
        return self.unknown_correct / self.unknown_predicted if self.unknown_predicted else 1.0

    @property
    def unknown_recall(self) -> float:
        return self.unknown_correct / self.none_true if self.none_true else 1.0

    def percentile(self, p: float) -> float:
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def score(
    index: ClaimIndex, lines: Iterable[GoldLine], locale: str = "id", passes: int = 1
) -> Score:
    """Top-1 counts a claim line right when the best candidate (high or medium) is the claim.

    Each line's time is its best of ``passes`` runs (other work on a shared machine adds noise).
    """
    s = Score()
    for line in lines:
        timings = []
        for _ in range(max(1, passes)):
            started = time.perf_counter()
            result = index.check(line.text, locale)
            timings.append(time.perf_counter() - started)
        s.seconds.append(min(timings))
        s.lines += 1
        got = result.best.claim_id if result.best and result.confidence != "unknown" else "none"
        if result.confidence == "unknown":
            s.unknown_predicted += 1
        if line.expected == "none":
            s.none_true += 1
            if result.confidence == "unknown":
                s.unknown_correct += 1
        else:
            s.claims += 1
            if got == line.expected:
                s.top1 += 1
                s.high_right += result.confidence == "high"
        if result.confidence == "high" and got != line.expected:
            s.confidently_wrong += 1
        if got != line.expected:
            s.misses.append((line, got, result.confidence))
    return s
