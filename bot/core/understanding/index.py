"""The search index over FAQ phrasings, intents and pages, and how confident a match is.

Every FAQ question, intent phrase, FAQ/page title and page body becomes a document of
normalised tokens (stopwords left out), in every locale at once: FAQ ids are the same in all
locales, so an English question typed to the Indonesian bot still finds its entry.

For a message: tokens the index does not know are mended (an affix stripped, ``milihnya`` →
``milih``; else the nearest known word by edit distance, ``pemilhan`` → ``pemilihan``), bm25s
ranks documents, and the best few are scored again on an absolute scale from 0 to 1: how much of
the message (weighted by word rarity) the document covers, how much of the document the message
covers, and a fuzzy string ratio. A target's score is its best document's. Confidence comes
from that score and the gap to the next different target (see :mod:`.confidence`).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.core.content import ContentStore
from bot.core.understanding.confidence import decide
from bot.core.understanding.content import Knowledge, knowledge
from bot.core.understanding.model import Kind, Match, Understanding

#: Documents bm25s hands to the second scoring step.
TOP_DOCS = 40
#: Longer messages are cut here (nobody asks a question in more; keeps latency flat).
MAX_CHARS = 400
_PREFIXES = (
    "meng",
    "meny",
    "mem",
    "men",
    "me",
    "di",
    "ber",
    "be",
    "ter",
    "ke",
    "se",
    "peng",
    "pem",
    "pen",
    "pe",
    "nge",
    "ng",
    "ny",
    "m",
    "n",
)
_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "in", "ku", "mu", "i", "s", "es", "ed", "ing")
_SPLIT_BODY = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Doc:
    kind: Kind
    target: str
    #: phrase (an FAQ question or intent phrase), title, or body (a page paragraph)
    role: str
    tokens: tuple[str, ...]
    text: str


class Index:
    def __init__(self, k: Knowledge) -> None:
        started = time.perf_counter()
        self.k = k
        self.stopwords = frozenset().union(*(lex.stopwords for lex in k.lexicons.values()))
        self.docs: list[Doc] = []
        #: normalised phrase → (kind, target): a message typed exactly as a phrasing
        self.exact: dict[str, tuple[Kind, str]] = {}
        self._collect()
        df: dict[str, int] = {}
        for doc in self.docs:
            for tok in set(doc.tokens):
                df[tok] = df.get(tok, 0) + 1
        n = max(1, len(self.docs))
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.default_idf = float(np.median(list(self.idf.values()))) if self.idf else 1.0
        self.vocab = sorted(self.idf)
        self.bm25 = bm25s.BM25()
        self.bm25.index([list(d.tokens) or [""] for d in self.docs], show_progress=False)
        self._doc_weight = [sum(self.idf.get(t, 0.0) for t in set(d.tokens)) for d in self.docs]
        self.mend = lru_cache(maxsize=4096)(self._mend)
        self.build_seconds = time.perf_counter() - started

    # -------------------------------------------------------------------- building

    def _collect(self) -> None:
        store = self.k.store
        locales = sorted(
            {*store.items.get("faq", {}), *store.items.get("pages", {}), *self.k.intents}
        )
        for locale in locales:
            for entry in store.items.get("faq", {}).get(locale, {}).values():
                for q in entry.meta.questions:
                    self._add("faq", entry.id, "phrase", q, locale, exact=True)
                self._add("faq", entry.id, "title", entry.meta.title, locale)
            for page in store.items.get("pages", {}).get(locale, {}).values():
                self._add("page", page.id, "title", page.meta.title, locale, exact=True)
                for para in _SPLIT_BODY.split(page.body):
                    self._add("page", page.id, "body", para, locale)
            for intent in self.k.intents.get(locale, {}).values():
                for phrase in intent.phrases:
                    self._add("intent", intent.name, "phrase", phrase, locale, exact=True)

    def _add(
        self, kind: Kind, target: str, role: str, text: str, locale: str, *, exact: bool = False
    ) -> None:
        norm = self.k.normalise(text, locale)
        tokens = tuple(t for t in norm.split() if t not in self.stopwords)
        if not tokens:
            return
        if exact:
            self.exact.setdefault(norm, (kind, target))
        self.docs.append(Doc(kind, target, role, tokens, " ".join(tokens)))

    # -------------------------------------------------------------------- matching

    def _mend(self, token: str) -> str | None:
        """A known token for an unknown one, or None."""
        if token in self.idf:
            return token
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
                if len(stem) >= 3 and stem in self.idf:
                    return stem
        if not 4 <= len(token) <= 24:
            return None
        cutoff = 80.0 if len(token) >= 6 else 75.0
        found = process.extractOne(token, self.vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
        return str(found[0]) if found else None

    def understand(self, text: str, locale: str) -> Understanding:
        norm = self.k.normalise(text[:MAX_CHARS], locale)
        if not norm:
            return Understanding("low", None, [], norm)
        hit = self.exact.get(norm)
        if hit is not None:
            best = Match(hit[0], hit[1], 1.0)
            return Understanding("high", best, [best], norm)
        raw = [t for t in norm.split() if t not in self.stopwords]
        if not raw:
            return Understanding("low", None, [], norm)
        mended = [self.mend(t) for t in raw]
        known = [t for t in mended if t is not None]
        q_weights = {t: self.idf[t] for t in known}
        unknown_weight = self.default_idf * sum(1 for t in mended if t is None)
        q_total = sum(q_weights.values()) + unknown_weight
        if not known or q_total <= 0:
            return Understanding("low", None, [], norm)
        scores = self.bm25.get_scores(known)
        top = np.argsort(-scores)[:TOP_DOCS]
        qtext = " ".join(known)
        best_by_target: dict[tuple[Kind, str], float] = {}
        for i in top:
            if scores[i] <= 0:
                break
            doc = self.docs[int(i)]
            score = self._score(doc, q_weights, q_total, qtext, int(i))
            key = (doc.kind, doc.target)
            if score > best_by_target.get(key, 0.0):
                best_by_target[key] = score
        ranked = sorted(best_by_target.items(), key=lambda kv: -kv[1])
        candidates = [Match(kind, target, round(s, 4)) for (kind, target), s in ranked[:5]]
        return decide(candidates, norm, self.k, locale)

    def _score(
        self, doc: Doc, q_weights: dict[str, float], q_total: float, qtext: str, i: int
    ) -> float:
        shared = sum(w for t, w in q_weights.items() if t in doc.tokens)
        cov_q = shared / q_total
        if doc.role == "body":
            return 0.55 * cov_q
        cov_d = shared / self._doc_weight[i] if self._doc_weight[i] else 0.0
        ratio = fuzz.token_sort_ratio(qtext, doc.text) / 100.0
        score = 0.45 * cov_q + 0.35 * cov_d + 0.20 * ratio
        return score if doc.role == "phrase" else 0.9 * score


def index_for(store: ContentStore) -> Index:
    """The store's index, built on first use (once per loaded content)."""
    k = knowledge(store)
    if k.index is None:
        k.index = Index(k)
    return k.index
