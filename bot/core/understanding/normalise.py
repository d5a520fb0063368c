"""Turn what people type into a plain form that can be matched.

``"Jam brp TPS bukaaa?? 🙏"`` → ``"jam berapa tps buka"``. Steps, in order:

1. accents and case folded away (``é`` → ``e``), emoji and punctuation become spaces, an
   apostrophe joins (``don't`` → ``dont``);
2. amounts: ``50rb`` / ``50 ribu`` / ``50k`` → ``50000 ribu``, ``1,5jt`` → ``1500000 juta``,
   ``rp50.000`` → ``rupiah 50000``;
3. repeated words written with a 2 (``hari2`` → ``hari hari``) and letters typed three or more
   times (``bangettt`` → ``banget``);
4. each token is looked up in the locale's lexicon, then in the other locales' (people mix
   languages), and replaced by its usual form (``gmn`` → ``bagaimana``, ``gue`` → ``saya``); a
   usual form that is itself a lexicon key is followed on (``voted`` → ``vote`` → ``pilih``,
   ``mudik`` → ``kampung`` → ``desa``), so a word typed either way ends in the same form; a
   token the lexicons do not know but whose stem without ``-nya``/``-ku``/``-mu`` is a key is
   read as that stem (``nyoblosnya`` → ``nyoblos`` → ``pilih``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.core.understanding.lexicon import Lexicon

_APOSTROPHE = re.compile(r"(?<=[a-z])['’`](?=[a-z])")
_NON_WORD = re.compile(r"[^a-z0-9.,]+")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_REDUPLICATED = re.compile(r"\b([a-z]{2,})2\b")
_MONEY_RP = re.compile(r"\brp\.?\s*(?=\d)")
_AMOUNT = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(rb|ribu|rebu|k|jt|juta|m|miliar|milyar)\b")
_MULTIPLIER = {
    "rb": (1_000, "ribu"),
    "ribu": (1_000, "ribu"),
    "rebu": (1_000, "ribu"),
    "k": (1_000, "ribu"),
    "jt": (1_000_000, "juta"),
    "juta": (1_000_000, "juta"),
    "m": (1_000_000_000, "miliar"),
    "miliar": (1_000_000_000, "miliar"),
    "milyar": (1_000_000_000, "miliar"),
}
_GROUPED = re.compile(r"\b\d{1,3}(?:[.,]\d{3})+\b")


def fold(text: str) -> str:
    """Lower case without accents; everything else unchanged."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _amount(match: re.Match[str]) -> str:
    number, unit = match.group(1), match.group(2)
    factor, word = _MULTIPLIER[unit]
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        return match.group(0)
    return f"{round(value * factor)} {word}"


def surface(text: str) -> str:
    """Steps 1–3: folded, amounts spelled, repetition undone; no lexicon."""
    text = _APOSTROPHE.sub("", fold(text))
    text = _NON_WORD.sub(" ", text)
    text = _MONEY_RP.sub("rupiah ", text)
    text = _GROUPED.sub(lambda m: re.sub(r"[.,]", "", m.group(0)), text)
    text = _AMOUNT.sub(_amount, text)
    text = re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text)
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", _REDUPLICATED.sub(r"\1 \1", text))
    text = _ELONGATED.sub(r"\1", text)
    return " ".join(text.split())


#: How many lexicon entries one typed token may pass through (``kyk`` → ``kayak`` → ``seperti``).
MAX_CHAIN = 4


def _lookup(token: str, lexicons: Sequence[Lexicon]) -> str | None:
    for lexicon in lexicons:
        replacement = lexicon.words.get(token)
        if replacement is not None:
            return replacement
    return None


#: Endings an Indonesian word takes in chat (``nyoblosnya``, ``kampungku``): a token the
#: lexicons do not know is read as its stem when the stem is a key.
_ENDINGS = ("nya", "ny", "ku", "mu")


def apply_lexicons(tokens: Sequence[str], lexicons: Sequence[Lexicon]) -> list[str]:
    """Replace each token by the first lexicon's entry for it (the user's locale comes first),
    following a replacement that is itself a key, so every spelling ends in one usual form."""
    out: list[str] = []
    for token in _rejoined(tokens, lexicons):
        if _lookup(token, lexicons) is None:
            for ending in _ENDINGS:
                stem = token[: -len(ending)]
                if token.endswith(ending) and len(stem) >= 3 and _lookup(stem, lexicons):
                    token = stem
                    break
        out.extend(_resolve(token, lexicons, MAX_CHAIN, frozenset()))
    return out


def _rejoined(tokens: Sequence[str], lexicons: Sequence[Lexicon]) -> list[str]:
    """Letters and digits typed together (``c6``, ``b4``) are split by :func:`surface`; put
    back together the ones a lexicon knows."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tokens[i] + tokens[i + 1] if i + 1 < len(tokens) else ""
        if pair and tokens[i].isalpha() and tokens[i + 1].isdigit() and _lookup(pair, lexicons):
            out.append(pair)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _resolve(
    token: str, lexicons: Sequence[Lexicon], depth: int, seen: frozenset[str]
) -> list[str]:
    replacement = _lookup(token, lexicons) if depth and token not in seen else None
    if replacement is None:
        return [token]
    seen = seen | {token}
    out: list[str] = []
    for word in replacement.split():
        out.extend(_resolve(word, lexicons, depth - 1, seen))
    return out


def normalise_with(folded: str, lexicons: Sequence[Lexicon]) -> str:
    """Step 4 on text that :func:`surface` already folded."""
    return " ".join(apply_lexicons(folded.split(), lexicons))
