"""Character 3-gram similarity between a message and each target's phrasings.

Words people bend (``kedaftar``/``terdaftar``, ``nyoblosnya``, typos) still share most of their
3-grams with the form in a phrasing, where whole-word matching sees nothing in common. Each
target (its questions and title together) is one TF-IDF vector of 3-grams; the similarity is
the cosine, from 0 to 1.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

N = 3
K = TypeVar("K", bound=Hashable)


def grams(words: Iterable[str]) -> Counter[str]:
    out: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        out.update(padded[i : i + N] for i in range(len(padded) - N + 1))
    return out


class CharGrams(Generic[K]):
    def __init__(self, texts: Mapping[K, list[list[str]]]) -> None:
        counts = {key: grams(w for words in docs for w in words) for key, docs in texts.items()}
        df: Counter[str] = Counter()
        for c in counts.values():
            df.update(c.keys())
        n = max(1, len(counts))
        self.idf = {g: math.log(1 + n / d) for g, d in df.items()}
        #: 3-gram → [(target, weight in the target's unit vector)]
        self.postings: dict[str, list[tuple[K, float]]] = {}
        #: target → its unit vector (for scoring a few targets without walking the postings)
        self.vectors: dict[K, dict[str, float]] = {}
        for key, c in counts.items():
            vec = {g: (1 + math.log(f)) * self.idf[g] for g, f in c.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            self.vectors[key] = {g: v / norm for g, v in vec.items()}
            for g, v in vec.items():
                self.postings.setdefault(g, []).append((key, v / norm))

    def similarity(self, words: Iterable[str], only: Iterable[K] | None = None) -> dict[K, float]:
        """Cosine similarity of ``words`` to every target it shares a 3-gram with, or to the
        targets in ``only`` (cheaper when they are a few: the common grams' long postings are
        not walked)."""
        q = grams(words)
        vec = {g: (1 + math.log(f)) * self.idf[g] for g, f in q.items() if g in self.idf}
        # Grams no target has still count in the message's length: unknown words lower it.
        missing = sum(1 + math.log(f) for g, f in q.items() if g not in self.idf)
        norm = math.sqrt(sum(v * v for v in vec.values()) + missing * missing) or 1.0
        sims: dict[K, float] = {}
        if only is not None:
            for key in only:
                target = self.vectors.get(key)
                if target is not None:
                    dot = sum(v * target.get(g, 0.0) for g, v in vec.items())
                    if dot:
                        sims[key] = dot
        else:
            for g, v in vec.items():
                for key, w in self.postings[g]:
                    sims[key] = sims.get(key, 0.0) + v * w
        return {key: s / norm for key, s in sims.items()}
