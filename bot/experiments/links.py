"""The tracked link button of an experiment's ``link`` outcome.

Each variant recipient's message carries a URL button to ``VOTEBOT_PUBLIC_URL/r/<token>``, the
token being random and their own (stored on their assignment). The web app's redirect
(:mod:`bot.web.links`) records the first tap on the assignment, logs ``experiment`` /
``link_tapped`` and forwards to the experiment's link. Without ``VOTEBOT_PUBLIC_URL`` no button
is added and the outcome is reported as unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import Translator
from bot.core.replies import Button, Reply
from bot.db import repo
from bot.db.models import User, utcnow
from bot.db.models_experiment import Experiment
from bot.db.models_experiment import ExperimentAssignment as A


def link_address(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/r/{token}"


async def tracked_links(
    session: AsyncSession, public_url: str | None, rows: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """(broadcast id, user id) → the user's tracked link address, for rows that have one."""
    if not public_url or not rows:
        return {}
    stmt = select(A.broadcast_id, A.user_id, A.token).where(
        tuple_(A.broadcast_id, A.user_id).in_(list(rows)), A.token.is_not(None)
    )
    return {
        (int(b), int(u)): link_address(public_url, str(t))
        for b, u, t in (await session.execute(stmt)).all()
        if b is not None
    }


async def record_tap(session: AsyncSession, token: str, now: datetime | None = None) -> str | None:
    """Record a tap on the link with ``token``; return where to forward (None: unknown)."""
    if not token or len(token) > 32:
        return None
    found = (
        await session.execute(
            select(A, Experiment.link_url, User.channel)
            .join(Experiment, Experiment.id == A.experiment_id)
            .join(User, User.id == A.user_id)
            .where(A.token == token)
        )
    ).first()
    if found is None:
        return None
    assignment, url, channel = found
    now = now or utcnow()
    if assignment.link_tapped_at is None:
        assignment.link_tapped_at = now
    await repo.log_event(
        session,
        user_id=assignment.user_id,
        channel=channel,
        event_type="experiment",
        name="link_tapped",
        properties={"experiment_id": assignment.experiment_id, "arm": assignment.arm},
        at=now,
    )
    return str(url) if url else None


def with_link(replies: list[Reply], t: Translator, url: str) -> list[Reply]:
    """``replies`` with the tracked link button above the others of the first reply."""
    if not replies:
        return replies
    first = replies[0]
    button = Button(t.gettext("🔗 Open the link"), url=url)
    return [replace(first, buttons=[[button], *first.buttons]), *replies[1:]]
