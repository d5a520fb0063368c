"""Guess a first message's language, so a new user's first answer comes in their language."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.understanding.content import Knowledge
from bot.core.understanding.normalise import surface

#: A locale needs this many more of its own marker words than any other locale's.
LEAD = 2


def guess_locale(k: Knowledge, text: str, locales: Iterable[str]) -> str | None:
    """The locale whose stopwords (``yang``, ``di``; ``the``, ``i``) clearly lead, or None.

    Lexicon keys do not count: the Indonesian lexicon maps some English words too (``vote``).
    """
    tokens = surface(text).split()
    counts: dict[str, int] = {}
    for code in locales:
        lex = k.lexicons.get(code)
        if lex is None:
            continue
        counts[code] = sum(1 for t in tokens if t in lex.stopwords)
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    best, n = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return best if n - runner_up >= LEAD or (n >= 1 and runner_up == 0) else None
