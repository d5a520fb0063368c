"""Cek Fakta: match forwarded messages against the checked claims library (no network).

Public API (pure, no database; the index is built once per loaded content store):

- :func:`check` — which claim a message repeats, with confidence high, medium or unknown;
- :func:`claim_texts` — what the index knows of each content claim;
- the chat flow lives in :mod:`bot.core.factcheck.flow`, the team's queue in
  :mod:`bot.core.factcheck.queue`.
"""

from __future__ import annotations

from bot.core.content import ContentStore
from bot.core.factcheck.content import Claim
from bot.core.factcheck.index import CheckResult, ClaimIndex, ClaimText
from bot.core.understanding.content import knowledge

__all__ = ["CheckResult", "Claim", "ClaimIndex", "ClaimText", "check", "claim_texts", "index_for"]

KEY = "factcheck_index"


def claim_texts(store: ContentStore) -> list[ClaimText]:
    """Each content claim's variants and titles (all locales) and the links that spread it."""
    texts: dict[str, list[str]] = {}
    urls: dict[str, list[str]] = {}
    for by_id in store.items.get("claims", {}).values():
        for claim in by_id.values():
            if isinstance(claim, Claim):
                texts.setdefault(claim.id, []).extend([*claim.meta.variants, claim.meta.title])
                urls.setdefault(claim.id, []).extend(claim.meta.urls)
    return [ClaimText(cid, tuple(t), tuple(dict.fromkeys(urls[cid]))) for cid, t in texts.items()]


def index_for(store: ContentStore) -> ClaimIndex:
    """The store's claims index, built on first use (once per loaded content)."""
    found = store.data.get(KEY)
    if not isinstance(found, ClaimIndex):
        found = ClaimIndex(knowledge(store), claim_texts(store))
        store.data[KEY] = found
    return found


def check(text: str, locale: str, store: ContentStore) -> CheckResult:
    return index_for(store).check(text, locale)
