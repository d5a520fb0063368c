"""The claims index: which checked claim a forwarded message repeats, and how sure that is.

Every variant and title of every claim (all locales: a claim circulates in Indonesian whatever
the user's language) is one document of normalised words (the understanding layer's normaliser,
stopwords left out). For a message, chain-letter noise and links are stripped, words the index
does not know are mended (an affix stripped, or the nearest known word by edit distance), bm25s
picks the closest documents, and each claim gets an absolute score from 0 to 1:

- how much of its best variant the message contains (weighted by word rarity) — a forward wraps
  the claim in other words, so this counts most;
- how much of the message the claim's words cover;
- character 3-gram similarity (typos, bent words), from the understanding layer's
  :class:`~bot.core.understanding.chargrams.CharGrams`.

A link in the message that a claim lists (after :func:`~.urls.normalise_url`) is a match on its
own. Confidence comes from the best score and the gap to the next claim (tuned on the dev half of
``tests/factcheck/gold.tsv``): high → the verdict; medium → "did you mean?"; else unknown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.core.factcheck.text import strip_noise
from bot.core.factcheck.urls import extract_urls, normalise_url
from bot.core.understanding.chargrams import CharGrams
from bot.core.understanding.content import Knowledge

#: bm25s sets its own logger to DEBUG on import and logs every index build: keep it quiet.
logging.getLogger("bm25s").setLevel(logging.WARNING)

Confidence = Literal["high", "medium", "unknown"]

HIGH, GAP, MEDIUM = 0.52, 0.12, 0.42
W_DOC, W_QUERY, W_CHAR = 0.5, 0.3, 0.2
TOP_DOCS = 30
#: At most this many "Maksudmu klaim ini?" buttons.
MAX_CHOICES = 3
#: Forwards are cut here before matching (keeps latency flat; claims come first in a forward).
MAX_CHARS = 1500
#: How much a mended word counts (affix stripped, or found by edit distance).
AFFIX_TRUST, FUZZY_TRUST = 0.9, 0.6
_PREFIXES = ("meng", "meny", "mem", "men", "me", "di", "ber", "ter", "ke", "se", "pe", "nge", "ng")
_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "in", "i", "s")
#: Small numbers written as digits match the same numbers written as words ("2 suara").
_NUMBER_WORDS = {"2": "dua", "3": "tiga", "4": "empat", "5": "lima", "7": "tujuh"}


@dataclass(frozen=True)
class ClaimText:
    """What the index needs of one claim (from a content file or a verdict published in the DB)."""

    claim_id: str
    texts: tuple[str, ...]
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    claim_id: str
    score: float


@dataclass(frozen=True)
class CheckResult:
    confidence: Confidence
    best: Candidate | None
    candidates: list[Candidate] = field(default_factory=list)
    #: Normalised links found in the message (kept for the team's queue).
    urls: list[str] = field(default_factory=list)
    #: The message without noise or links (not yet scrubbed of personal data).
    cleaned: str = ""
    #: Normalised words of the message, for grouping unknown claims.
    words: tuple[str, ...] = ()
    url_match: bool = False


@dataclass(frozen=True)
class _Doc:
    claim_id: str
    tokens: tuple[str, ...]
    weight: float = 0.0


class ClaimIndex:
    def __init__(self, k: Knowledge, claims: Iterable[ClaimText]) -> None:
        self.k = k
        self.stopwords = frozenset().union(*(lex.stopwords for lex in k.lexicons.values()))
        self.docs: list[_Doc] = []
        self.by_url: dict[str, str] = {}
        bags: dict[str, set[str]] = {}
        phrasings: dict[Hashable, list[list[str]]] = {}
        self.locale = sorted(k.lexicons)[0] if k.lexicons else "id"
        for claim in claims:
            for url in claim.urls:
                norm = normalise_url(url)
                if norm:
                    self.by_url.setdefault(norm, claim.claim_id)
            for text in claim.texts:
                tokens = self.tokens(text)
                if not tokens:
                    continue
                self.docs.append(_Doc(claim.claim_id, tuple(dict.fromkeys(tokens))))
                bags.setdefault(claim.claim_id, set()).update(tokens)
                phrasings.setdefault(claim.claim_id, []).append(tokens)
        df: dict[str, int] = {}
        for bag in bags.values():
            for tok in bag:
                df[tok] = df.get(tok, 0) + 1
        n = max(1, len(bags))
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.unknown_idf = 0.8 * max(self.idf.values(), default=1.0)
        self.bags = bags
        self.docs = [_Doc(d.claim_id, d.tokens, self._weight(d.tokens)) for d in self.docs]
        self.chars = CharGrams(phrasings)
        self._by_letter: dict[str, list[str]] = {}
        for word in sorted(self.idf):
            self._by_letter.setdefault(word[0], []).append(word)
        self.bm25 = bm25s.BM25()
        if self.docs:
            self.bm25.index([list(d.tokens) for d in self.docs], show_progress=False)
        self.mend = lru_cache(maxsize=8192)(self._mend)

    def __len__(self) -> int:
        return len(self.bags)

    def tokens(self, text: str, locale: str | None = None) -> list[str]:
        norm = self.k.normalise(strip_noise(text), locale or self.locale)
        words = (_NUMBER_WORDS.get(t, t) for t in norm.split())
        return [t for t in words if t not in self.stopwords and len(t) > 1]

    def _weight(self, tokens: Iterable[str]) -> float:
        return sum(self.idf.get(t, 0.0) for t in set(tokens))

    def _mend(self, token: str) -> tuple[str, float] | None:
        if token in self.idf:
            return token, 1.0
        if token.isdigit():
            return None
        for pre in ("", *_PREFIXES):
            if not token.startswith(pre):
                continue
            core = token[len(pre) :]
            for suf in ("", *_SUFFIXES):
                if suf and not core.endswith(suf):
                    continue
                stem = core[: len(core) - len(suf)] if suf else core
                if len(stem) >= 4 and stem in self.idf:
                    return stem, AFFIX_TRUST
        if not 5 <= len(token) <= 24:
            return None
        found = process.extractOne(
            token,
            self._by_letter.get(token[0], []),
            scorer=fuzz.ratio,
            score_cutoff=80.0 if len(token) >= 8 else 86.0,
        )
        return (str(found[0]), FUZZY_TRUST) if found else None

    def check(self, text: str, locale: str) -> CheckResult:
        text = text[:MAX_CHARS]
        urls = extract_urls(text)
        cleaned = strip_noise(text)
        raw = self.tokens(cleaned, locale)
        for url in urls:
            hit = self.by_url.get(url)
            if hit is not None:
                best = Candidate(hit, 1.0)
                return CheckResult("high", best, [best], urls, cleaned, tuple(raw), True)
        if not raw or not self.docs:
            return CheckResult("unknown", None, [], urls, cleaned, tuple(raw))
        weights: dict[str, float] = {}
        unknown = 0
        for tok in raw:
            mended = self.mend(tok)
            if mended is None:
                unknown += 1
                continue
            word, trust = mended
            weights[word] = max(weights.get(word, 0.0), self.idf[word] * trust)
        q_total = sum(weights.values()) + self.unknown_idf * min(unknown, 12)
        if not weights or q_total <= 0:
            return CheckResult("unknown", None, [], urls, cleaned, tuple(raw))
        scores = self.bm25.get_scores(list(weights))
        top = np.argsort(-scores)[:TOP_DOCS]
        doc_cov: dict[str, float] = {}
        for i in top:
            if scores[i] <= 0:
                break
            doc = self.docs[int(i)]
            cov = sum(weights.get(t, 0.0) for t in doc.tokens) / doc.weight if doc.weight else 0.0
            doc_cov[doc.claim_id] = max(doc_cov.get(doc.claim_id, 0.0), min(cov, 1.0))
        chars = self.chars.similarity(raw, only=doc_cov)
        final: dict[str, float] = {}
        for claim_id, cov_d in doc_cov.items():
            bag = self.bags[claim_id]
            cov_q = sum(w for t, w in weights.items() if t in bag) / q_total
            score = W_DOC * cov_d + W_QUERY * cov_q + W_CHAR * float(chars.get(claim_id, 0.0))
            final[claim_id] = score
        ranked = sorted(final.items(), key=lambda kv: -kv[1])
        candidates = [Candidate(c, round(s, 4)) for c, s in ranked[:5]]
        return decide(candidates, urls, cleaned, tuple(raw))


def decide(
    candidates: list[Candidate],
    urls: list[str],
    cleaned: str,
    words: tuple[str, ...],
    thresholds: tuple[float, float, float] | None = None,
) -> CheckResult:
    high, gap, medium = thresholds or (HIGH, GAP, MEDIUM)
    if not candidates:
        return CheckResult("unknown", None, [], urls, cleaned, words)
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if best.score >= high and best.score - runner_up >= gap:
        return CheckResult("high", best, [best], urls, cleaned, words)
    if best.score >= medium:
        close = [c for c in candidates if c.score >= medium][:MAX_CHOICES]
        return CheckResult("medium", best, close, urls, cleaned, words)
    return CheckResult("unknown", None, candidates[:MAX_CHOICES], urls, cleaned, words)
