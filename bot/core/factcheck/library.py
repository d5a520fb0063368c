"""Every checked claim the bot knows: the content library plus verdicts published in the DB.

Verdicts published by checkers live in ``published_claims``; each worker keeps a small index of
them and rebuilds it when the table changes (one cheap query per checked message), so a verdict
published on one worker is matched by every worker at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.content import ContentStore
from bot.core.factcheck import index_for
from bot.core.factcheck.content import Claim
from bot.core.factcheck.index import CheckResult, ClaimIndex, ClaimText, decide
from bot.core.factcheck.queue import published_claims, published_version
from bot.core.understanding.content import knowledge
from bot.db.models_claims import PublishedClaim

KEY = "factcheck_published"


@dataclass(frozen=True)
class ClaimView:
    """What a user is shown of a claim, wherever it comes from."""

    id: str
    verdict: str
    title: str
    explanation: str
    reply: str
    #: (title, url or None)
    sources: tuple[tuple[str, str | None], ...]
    checked: dt.date


def from_content(claim: Claim) -> ClaimView:
    return ClaimView(
        claim.id,
        claim.meta.verdict,
        claim.meta.title,
        claim.explanation,
        claim.meta.reply,
        tuple((s.title, s.url) for s in claim.meta.sources),
        claim.meta.checked,
    )


def from_published(p: PublishedClaim) -> ClaimView:
    sources = tuple((str(s.get("title", "")), s.get("url")) for s in p.sources or [])
    return ClaimView(p.id, p.verdict, p.title, p.explanation, p.reply, sources, p.checked)


@dataclass
class _Published:
    version: tuple[int, dt.datetime | None]
    index: ClaimIndex | None
    views: dict[str, ClaimView]


async def _published(session: AsyncSession, store: ContentStore) -> _Published:
    version = await published_version(session)
    cached = store.data.get(KEY)
    if isinstance(cached, _Published) and cached.version == version:
        return cached
    claims = await published_claims(session)
    texts = [ClaimText(c.id, (*c.variants, c.title), tuple(c.urls or [])) for c in claims]
    index = ClaimIndex(knowledge(store), texts) if texts else None
    fresh = _Published(version, index, {c.id: from_published(c) for c in claims})
    store.data[KEY] = fresh
    return fresh


async def check_all(
    session: AsyncSession, store: ContentStore, text: str, locale: str
) -> CheckResult:
    """Match ``text`` against the content library and the published verdicts together."""
    main = index_for(store).check(text, locale)
    if main.url_match:
        return main
    published = await _published(session, store)
    if published.index is None:
        return main
    extra = published.index.check(text, locale)
    if extra.url_match:
        return extra
    merged = sorted([*main.candidates, *extra.candidates], key=lambda c: -c.score)
    return decide(merged, main.urls, main.cleaned, main.words)


async def view(
    session: AsyncSession, store: ContentStore, claim_id: str, locale: str
) -> ClaimView | None:
    claim = store.get("claims", claim_id, locale)
    if isinstance(claim, Claim):
        return from_content(claim)
    published = await _published(session, store)
    return published.views.get(claim_id)
