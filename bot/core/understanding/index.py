"""The search index over FAQ phrasings, intents and pages, and how confident a match is.

Every FAQ question, intent phrase, FAQ/page title and page body becomes a document of
normalised tokens (stopwords left out), in every locale at once: FAQ ids are the same in all
locales, so an English question typed to the Indonesian bot still finds its entry.

For a message: tokens the index does not know are mended (an affix stripped, ``milihnya`` →
``milih``, and such a stem looked up in the lexicons, ``nyoblosnya`` → ``nyoblos`` → ``pilih``;
else the nearest known word by edit distance, ``pemilhan`` → ``pemilihan``), bm25s
ranks documents, and the best few are scored again on an absolute scale from 0 to 1: how much of
the message (weighted by word rarity) the document covers, how much of the document the message
covers, and a fuzzy string ratio. A target's score is its best document's. Confidence comes
from that score and the gap to the next different target (see :mod:`.confidence`).
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from bot.core.content import ContentStore
from bot.core.understanding.chargrams import CharGrams
from bot.core.understanding.confidence import decide
from bot.core.understanding.content import Knowledge, knowledge
from bot.core.understanding.model import Kind, Match, Understanding
from bot.core.understanding.normalise import apply_lexicons

#: bm25s sets its own logger to DEBUG on import and logs every index build: keep it quiet.
logging.getLogger("bm25s").setLevel(logging.WARNING)

#: Documents bm25s hands to the second scoring step.
TOP_DOCS = 40
#: How a document's score is made (all shares from 0 to 1; tuned on the dev half).
W_COV_Q, W_COV_D, W_RATIO = 0.45, 0.35, 0.20
#: A target's score: its best document, and how much of the message all its phrasings cover.
W_DOC, W_BAG = 0.5, 0.5
#: Plus character 3-gram similarity to the target's phrasings (see :mod:`.chargrams`).
W_CHAR = 0.2
TITLE_WEIGHT = 0.9
BODY_WEIGHT = 0.55
#: Pages answer broadly; an FAQ entry that fits beats them.
PAGE_WEIGHT = 0.85
UNKNOWN_SHARE = 0.8
#: How much a word counts when found by stripping an affix, or by edit distance.
AFFIX_TRUST, FUZZY_TRUST = 0.9, 0.6
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
        #: Every locale's lexicon, for a stem found by stripping an affix (mending is locale-free).
        self._stem_lexicons = [lex for _, lex in sorted(k.lexicons.items())]
        self.docs: list[Doc] = []
        #: normalised phrase → (kind, target): a message typed exactly as a phrasing
        self.exact: dict[str, tuple[Kind, str]] = {}
        self._collect()
        # Rarity is counted per target, not per document: a word every phrasing of one FAQ
        # entry repeats is still that entry's telling word.
        bags: dict[tuple[Kind, str], set[str]] = {}
        words: dict[tuple[Kind, str], set[str]] = {}
        for doc in self.docs:
            key = (doc.kind, doc.target)
            words.setdefault(key, set()).update(doc.tokens)
            if doc.role != "body":
                bags.setdefault(key, set()).update(doc.tokens)
        df: dict[str, int] = {}
        for target_words in words.values():
            for tok in target_words:
                df[tok] = df.get(tok, 0) + 1
        n = max(1, len(words))
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        #: A word the index does not know says the message may be about something else.
        self.unknown_idf = UNKNOWN_SHARE * max(self.idf.values(), default=1.0)
        self.bags = bags
        phrasings: dict[tuple[Kind, str], list[list[str]]] = {}
        for doc in self.docs:
            if doc.role != "body":
                phrasings.setdefault((doc.kind, doc.target), []).append(list(doc.tokens))
        self.chars = CharGrams(phrasings)
        self.vocab = sorted(self.idf)
        self._by_letter: dict[str, list[str]] = {}
        for word in self.vocab:
            self._by_letter.setdefault(word[0], []).append(word)
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
        tokens = tuple(self._tokens(norm))
        if not tokens:
            return
        if exact:
            self.exact.setdefault(norm, (kind, target))
        self.docs.append(Doc(kind, target, role, tokens, " ".join(tokens)))

    def _tokens(self, norm: str) -> list[str]:
        """Search tokens: no stopwords, no single letters (``p``, ``x``)."""
        return [t for t in norm.split() if len(t) > 1 and t not in self.stopwords]

    # -------------------------------------------------------------------- matching

    def _mend(self, token: str) -> tuple[str, float] | None:
        """A known token for an unknown one and how sure that is (0–1), or None."""
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
                if len(stem) < 3:
                    continue
                if stem in self.idf:
                    return stem, AFFIX_TRUST
                if pre or suf:
                    usual = apply_lexicons([stem], self._stem_lexicons)
                    if len(usual) == 1 and usual[0] in self.idf:
                        return usual[0], AFFIX_TRUST
        if not 6 <= len(token) <= 24:
            return None
        # Typos rarely hit the first letter; short words need a closer match.
        cutoff = 80.0 if len(token) >= 9 else 85.0
        first = token[0]
        found = process.extractOne(
            token,
            self._by_letter.get(first, []),
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
        )
        return (str(found[0]), FUZZY_TRUST) if found else None

    def understand(self, text: str, locale: str) -> Understanding:
        norm = self.k.normalise(text[:MAX_CHARS], locale)
        if not norm:
            return Understanding("low", None, [], norm)
        hit = self.exact.get(norm)
        if hit is not None:
            exact = Match(hit[0], hit[1], 1.0)
            return Understanding("high", exact, [exact], norm)
        raw = self._tokens(norm)
        if not raw:
            return Understanding("low", None, [], norm)
        mended = [self.mend(t) for t in raw]
        known = [t for t, _ in (m for m in mended if m is not None)]
        # A mended word counts for less than one typed as the index knows it.
        q_weights: dict[str, float] = {}
        for m in mended:
            if m is not None:
                q_weights[m[0]] = max(q_weights.get(m[0], 0.0), self.idf[m[0]] * m[1])
        unknown_weight = self.unknown_idf * sum(1 for t in mended if t is None)
        q_total = sum(self.idf[t] for t in q_weights) + unknown_weight
        if not known or q_total <= 0:
            return Understanding("low", None, [], norm)
        scores = self.bm25.get_scores(known)
        top = np.argsort(-scores)[:TOP_DOCS]
        qtext = " ".join(known)
        per_doc: dict[tuple[Kind, str], float] = {}
        for i in top:
            if scores[i] <= 0:
                break
            doc = self.docs[int(i)]
            key = (doc.kind, doc.target)
            score = self._score(doc, q_weights, q_total, qtext, int(i))
            if score > per_doc.get(key, 0.0):
                per_doc[key] = score
        final: dict[tuple[Kind, str], float] = {}
        char_sims = self.chars.similarity(raw) if W_CHAR else {}
        for key, doc_score in per_doc.items():
            bag = self.bags.get(key)
            if bag is None:  # a page known only by its body
                final[key] = PAGE_WEIGHT * doc_score
                continue
            cov_bag = sum(w for t, w in q_weights.items() if t in bag) / q_total
            score = W_DOC * doc_score + W_BAG * cov_bag + W_CHAR * char_sims.get(key, 0.0)
            final[key] = score * (PAGE_WEIGHT if key[0] == "page" else 1.0)
        ranked = sorted(final.items(), key=lambda kv: -kv[1])
        candidates = [Match(kind, target, round(s, 4)) for (kind, target), s in ranked[:5]]
        # One word that is no phrasing as typed ("test"): too little to answer without asking.
        return decide(candidates, norm, self.k, locale, may_be_high=len(raw) > 1)

    def _score(
        self, doc: Doc, q_weights: dict[str, float], q_total: float, qtext: str, i: int
    ) -> float:
        shared = sum(w for t, w in q_weights.items() if t in doc.tokens)
        cov_q = shared / q_total
        if doc.role == "body":
            return BODY_WEIGHT * cov_q
        cov_d = shared / self._doc_weight[i] if self._doc_weight[i] else 0.0
        ratio = fuzz.token_sort_ratio(qtext, doc.text) / 100.0
        score = W_COV_Q * cov_q + W_COV_D * cov_d + W_RATIO * ratio
        return score if doc.role == "phrase" else TITLE_WEIGHT * score


def index_for(store: ContentStore) -> Index:
    """The store's index, built on first use (once per loaded content)."""
    k = knowledge(store)
    if k.index is None:
        k.index = Index(k)
    return k.index
