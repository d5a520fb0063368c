"""Score the understanding layer against the gold set (``tests/nlu/gold.tsv``).

Shared by ``bench/nlu_bench.py`` (both halves, with timings) and the regression test (dev half
only). A prediction of an intent marked ``unanswered`` (out of scope) counts as ``none``, as
does low confidence: in both cases the user is told we can't answer.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.understanding.content import Knowledge
from bot.core.understanding.index import Index
from bot.core.understanding.model import Understanding


@dataclass(frozen=True)
class GoldLine:
    locale: str
    half: str
    target: str
    text: str


def read_gold(path: Path) -> list[GoldLine]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [GoldLine(r["locale"], r["half"], r["target"], r["text"]) for r in reader]


def predicted(u: Understanding, k: Knowledge, locale: str) -> str:
    """What the user effectively got: a target label, or ``none``."""
    if u.best is None or u.confidence == "low":
        return "none"
    if u.best.kind == "intent":
        intent = k.intent(u.best.target, locale)
        if intent is not None and intent.unanswered:
            return "none"
    return u.best.label


@dataclass
class Score:
    lines: int = 0
    in_scope: int = 0
    top1: int = 0
    confidently_wrong: int = 0
    none_true: int = 0
    none_predicted: int = 0
    none_correct: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[tuple[GoldLine, str, str]] = field(default_factory=list)

    @property
    def top1_share(self) -> float:
        return self.top1 / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_share(self) -> float:
        return self.confidently_wrong / self.lines if self.lines else 0.0

    @property
    def none_precision(self) -> float:
        return self.none_correct / self.none_predicted if self.none_predicted else 0.0

    @property
    def none_recall(self) -> float:
        return self.none_correct / self.none_true if self.none_true else 0.0


def score(index: Index, gold: Iterable[GoldLine]) -> Score:
    s = Score()
    for line in gold:
        started = time.perf_counter()
        u = index.understand(line.text, line.locale)
        s.seconds.append(time.perf_counter() - started)
        got = predicted(u, index.k, line.locale)
        s.lines += 1
        if got == "none":
            s.none_predicted += 1
        if line.target == "none":
            s.none_true += 1
            s.none_correct += got == "none"
        else:
            s.in_scope += 1
            top = u.best.label if u.best is not None else "none"
            s.top1 += top == line.target
        wrong = u.confidence == "high" and got != line.target
        s.confidently_wrong += wrong
        if got != line.target:
            conf = u.confidence
            s.misses.append((line, got if got != "none" else f"none({top_label(u)})", conf))
    return s


def top_label(u: Understanding) -> str:
    return u.best.label if u.best is not None else "-"
