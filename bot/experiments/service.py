"""Creating an experiment: recipients assigned at random to variants or the holdout.

The assignment is stable and seeded: a user's arm is a function of the experiment's seed and the
user's id only (SHA-256, so it does not depend on who else is in the segment or on their order),
and it is recorded per user id. The segment is read once, with the same opt-in, consent and
reachability rules as any broadcast; each variant then becomes an ordinary broadcast narrowed to
its arm, and the holdout gets no outbox row at all.

Every assigned user gets a scheduled send time computed with the dispatcher's rules (the start,
moved to the end of quiet hours where they live, or of a hold such as an election's quiet
period), the holdout included: their outcome window starts there.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.config import Settings
from bot.core import broadcasts as bc
from bot.core import consent as consents
from bot.core.i18n import N_, Explained
from bot.core.roles import actor_of, audit
from bot.core.segments import Segment, audience_query
from bot.db.models import Region, User, utcnow
from bot.db.models_experiment import HOLDOUT, Experiment, ExperimentAssignment

from .outcomes import LINK, OUTCOMES

MAX_VARIANTS = 5
MAX_HOLDOUT = 0.9


class ExperimentError(Explained):
    """An experiment that cannot be created as asked; the message says why (in English, or
    in an admin's language with :meth:`translate`)."""


@dataclass(frozen=True)
class Variant:
    title: str
    #: locale → text, as for a broadcast
    texts: dict[str, str]
    content_id: str | None = None


def arm_labels(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def arm_of(seed: int, user_id: int, arms: Sequence[str], holdout: float) -> str:
    """The arm of ``user_id``: the holdout with probability ``holdout``, else one of ``arms``
    with equal probability; the same for the same seed and user, whoever else is assigned."""
    digest = hashlib.sha256(f"{seed}:{user_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < holdout:
        return HOLDOUT
    k = int((u - holdout) / (1 - holdout) * len(arms))
    return arms[min(k, len(arms) - 1)]


def parse_holdout(value: str) -> float:
    """``10%``, ``10`` or ``0.1`` → 0.1."""
    text = value.strip()
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise ExperimentError(
            N_("holdout “{value}”: give a share such as 10%"), value=value
        ) from None
    share = number / 100 if text.endswith("%") or number > 1 else number
    if not 0 <= share <= MAX_HOLDOUT:
        raise ExperimentError(
            N_("holdout “{value}”: between 0% and {most}"), value=value, most=f"{MAX_HOLDOUT:.0%}"
        )
    return share


async def _recipients(
    session: AsyncSession, settings: Settings, segment: Segment, now: datetime, consent: str
) -> list[tuple[int, int | None, str | None]]:
    """(user id, region id, time zone) of everyone the broadcast would go to."""
    audience = (
        await audience_query(
            session, segment, default_locale=settings.default_locale, now=now, consent_kind=consent
        )
    ).subquery()
    province = aliased(Region)
    stmt = (
        select(User.id, User.region_id, Region.level, Region.timezone, province.timezone)
        .outerjoin(Region, Region.id == User.region_id)
        .outerjoin(province, province.id == Region.province_id)
        .where(User.id.in_(select(audience.c.id)))
        .order_by(User.id)
    )
    return [
        (int(uid), region_id, tz if level == "province" else ptz)
        for uid, region_id, level, tz, ptz in (await session.execute(stmt)).all()
    ]


async def scheduled_send(
    session: AsyncSession,
    settings: Settings,
    start: datetime,
    region_id: int | None,
    tz: str | None,
    holds: dict[int | None, datetime | None],
    apply_holds: bool,
) -> datetime:
    """When the dispatcher would first send to this user: ``start``, after quiet hours where they
    live, and after any hold rule (e.g. an election's quiet period) for their region."""
    when = start
    if apply_holds and bc.HOLD_RULES:
        if region_id not in holds:
            until = None
            for rule in bc.HOLD_RULES:
                until = await rule(session, region_id, start)
                if until is not None and until > start:
                    break
            holds[region_id] = until
        hold = holds[region_id]
        if hold is not None and hold > when:
            when = hold
    quiet = bc.quiet_until(when, tz, settings.quiet_hours_range)
    return quiet if quiet is not None else when


async def create_experiment(
    session: AsyncSession,
    settings: Settings,
    *,
    variants: Sequence[Variant],
    holdout: float,
    segment: Segment,
    creator: User | None,
    outcomes: Sequence[str],
    window_days: int = 7,
    min_effect: float = 5.0,
    seed: int | None = None,
    link_url: str | None = None,
    scheduled_at: datetime | None = None,
    expires_at: datetime | None = None,
    via: str = "cli",
    now: datetime | None = None,
    consent: str = consents.BROADCASTS,
) -> Experiment:
    """Assign the segment to ``variants`` and a ``holdout`` share, and create one broadcast per
    variant for its arm (the caller commits)."""
    if not 1 <= len(variants) <= MAX_VARIANTS:
        raise ExperimentError(N_("give 1 to {most} variants"), most=MAX_VARIANTS)
    if len(variants) == 1 and holdout <= 0:
        raise ExperimentError(N_("one variant needs a holdout to compare with"))
    if not 0 <= holdout <= MAX_HOLDOUT:
        raise ExperimentError(
            N_("the holdout must be between 0 and {most}"), most=f"{MAX_HOLDOUT:.0%}"
        )
    if not outcomes or any(o not in OUTCOMES for o in outcomes):
        raise ExperimentError(N_("choose outcomes from {known}"), known=", ".join(OUTCOMES))
    if not 1 <= window_days <= 90:
        raise ExperimentError(N_("the outcome window is 1 to 90 days"))
    if LINK in outcomes and not link_url:
        raise ExperimentError(N_("the link outcome needs the address the button opens (--link)"))
    now = now or utcnow()
    start = scheduled_at or now
    seed = secrets.randbits(48) if seed is None else seed
    labels = arm_labels(len(variants))
    window = timedelta(days=window_days)
    apply_holds = consent != consents.VOTING_DAY and not any(
        bc.is_reminder(v.content_id) for v in variants
    )
    holds: dict[int | None, datetime | None] = {}
    rows: list[dict[str, Any]] = []
    last = start
    tracked = LINK in outcomes
    for user_id, region_id, tz in await _recipients(session, settings, segment, now, consent):
        arm = arm_of(seed, user_id, labels, holdout)
        send_at = await scheduled_send(session, settings, start, region_id, tz, holds, apply_holds)
        last = max(last, send_at + window)
        rows.append(
            {
                "user_id": user_id,
                "arm": arm,
                "send_at": send_at,
                "until": send_at + window,
                "token": secrets.token_urlsafe(16) if tracked and arm != HOLDOUT else None,
            }
        )
    if not rows:
        raise ExperimentError(N_("nobody is in this segment"))
    experiment = Experiment(
        title=variants[0].title[:120],
        segment=segment.describe()[:500],
        seed=seed,
        holdout=holdout,
        arms=[],
        outcomes=list(outcomes),
        window_days=window_days,
        min_effect=min_effect,
        link_url=link_url,
        starts_at=start,
        ends_at=last,
        created_by=actor_of(creator),
        created_at=now,
    )
    session.add(experiment)
    await session.flush()
    for chunk in range(0, len(rows), 5000):
        await session.execute(
            insert(ExperimentAssignment),
            [{"experiment_id": experiment.id, **r} for r in rows[chunk : chunk + 5000]],
        )
    arms = []
    for label, variant in zip(labels, variants, strict=True):
        only = select(ExperimentAssignment.user_id).where(
            ExperimentAssignment.experiment_id == experiment.id, ExperimentAssignment.arm == label
        )
        b = await bc.create_broadcast(
            session,
            settings,
            title=variant.title,
            texts=variant.texts,
            segment=segment,
            creator=creator,
            content_id=variant.content_id,
            scheduled_at=scheduled_at,
            via=via,
            now=now,
            consent=consent,
            expires_at=expires_at,
            only=only,
        )
        await session.execute(
            update(ExperimentAssignment)
            .where(
                ExperimentAssignment.experiment_id == experiment.id,
                ExperimentAssignment.arm == label,
            )
            .values(broadcast_id=b.id)
        )
        arms.append(
            {
                "arm": label,
                "broadcast_id": b.id,
                "content_id": variant.content_id,
                "title": variant.title[:120],
                "status": b.status,
            }
        )
    experiment.arms = arms
    await audit(
        session,
        actor_of(creator),
        "experiment_create",
        f"experiment:{experiment.id}",
        arms=[a["arm"] for a in arms],
        broadcasts=[a["broadcast_id"] for a in arms],
        holdout=holdout,
        outcomes=list(outcomes),
        window_days=window_days,
        assigned=len(rows),
        via=via,
    )
    return experiment


async def get_experiment(session: AsyncSession, experiment_id: int) -> Experiment:
    found = await session.get(Experiment, experiment_id)
    if found is None:
        raise ExperimentError(N_("no experiment #{id}"), id=experiment_id)
    return found


async def list_experiments(session: AsyncSession, limit: int = 50) -> list[Experiment]:
    stmt = select(Experiment).order_by(Experiment.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())
