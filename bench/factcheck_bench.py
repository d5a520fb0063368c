"""Cek Fakta benchmark: claim matching on the gold set and speed (prints figures, asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/factcheck_bench.py [--misses dev|test]

Per half of ``tests/factcheck/gold.tsv``: top-1 accuracy on claim lines (the best candidate of a
high or medium answer), the share of lines answered with high confidence but wrongly, precision
and recall of "unknown" (the message matches no claim), p50/p99 latency; then the index build
time. Latency is each message's best of three passes (the machine is shared). Targets on the test half: top-1 ≥ 90 %, confidently wrong ≤ 1 %, p99 ≤ 20 ms. Tune only on
the dev half.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from bot.config import Settings
from bot.core.content import load_content
from bot.core.factcheck import ClaimIndex, claim_texts
from bot.core.factcheck.gold import read_gold, score
from bot.core.understanding.content import knowledge

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "factcheck" / "gold.tsv")
    parser.add_argument("--misses", choices=["dev", "test"], help="list the misses of a half")
    args = parser.parse_args()
    settings = Settings()
    store, errors = load_content(ROOT / "content", ["id", "en"], settings.default_locale)
    if errors:
        raise SystemExit(f"content has {len(errors)} error(s); run votebot content check")
    started = time.perf_counter()
    index = ClaimIndex(knowledge(store), claim_texts(store))
    build = time.perf_counter() - started
    lines = read_gold(args.gold)
    gc.collect()
    gc.freeze()  # the index lives for the process, like in a running bot
    for line in lines:  # warm the word caches once, like a running bot after a while
        index.check(line.text, "id")
    print(f"claims: {len(index)}, gold lines: {len(lines)}, index build: {build * 1000:.0f} ms")
    header = "half  top-1  high&right  conf.wrong  unknown P/R   p50 ms  p99 ms  (claims/lines)"
    print(header)
    for half in ("dev", "test"):
        s = score(index, [ln for ln in lines if ln.half == half], passes=3)
        print(
            f"{half:<5} {s.top1_share:6.1%} {s.high_share:10.1%} {s.wrong_share:10.1%}  "
            f"{s.unknown_precision:5.1%}/{s.unknown_recall:5.1%}  "
            f"{s.percentile(0.5) * 1000:6.2f}  {s.percentile(0.99) * 1000:6.2f}  "
            f"({s.claims}/{s.lines})"
        )
        if args.misses == half:
            for line, got, conf in s.misses:
                print(f"  {line.expected} -> {got} [{conf}]: {line.text[:90]!r}")


if __name__ == "__main__":
    main()
