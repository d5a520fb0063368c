"""From scored candidates to high / medium / low confidence.

Tuned on the dev half of ``tests/nlu/gold.tsv`` only (``bench/nlu_bench.py`` prints both halves).
High needs a good absolute score *and* a clear gap to the next target, unless that target is
the same answer in another form (an FAQ entry and the page it links to). Never confidently
wrong beats always answering: below high the user is asked or told we don't know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.understanding.model import Match, Understanding

if TYPE_CHECKING:
    from bot.core.understanding.content import Knowledge

HIGH = 0.65
MARGIN = 0.18
MEDIUM = 0.45
#: An FAQ entry this close behind the page it links to is answered instead of the page.
FAQ_OVER_PAGE = 0.15
#: At most this many "Maksudmu yang mana?" buttons.
MAX_CHOICES = 3


def related(a: Match, b: Match, k: Knowledge, locale: str) -> bool:
    """Whether two matches give the same answer (an FAQ entry and the page it links to)."""
    for x, y in ((a, b), (b, a)):
        if x.kind == "faq" and y.kind == "page":
            entry = k.faq(x.target, locale)
            if entry is not None and entry.link == ("page", y.target):
                return True
    return False


def decide(
    candidates: list[Match],
    normalised: str,
    k: Knowledge,
    locale: str,
    *,
    may_be_high: bool = True,
) -> Understanding:
    """``may_be_high=False`` for a message of one search word that is no phrasing as typed
    ("test" is part of "test my knowledge", not a request for the quiz): ask, don't answer."""
    if not candidates:
        return Understanding("low", None, [], normalised)
    candidates = _prefer_faq(candidates, k, locale)
    best = candidates[0]
    others = [c for c in candidates[1:] if not related(best, c, k, locale)]
    runner_up = others[0].score if others else 0.0
    if may_be_high and best.score >= HIGH and best.score - runner_up >= MARGIN:
        return Understanding("high", best, candidates, normalised)
    if best.score >= MEDIUM:
        shown = [best, *[c for c in others if c.score >= MEDIUM * 0.75]][:MAX_CHOICES]
        return Understanding("medium", best, shown, normalised)
    return Understanding("low", best, candidates[:MAX_CHOICES], normalised)


def _prefer_faq(candidates: list[Match], k: Knowledge, locale: str) -> list[Match]:
    """A page first and, close behind, an FAQ entry linking to it: the entry answers shorter."""
    best = candidates[0]
    if best.kind != "page":
        return candidates
    for c in candidates[1:]:
        close = best.score - c.score <= FAQ_OVER_PAGE
        if c.kind == "faq" and close and related(best, c, k, locale):
            return [Match(c.kind, c.target, best.score), *[x for x in candidates if x != c]]
    return candidates
