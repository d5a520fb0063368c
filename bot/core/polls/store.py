"""Polls in the database: creating one from its file, approval, who is answering, their answers.

A poll is created ``awaiting_approval`` and needs an admin's approval (a second person when an
admin or volunteer created it in chat), as broadcasts do. It is *open* while approved and
``opens_at <= now < closes_at``; answers can be changed until it closes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.polls.scrub import scrub
from bot.core.polls.spec import OPEN, OPEN_MAX, PollSpec, Question, questions_of
from bot.core.roles import ADMIN, actor_of, audit
from bot.db.models import Region, User, utcnow
from bot.db.models_poll import (
    APPROVED,
    AWAITING_APPROVAL,
    CANCELLED,
    CLOSED,
    AgeBand,
    Poll,
    PollAnswer,
    PollOpenAnswer,
    PollRespondent,
)

AGE_BANDS = ("17-20", "21-25", "26-30", "30+")


class PollError(ValueError):
    """An action that is not possible now; the message says why."""


def questions(poll: Poll) -> list[Question]:
    return questions_of(poll.spec)


def is_open(poll: Poll, now: datetime) -> bool:
    return poll.status == APPROVED and poll.opens_at <= now < poll.closes_at


async def create_poll(
    session: AsyncSession,
    spec: PollSpec,
    creator: User | None,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    segment: str | None = None,
    via: str = "cli",
) -> Poll:
    if await session.get(Poll, spec.id) is not None:
        raise PollError(f"a poll '{spec.id}' exists already")
    if creator is not None and creator.role not in (ADMIN, "volunteer"):
        raise PollError("only volunteers and admins can create polls")
    opens, closes = opens_at or spec.opens_at, closes_at or spec.closes_at
    if closes <= opens:
        raise PollError("the poll must close after it opens")
    poll = Poll(
        id=spec.id,
        title=spec.title,
        spec=spec.as_data(),
        segment=segment or spec.segment,
        status=AWAITING_APPROVAL,
        opens_at=opens,
        closes_at=closes,
        created_by=actor_of(creator),
        created_at=utcnow(),
        results_queued=0,
    )
    session.add(poll)
    await session.flush()
    await audit(
        session, poll.created_by, "poll_create", f"poll:{poll.id}", segment=poll.segment, via=via
    )
    return poll


async def get_poll(session: AsyncSession, poll_id: str, *, lock: bool = False) -> Poll:
    stmt = select(Poll).where(Poll.id == poll_id)
    poll = await session.scalar(stmt.with_for_update() if lock else stmt)
    if poll is None:
        raise PollError(f"no poll '{poll_id}'")
    return poll


def _by(actor: User | None, via: str) -> str:
    """Who acted: the person, else the command line, else the dashboard's shared token."""
    return actor_of(actor) if actor is not None or via == "cli" else via


def is_own(poll: Poll, actor: User) -> bool:
    """Whether ``actor`` created ``poll`` (then a second person must approve it)."""
    return poll.created_by == actor_of(actor)


async def approve(
    session: AsyncSession, poll_id: str, actor: User | None, *, via: str = "cli"
) -> Poll:
    """Approve a poll awaiting approval: an admin, not its creator (``actor`` None: the CLI or
    the dashboard's shared token, whose holder is an admin by definition)."""
    poll = await get_poll(session, poll_id, lock=True)
    if actor is not None and actor.role != ADMIN:
        raise PollError("only an admin can approve a poll")
    if poll.status != AWAITING_APPROVAL:
        raise PollError(f"poll '{poll.id}' is {poll.status}, not awaiting approval")
    if actor is not None and is_own(poll, actor):
        raise PollError("a poll needs a second person's approval")
    poll.status, poll.approved_by = APPROVED, _by(actor, via)
    await audit(session, poll.approved_by, "poll_approve", f"poll:{poll.id}", via=via)
    return poll


async def cancel(
    session: AsyncSession, poll_id: str, actor: User | None, *, via: str = "cli"
) -> Poll:
    poll = await get_poll(session, poll_id, lock=True)
    if poll.status in (CLOSED, CANCELLED):
        raise PollError(f"poll '{poll.id}' is already {poll.status}")
    poll.status = CANCELLED
    await audit(session, _by(actor, via), "poll_cancel", f"poll:{poll.id}", via=via)
    return poll


async def awaiting_approval(session: AsyncSession) -> list[Poll]:
    stmt = select(Poll).where(Poll.status == AWAITING_APPROVAL).order_by(Poll.created_at)
    return list((await session.scalars(stmt)).all())


async def list_polls(session: AsyncSession) -> list[Poll]:
    return list((await session.scalars(select(Poll).order_by(Poll.opens_at.desc()))).all())


