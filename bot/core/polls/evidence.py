"""Evidence for organisers: how many of those invited answered (overall, per province), how
many came on their own (menu, typing), and how long the poll took to reach N answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.polls.suppress import MIN_CELL
from bot.db.models import Region, User
from bot.db.models_broadcast import SENT, OutboxRow
from bot.db.models_poll import Poll, PollRespondent

MILESTONES = (10, 100, 1_000, 10_000, 100_000)


@dataclass
class Evidence:
    segment: str
    invited: int = 0
    invited_sent: int = 0
    answered_invited: int = 0
    answered_uninvited: int = 0
    #: province name → (invitations sent, of them answered); None where under 10
    by_province: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    #: answers → time from opening
    time_to: dict[int, timedelta] = field(default_factory=dict)

    @property
    def respondents(self) -> int:
        return self.answered_invited + self.answered_uninvited

    @property
    def response_rate(self) -> float | None:
        return self.answered_invited / self.invited_sent if self.invited_sent else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "invited": self.invited,
            "invitations_sent": self.invited_sent,
            "answered_from_invitation": self.answered_invited,
            "answered_without_invitation": self.answered_uninvited,
            "response_rate": None if self.response_rate is None else round(self.response_rate, 4),
            "by_province": [
                {
                    "province": name,
                    "invitations_sent": sent,
                    "answered": answered,
                    "suppressed": sent is None,
                    "response_rate": round(answered / sent, 4)
                    if sent and answered is not None
                    else None,
                }
                for name, (sent, answered) in sorted(self.by_province.items())
            ],
            "time_to_answers": {
                str(n): round(t.total_seconds()) for n, t in sorted(self.time_to.items())
            },
        }


async def evidence(session: AsyncSession, poll: Poll) -> Evidence:
    ev = Evidence(poll.segment)
    r = PollRespondent
    answered = select(r.user_id).where(r.poll_id == poll.id)
    if poll.broadcast_id is not None:
        o = OutboxRow
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(case((o.status == SENT, 1), else_=0)),
                    func.sum(case((and_(o.status == SENT, o.user_id.in_(answered)), 1), else_=0)),
                ).where(o.broadcast_id == poll.broadcast_id)
            )
        ).one()
        ev.invited, ev.invited_sent, ev.answered_invited = (int(x or 0) for x in row)
        province = func.coalesce(Region.province_id, Region.id)
        prov = Region.__table__.alias("province")
        stmt = (
            select(
                prov.c.name,
                func.count(),
                func.sum(case((o.user_id.in_(answered), 1), else_=0)),
            )
            .select_from(o)
            .join(User, User.id == o.user_id)
            .join(Region, Region.id == User.region_id)
            .join(prov, prov.c.id == province)
            .where(o.broadcast_id == poll.broadcast_id, o.status == SENT)
            .group_by(prov.c.name)
        )
        for name, sent, got in (await session.execute(stmt)).all():
            sent, got = int(sent), int(got or 0)
            hidden = sent < MIN_CELL
            ev.by_province[name] = (
                (None, None) if hidden else (sent, got if got >= MIN_CELL or got == 0 else None)
            )
    total = int(
        await session.scalar(select(func.count()).select_from(r).where(r.poll_id == poll.id)) or 0
    )
    ev.answered_uninvited = total - ev.answered_invited
    for n in MILESTONES:
        if n > total:
            break
        started = await session.scalar(
            select(r.started_at)
            .where(r.poll_id == poll.id)
            .order_by(r.started_at)
            .offset(n - 1)
            .limit(1)
        )
        if started is not None:
            ev.time_to[n] = max(started - poll.opens_at, timedelta(0))
    return ev
