"""The checkers' queue: unknown claims grouped and counted, sightings, followers, verdicts.

Repositories in the style of :mod:`bot.db.repo`: they take the event's session and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.factcheck.scrub import scrub
from bot.db.models import Region, User, utcnow
from bot.db.models_claims import (
    DISMISSED,
    OPEN,
    PUBLISHED,
    ClaimFollower,
    ClaimReport,
    ClaimSighting,
    PublishedClaim,
)

#: A follower link is kept at most this long (then deleted unanswered).
FOLLOW_DAYS = 30
#: Unknown claims are grouped with open ones seen within this many days.
GROUP_DAYS = 30
#: Two texts are one claim when this share of their words is shared (Jaccard) ...
GROUP_JACCARD = 0.6
#: ... or their sorted words are this similar (rapidfuzz token_sort_ratio, 0–100).
GROUP_RATIO = 85.0


async def region_of(session: AsyncSession, user: User) -> tuple[int | None, int | None]:
    """The user's saved (province, kabupaten) ids, or Nones."""
    if user.region_id is None:
        return None, None
    region = await session.get(Region, user.region_id)
    if region is None:
        return None, None
    if region.level == "province":
        return region.id, None
    kabupaten = region.id if region.level == "kabupaten" else region.kabupaten_id
    return region.province_id, kabupaten


async def record_sighting(
    session: AsyncSession,
    user: User,
    *,
    day: date,
    claim_id: str | None = None,
    report_id: int | None = None,
) -> None:
    province_id, kabupaten_id = await region_of(session, user)
    session.add(
        ClaimSighting(
            day=day,
            claim_id=claim_id,
            report_id=report_id,
            province_id=province_id,
            kabupaten_id=kabupaten_id,
        )
    )


def same_claim(words_a: str, urls_a: list[str], report: ClaimReport) -> bool:
    if set(urls_a) & set(report.urls or []):
        return True
    a, b = set(words_a.split()), set(report.words.split())
    if a and b and len(a & b) / len(a | b) >= GROUP_JACCARD:
        return True
    return bool(a and b) and fuzz.token_sort_ratio(words_a, report.words) >= GROUP_RATIO


async def queue_unknown(
    session: AsyncSession,
    *,
    text: str,
    words: str,
    urls: list[str],
    locale: str,
    now: datetime | None = None,
) -> ClaimReport:
    """Add a scrubbed unknown claim to the queue, or count it on its near-duplicate."""
    now = now or utcnow()
    words = words[:600]
    recent = (
        await session.scalars(
            select(ClaimReport)
            .where(
                ClaimReport.status == OPEN,
                ClaimReport.last_seen_at >= now - timedelta(days=GROUP_DAYS),
            )
            .order_by(ClaimReport.last_seen_at.desc())
            .limit(500)
        )
    ).all()
    for report in recent:
        if same_claim(words, urls, report):
            report.count += 1
            report.last_seen_at = now
            return report
    report = ClaimReport(
        text=scrub(text),
        words=words,
        urls=urls,
        locale=locale,
        count=1,
        status=OPEN,
        first_seen_at=now,
        last_seen_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def follow(session: AsyncSession, report: ClaimReport, user: User) -> None:
    """Link ``user`` to ``report`` until its verdict is out (once; no duplicates)."""
    found = await session.scalar(
        select(ClaimFollower).where(
            ClaimFollower.report_id == report.id, ClaimFollower.user_id == user.id
        )
    )
    if found is None:
        session.add(ClaimFollower(report_id=report.id, user_id=user.id, created_at=utcnow()))


async def open_reports(session: AsyncSession, limit: int = 20) -> list[ClaimReport]:
    """Open unknown claims, most forwarded first."""
    rows = await session.scalars(
        select(ClaimReport)
        .where(ClaimReport.status == OPEN)
        .order_by(ClaimReport.count.desc(), ClaimReport.last_seen_at.desc())
        .limit(limit)
    )
    return list(rows)


def claim_slug(report: ClaimReport, title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:40].strip("-")
    return f"tim-{report.id}-{words}" if words else f"tim-{report.id}"


@dataclass(frozen=True)
class Published:
    claim: PublishedClaim
    #: Users who asked to be told (their follower links are already deleted).
    followers: list[User]


async def publish(
    session: AsyncSession,
    report: ClaimReport,
    *,
    verdict: str,
    title: str,
    explanation: str,
    reply: str,
    sources: list[dict[str, str | None]],
    actor: str,
    tell_now: bool = True,
    checked: date | None = None,
    now: datetime | None = None,
) -> Published:
    """Publish a verdict on ``report``: every worker matches it from now on.

    With ``tell_now`` the followers are returned once (their links deleted in the same
    transaction) for the caller to notify; without (the CLI has no channel), their links stay for
    the server's notifier (:mod:`bot.broadcast.verdicts`)."""
    now = now or utcnow()
    claim = PublishedClaim(
        id=claim_slug(report, title),
        report_id=report.id,
        locale=report.locale,
        title=title[:60],
        verdict=verdict,
        explanation=explanation,
        reply=reply,
        sources=sources,
        variants=[report.text],
        urls=list(report.urls or []),
        checked=checked or now.date(),
        published_by=actor[:96],
        published_at=now,
    )
    session.add(claim)
    report.status = PUBLISHED
    report.claim_id = claim.id
    followers = await take_followers(session, report.id) if tell_now else []
    await session.flush()
    return Published(claim, followers)


async def take_followers(session: AsyncSession, report_id: int) -> list[User]:
    """The users following ``report_id``, their links deleted (so each is told once)."""
    users = list(
        await session.scalars(
            select(User)
            .join(ClaimFollower, ClaimFollower.user_id == User.id)
            .where(ClaimFollower.report_id == report_id)
        )
    )
    await session.execute(delete(ClaimFollower).where(ClaimFollower.report_id == report_id))
    return users


async def dismiss(session: AsyncSession, report: ClaimReport) -> None:
    report.status = DISMISSED
    await session.execute(delete(ClaimFollower).where(ClaimFollower.report_id == report.id))


async def published_waiting(session: AsyncSession) -> list[int]:
    """Published reports that still have followers (a verdict published from the CLI)."""
    rows = await session.scalars(
        select(ClaimFollower.report_id)
        .join(ClaimReport, ClaimReport.id == ClaimFollower.report_id)
        .where(ClaimReport.status == PUBLISHED)
        .distinct()
    )
    return list(rows)


async def prune_followers(session: AsyncSession, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - timedelta(days=FOLLOW_DAYS)
    result = await session.execute(delete(ClaimFollower).where(ClaimFollower.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


async def published_claims(session: AsyncSession) -> list[PublishedClaim]:
    return list(await session.scalars(select(PublishedClaim).order_by(PublishedClaim.id)))


#: Asked on every typed message that reaches fact-check matching: built once.
_PUBLISHED_VERSION = select(func.count(PublishedClaim.id), func.max(PublishedClaim.published_at))


async def published_version(session: AsyncSession) -> tuple[int, datetime | None]:
    """Changes whenever a verdict is published (count and latest time)."""
    row = (await session.execute(_PUBLISHED_VERSION)).one()
    return int(row[0]), row[1]
