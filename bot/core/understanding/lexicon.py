"""The slang lexicon of a locale (``content/<locale>/lexicon.yaml``): what people type → a word.

::

    words:          # one token as typed → its usual form (one or more words, or "" to drop it)
      gmn: bagaimana
      gue: saya
    stopwords: [yang, di, ...]   # left out when searching (still kept by normalise)

Keys are single lower-case tokens of letters and digits; every error names its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.content import ContentError, ContentErrors
from bot.core.understanding.yamlfile import read_yaml

TOKEN_RE = re.compile(r"^[a-z0-9]+$")
VALUE_RE = re.compile(r"^[a-z0-9 ]*$")


@dataclass(frozen=True)
class Lexicon:
    locale: str
    words: dict[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()


def parse_lexicon(path: Path, locale: str) -> tuple[Lexicon, list[ContentError]]:
    """Read a lexicon; a bad row is reported and skipped, the rest still loads."""
    try:
        doc = read_yaml(path)
    except ContentErrors as exc:
        return Lexicon(locale), exc.errors
    errors: list[ContentError] = []
    data = doc.data
    if not isinstance(data, dict):
        return Lexicon(locale), [doc.error("a lexicon is a mapping with 'words' and 'stopwords'")]
    for key in data:
        if key not in ("words", "stopwords"):
            errors.append(doc.error(f"unknown key '{key}' (known: words, stopwords)", str(key)))
    words: dict[str, str] = {}
    raw_words = data.get("words") or {}
    if not isinstance(raw_words, dict):
        errors.append(doc.error("'words' must map a typed token to its usual form", "words"))
        raw_words = {}
    for raw_key, raw_value in raw_words.items():
        key, value = str(raw_key), "" if raw_value is None else str(raw_value)
        if not TOKEN_RE.match(key):
            errors.append(
                doc.error(f"'{key}': a key is one lower-case token (a-z, 0-9)", "words", key)
            )
            continue
        if not VALUE_RE.match(value):
            errors.append(
                doc.error(
                    f"'{key}': the value must be lower-case words (a-z, 0-9, spaces)", "words", key
                )
            )
            continue
        if value.strip() == key:
            errors.append(doc.error(f"'{key}' maps to itself", "words", key))
            continue
        words[key] = " ".join(value.split())
    stop: set[str] = set()
    raw_stop = data.get("stopwords") or []
    if not isinstance(raw_stop, list):
        errors.append(doc.error("'stopwords' must be a list of words", "stopwords"))
        raw_stop = []
    for i, word in enumerate(raw_stop):
        if not isinstance(word, str) or not TOKEN_RE.match(word):
            errors.append(
                doc.error(f"stopword {word!r} is not one lower-case token", "stopwords", i)
            )
            continue
        if word in stop:
            errors.append(doc.error(f"stopword '{word}' listed twice", "stopwords", i))
        stop.add(word)
    return Lexicon(locale, words, frozenset(stop)), errors
