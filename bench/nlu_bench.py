"""Understanding benchmark: accuracy on the gold set and speed (prints figures, asserts nothing).

    PYTHONPATH=. .venv/bin/python bench/nlu_bench.py [--misses dev|test] [--gold tests/nlu/gold.tsv]

Per locale and half of ``tests/nlu/gold.tsv``: top-1 accuracy on in-scope lines, the share of
lines answered with high confidence but wrongly, precision and recall of ``none`` (low
confidence or an out-of-scope intent), p50/p99 latency per message; then the index build time
and the memory it takes. Targets on the test half: top-1 ≥ 92 %, confidently wrong ≤ 2 %,
p99 ≤ 10 ms, build ≤ 1 s, ≤ 50 MB. Tune only on the dev half.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from pathlib import Path

from bot.config import Settings
from bot.core.content import load_content
from bot.core.understanding.content import knowledge
from bot.core.understanding.gold import read_gold, score
from bot.core.understanding.index import Index

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "nlu" / "gold.tsv")
    parser.add_argument("--misses", choices=["dev", "test"], help="list the misses of a half")
    args = parser.parse_args()
    settings = Settings()
    store, errors = load_content(settings.content_dir, ["id", "en"], settings.default_locale)
    print(f"content: {len(errors)} error(s) ignored for the bench" if errors else "content: OK")
    k = knowledge(store)
    Index(k)  # warm imports and caches so the timed build measures the build alone
    gc.collect()
    rss_before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    index = Index(k)
    build = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    k.index = index
    print(
        f"index: {len(index.docs)} documents, {len(index.vocab)} words; build {build * 1000:.0f} ms; "
        f"memory {current / 1e6:.1f} MB held (peak {peak / 1e6:.1f} MB, "
        f"RSS +{rss_mb() - rss_before:.1f} MB)"
    )
    gold = read_gold(args.gold)
    for line in gold[:50]:  # warm the mending cache the way a running bot would
        index.understand(line.text, line.locale)
    header = f"{'locale':6} {'half':5} {'lines':>5} {'top-1':>7} {'conf.wrong':>10} {'none P':>7} {'none R':>7} {'p50 ms':>7} {'p99 ms':>7}"
    print(header)
    for locale in ("id", "en"):
        for half in ("dev", "test"):
            part = [g for g in gold if g.locale == locale and g.half == half]
            index.mend.cache_clear()
            s = score(index, part)
            ms = sorted(x * 1000 for x in s.seconds)
            p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
            print(
                f"{locale:6} {half:5} {s.lines:5} {s.top1_share:7.1%} {s.wrong_share:10.1%} "
                f"{s.none_precision:7.1%} {s.none_recall:7.1%} {statistics.median(ms):7.2f} {p99:7.2f}"
            )
            if args.misses == half:
                for line, got, conf in s.misses:
                    print(f"    MISS [{conf:6}] {line.text!r}: want {line.target}, got {got}")


if __name__ == "__main__":
    main()