async def open_polls(session: AsyncSession, now: datetime) -> list[Poll]:
    stmt = (
        select(Poll)
        .where(Poll.status == APPROVED, Poll.opens_at <= now, Poll.closes_at > now)
        .order_by(Poll.closes_at)
    )
    return list((await session.scalars(stmt)).all())


# --------------------------------------------------------------------------- respondents


async def area_of(session: AsyncSession, user: User) -> tuple[int | None, int | None]:
    """(province id, kabupaten/kota id) of the user's saved area."""
    if user.region_id is None:
        return None, None
    region = await session.get(Region, user.region_id)
    if region is None:
        return None, None
    province = region.id if region.level == "province" else region.province_id
    kabupaten = region.id if region.level == "kabupaten" else region.kabupaten_id
    return province, kabupaten


async def age_band(session: AsyncSession, user_id: int) -> AgeBand | None:
    return await session.get(AgeBand, user_id)


async def respondent(
    session: AsyncSession, poll: Poll, user: User, locale: str, *, create: bool = True
) -> PollRespondent | None:
    found = await session.scalar(
        select(PollRespondent).where(
            PollRespondent.poll_id == poll.id, PollRespondent.user_id == user.id
        )
    )
    if found is not None or not create:
        return found
    province, kabupaten = await area_of(session, user)
    band = await age_band(session, user.id)
    found = PollRespondent(
        poll_id=poll.id,
        user_id=user.id,
        channel=user.channel,
        locale=locale,
        province_id=province,
        kabupaten_id=kabupaten,
        age_band=band.band if band else None,
        started_at=utcnow(),
    )
    session.add(found)
    await session.flush()
    return found


async def set_age_band(session: AsyncSession, user: User, band: str | None) -> None:
    """Keep the band the user chose (None: declined) and put it on their open respondents."""
    if band is not None and band not in AGE_BANDS:
        raise PollError(f"unknown age band {band!r}")
    row = await session.get(AgeBand, user.id)
    if row is None:
        session.add(AgeBand(user_id=user.id, band=band, asked_at=utcnow()))
    else:
        row.band, row.asked_at = band, utcnow()
    open_ids = select(Poll.id).where(Poll.status == APPROVED)
    mine = select(PollRespondent.id).where(
        PollRespondent.user_id == user.id, PollRespondent.poll_id.in_(open_ids)
    )
    await session.execute(
        update(PollAnswer).where(PollAnswer.respondent_id.in_(mine)).values(age_band=band)
    )
    await session.execute(
        update(PollRespondent)
        .where(PollRespondent.user_id == user.id, PollRespondent.poll_id.in_(open_ids))
        .values(age_band=band)
    )


async def answers(session: AsyncSession, resp: PollRespondent) -> dict[int, int | None]:
    """question index → value (None: skipped) for questions this respondent has seen."""
    rows = await session.execute(
        select(PollAnswer.question, PollAnswer.value).where(PollAnswer.respondent_id == resp.id)
    )
    out: dict[int, int | None] = {q: v for q, v in rows.all()}
    opens = await session.scalars(
        select(PollOpenAnswer.question).where(PollOpenAnswer.respondent_id == resp.id)
    )
    for q in opens.all():
        out[q] = 1
    return out


async def record(
    session: AsyncSession,
    resp: PollRespondent,
    index: int,
    question: Question,
    value: int | None,
    text: str | None = None,
) -> bool:
    """Store (or change) one answer; ``value`` None skips. Returns True if it changed one."""
    existing = await session.scalar(
        select(PollAnswer).where(PollAnswer.respondent_id == resp.id, PollAnswer.question == index)
    )
    changed = existing is not None and not existing.skipped
    if question.kind == OPEN:
        await session.execute(
            delete(PollOpenAnswer).where(
                PollOpenAnswer.respondent_id == resp.id, PollOpenAnswer.question == index
            )
        )
        if text is not None and value is not None:
            session.add(
                PollOpenAnswer(
                    respondent_id=resp.id,
                    poll_id=resp.poll_id,
                    question=index,
                    text=scrub(text)[:OPEN_MAX],
                )
            )
            value = 1
    if existing is None:
        session.add(
            PollAnswer(
                respondent_id=resp.id,
                poll_id=resp.poll_id,
                question=index,
                value=value,
                skipped=value is None,
                answered_at=utcnow(),
                province_id=resp.province_id,
                kabupaten_id=resp.kabupaten_id,
                channel=resp.channel,
                locale=resp.locale,
                age_band=resp.age_band,
            )
        )
    else:
        existing.value, existing.skipped, existing.answered_at = value, value is None, utcnow()
    await session.flush()
    return changed


def summary_data(poll: Poll) -> dict[str, Any]:
    return {"id": poll.id, "title": poll.title, "questions": len(questions(poll))}
