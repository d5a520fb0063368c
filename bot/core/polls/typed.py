"""Typed answers: what a person writes instead of pressing a button.

- a 1-5 scale: a digit, or words ("setuju banget" → 5, "gak setuju" → 2, "biasa aja" → 3,
  "strongly disagree" → 1), slang and typos of the usual kind included;
- single choice: a letter (``B``), a number (``2``) or the option's text;
- multiple choice: several letters or numbers (``A, C`` / ``1 3``) or option texts;
- "lewati" / "skip" skips the question.
"""

from __future__ import annotations

import re
import unicodedata

SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "pass", "next", "lewatin", "skip aja"})
LETTERS = "abcdefgh"

#: Slang and spelling variants → one form.
_CANON = {
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "ndak": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "bukan": "tidak",
    "bgt": "banget",
    "bngt": "banget",
    "sekali": "banget",
    "amat": "banget",
    "poll": "banget",
    "pol": "banget",
    "stju": "setuju",
    "stuju": "setuju",
    "setju": "setuju",
    "sttju": "setuju",
    "setujuu": "setuju",
    "sgt": "sangat",
    "aja": "saja",
    "b": "biasa",
    "agree": "setuju",
    "disagree": "tidak setuju",
    "not": "tidak",
    "dont": "tidak",
    "strongly": "sangat",
    "totally": "sangat",
    "completely": "sangat",
    "somewhat": "agak",
    "kinda": "agak",
    "slightly": "agak",
    "neutral": "netral",
}
_NEUTRAL = ("netral", "biasa saja", "biasa", "ragu", "ragu ragu", "antara", "neither", "not sure")


def fold(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(kept.split())


def is_skip(text: str) -> bool:
    return fold(text) in SKIP_WORDS


def _words(text: str) -> list[str]:
    out: list[str] = []
    for word in fold(text).split():
        word = re.sub(r"(.)\1{2,}", r"\1", word)  # "setujuuuu" → "setuju"
        out.extend(_CANON.get(word, word).split())
    return out


def scale_value(text: str) -> int | None:
    """1-5 from a typed scale answer, or None when it is not one."""
    folded = fold(text)
    if folded in {"1", "2", "3", "4", "5"}:
        return int(folded)
    words = _words(text)
    joined = " ".join(words)
    if "setuju" not in words:
        return 3 if joined in _NEUTRAL or joined.startswith("biasa") else None
    negative = "tidak" in words or "kurang" in words
    strong = "banget" in words or "sangat" in words or "sama sekali" in folded
    if negative:
        return 1 if strong else 2
    if "agak" in words or "lumayan" in words or "cukup" in words:
        return 4
    return 5 if strong else 4


def _option_index(token: str, labels: list[str]) -> int | None:
    n = len(labels)
    if len(token) == 1 and token in LETTERS[:n]:
        return LETTERS.index(token)
    if token.isdigit() and 1 <= int(token) <= n:
        return int(token) - 1
    return None


def _within(part: str, whole: str) -> bool:
    return re.search(rf"\b{re.escape(part)}\b", whole) is not None


def single_choice(text: str, labels: list[str]) -> int | None:
    """The option meant by a typed letter, number or text (None if unclear)."""
    folded = fold(text)
    index = _option_index(folded, labels)
    if index is not None:
        return index
    keys = [fold(label) for label in labels]
    if folded in keys:
        return keys.index(folded)
    hits = [
        i for i, key in enumerate(keys) if key and (_within(key, folded) or _within(folded, key))
    ]
    if len(folded) >= 4 and len(hits) == 1:
        return hits[0]
    return None


def multi_choice(text: str, labels: list[str]) -> int | None:
    """A bit mask of the options meant by letters, numbers or texts (None if unclear)."""
    folded = fold(text)
    tokens = [t for t in re.split(r"\s+|dan|and", folded) if t]
    indexes = [_option_index(t, labels) for t in tokens]
    if tokens and all(i is not None for i in indexes):
        return sum(1 << i for i in set(indexes) if i is not None)
    parts = [p for p in re.split(r",|;|\bdan\b|\band\b|&|/", text) if p.strip()]
    found = {single_choice(p, labels) for p in parts}
    if parts and None not in found:
        return sum(1 << i for i in found if i is not None)
    return None
