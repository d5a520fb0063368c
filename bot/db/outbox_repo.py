"""The outbox's SQL: claiming rows with a lease, renewing it, releasing, recording results, and
the same for notifications. Functions take a session and never commit (the caller does).

A claimed row is ``status='sending'`` with ``claimed_by`` (the worker) and ``lease_until``. Every
write that follows a claim is guarded by ``claimed_by = <this worker> AND status = 'sending'``, so
a row that another worker took over after the lease expired is never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.core import consent
from bot.core.timezones import wall_clock
from bot.db.models import Region, User
from bot.db.models_broadcast import (
    CLAIMED,
    FAILED,
    FINISHED,
    PENDING,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    Broadcast,
    Notification,
    OutboxRow,
)

#: Reasons a pending row is held (it is retried later, never dropped).
HELD_REASONS = ("quiet_hours", "quiet_period")
EXPIRED = "expired"


@dataclass(frozen=True)
class Claimed:
    id: int
    broadcast_id: int
    user_id: int
    attempts: int


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- broadcasts


async def promote_due(session: AsyncSession, now: datetime, broadcast_id: int | None) -> None:
    """Queued broadcasts whose time has come start sending."""
    stmt = update(Broadcast).where(
        Broadcast.status == QUEUED,
        or_(Broadcast.scheduled_at.is_(None), Broadcast.scheduled_at <= now),
    )
    if broadcast_id is not None:
        stmt = stmt.where(Broadcast.id == broadcast_id)
    await session.execute(stmt.values(status=SENDING, started_at=now))


def _expired_everywhere(now: datetime) -> ColumnElement[bool]:
    """The broadcast has expired for every recipient (local expiries: even in WIB, the last)."""
    return or_(
        and_(Broadcast.expires_local.is_(False), Broadcast.expires_at <= now),
        and_(Broadcast.expires_local.is_(True), Broadcast.expires_at <= wall_clock(now, "WIB")),
    )


async def expire_rows(session: AsyncSession, now: datetime, broadcast_id: int | None) -> int:
    """Skip (``expired``) the waiting rows of broadcasts that expired for everyone."""
    dead = select(Broadcast.id).where(Broadcast.expires_at.is_not(None), _expired_everywhere(now))
    if broadcast_id is not None:
        dead = dead.where(Broadcast.id == broadcast_id)
    result = await session.execute(
        update(OutboxRow)
        .where(OutboxRow.status == PENDING, OutboxRow.broadcast_id.in_(dead.scalar_subquery()))
        .values(status=SKIPPED, error=EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def _claimable(channel: str, now: datetime, broadcast_id: int | None) -> ColumnElement[bool]:
    conds = [
        Broadcast.status == SENDING,
        OutboxRow.channel == channel,
        or_(
            and_(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now),
            and_(OutboxRow.status == CLAIMED, OutboxRow.lease_until < now),
        ),
    ]
    if broadcast_id is not None:
        conds.append(OutboxRow.broadcast_id == broadcast_id)
    return and_(*conds)


async def claim(
    session: AsyncSession,
    *,
    channel: str,
    limit: int,
    worker: str,
    now: datetime,
    lease_until: datetime,
    broadcast_id: int | None,
) -> list[Claimed]:
    """Atomically take up to ``limit`` due rows of ``channel`` for ``worker``."""
    sub = (
        select(OutboxRow.id)
        .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
        .where(_claimable(channel, now, broadcast_id))
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    if _is_pg(session):
        sub = sub.with_for_update(skip_locked=True, of=OutboxRow)
    stmt = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(sub.scalar_subquery()))
        .values(status=CLAIMED, claimed_by=worker, lease_until=lease_until)
        .returning(OutboxRow.id, OutboxRow.broadcast_id, OutboxRow.user_id, OutboxRow.attempts)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).all()
    return sorted((Claimed(*r) for r in rows), key=lambda c: c.id)


async def renew(
    session: AsyncSession, ids: Sequence[int], worker: str, lease_until: datetime
) -> set[int]:
    """Extend this worker's lease on ``ids``; return the ids it still holds."""
    if not ids:
        return set()
    stmt = (
        update(OutboxRow)
        .where(
            OutboxRow.id.in_(list(ids)),
            OutboxRow.claimed_by == worker,
            OutboxRow.status == CLAIMED,
        )
        .values(lease_until=lease_until)
        .returning(OutboxRow.id)
        .execution_options(synchronize_session=False)
    )
    return {r[0] for r in (await session.execute(stmt)).all()}


async def release(session: AsyncSession, ids: Sequence[int], worker: str, when: datetime) -> None:
    """Give claimed rows back (due again at ``when``)."""
    if not ids:
        return
    await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id.in_(list(ids)),
            OutboxRow.claimed_by == worker,
            OutboxRow.status == CLAIMED,
        )
        .values(status=PENDING, claimed_by=None, lease_until=None, next_attempt_at=when)
        .execution_options(synchronize_session=False)
    )


#: The columns a result sets; every result sets all of them (one executemany statement).
RESULT_COLUMNS = ("status", "attempts", "error", "sent_at", "message_id", "next_attempt_at")


async def record_many(
    session: AsyncSession, worker: str, results: Sequence[tuple[Claimed, dict[str, Any]]]
) -> set[int]:
    """Write many claimed rows' results in two round trips; return the ids written (a row that
    changed hands is left alone). ``results``: (row, values), values a subset of
    :data:`RESULT_COLUMNS` (a missing ``attempts`` keeps the row's; others become NULL, and
    ``next_attempt_at`` the row's current one)."""
    if not results:
        return set()
    ids = [row.id for row, _ in results]
    mine = select(OutboxRow.id, OutboxRow.next_attempt_at).where(
        OutboxRow.id.in_(ids), OutboxRow.claimed_by == worker, OutboxRow.status == CLAIMED
    )
    if _is_pg(session):
        mine = mine.with_for_update()
    owned = {r[0]: r[1] for r in (await session.execute(mine)).all()}
    if not owned:
        return set()
    table = cast(Table, OutboxRow.__table__)
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            table.c.claimed_by == worker,
            table.c.status == CLAIMED,
        )
        .values(
            claimed_by=None,
            lease_until=None,
            **{column: bindparam(f"new_{column}") for column in RESULT_COLUMNS},
        )
    )
    params = []
    for row, values in results:
        if row.id not in owned:
            continue
        full = {"attempts": row.attempts, "next_attempt_at": owned[row.id]}
        full.update(values)
        params.append({"row_id": row.id, **{f"new_{c}": full.get(c) for c in RESULT_COLUMNS}})
    await session.execute(stmt, params)
    return set(owned)


async def outstanding(
    session: AsyncSession, channel: str, broadcast_id: int | None, now: datetime
) -> int:
    """Rows of this channel still to do now: pending and not held, or claimed by anyone, of
    broadcasts that are sending or due to start."""
    due = and_(
        Broadcast.status == QUEUED,
        or_(Broadcast.scheduled_at.is_(None), Broadcast.scheduled_at <= now),
    )
    conds = [
        or_(Broadcast.status == SENDING, due),
        OutboxRow.channel == channel,
        or_(
            and_(
                OutboxRow.status == PENDING,
                or_(OutboxRow.error.is_(None), OutboxRow.error.not_in(HELD_REASONS)),
            ),
            OutboxRow.status == CLAIMED,
        ),
    ]
    if broadcast_id is not None:
        conds.append(OutboxRow.broadcast_id == broadcast_id)
    stmt = (
        select(func.count())
        .select_from(OutboxRow)
        .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
        .where(*conds)
    )
    return int(await session.scalar(stmt) or 0)


def consent_held() -> ColumnElement[bool]:
    """SQL: the row's user holds the consent its broadcast needs (see bot.core.consent)."""
    whens = [(Broadcast.consent == kind, consent.condition(kind)) for kind in consent.KINDS]
    return case(*whens, else_=False)


async def recheck_rows(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """row id → (broadcast, external id, consent held, reachable, locale, language code,
    region id, region level, region time zone, province time zone), read just before sending."""
    province = aliased(Region)
    stmt = (
        select(
            OutboxRow.id,
            Broadcast,
            User.external_id,
            consent_held(),
            User.reachable,
            User.locale,
            User.language_code,
            User.region_id,
            Region.level,
            Region.timezone,
            province.timezone,
        )
        .select_from(OutboxRow)
        .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
        .join(User, User.id == OutboxRow.user_id)
        .outerjoin(Region, Region.id == User.region_id)
        .outerjoin(province, province.id == Region.province_id)
        .where(OutboxRow.id.in_(list(ids)))
    )
    return {r[0]: tuple(r[1:]) for r in (await session.execute(stmt)).all()}


def _nothing_left() -> ColumnElement[bool]:
    return ~exists().where(
        OutboxRow.broadcast_id == Broadcast.id, OutboxRow.status.in_([PENDING, CLAIMED])
    )


async def finish_candidates(session: AsyncSession, broadcast_id: int | None) -> list[int]:
    stmt = select(Broadcast.id).where(Broadcast.status == SENDING, _nothing_left())
    if broadcast_id is not None:
        stmt = stmt.where(Broadcast.id == broadcast_id)
    return list((await session.scalars(stmt)).all())


async def mark_finished(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Finish a sending broadcast with nothing left (True for exactly one caller)."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == SENDING, _nothing_left())
        .values(status=FINISHED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(result))


# --------------------------------------------------------------------------- notifications


async def add_notification(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    replies: list[Any],
    now: datetime,
    expires_at: datetime | None = None,
) -> Notification:
    row = Notification(
        channel=channel,
        external_id=external_id[:64],
        replies=replies,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def claim_notifications(
    session: AsyncSession,
    *,
    channel: str,
    limit: int,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> list[tuple[int, str, list[Any], int, datetime | None]]:
    """Take due notifications: (id, external id, replies, attempts, expires at)."""
    sub = (
        select(Notification.id)
        .where(
            Notification.channel == channel,
            or_(
                and_(Notification.status == PENDING, Notification.next_attempt_at <= now),
                and_(Notification.status == CLAIMED, Notification.lease_until < now),
            ),
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    if _is_pg(session):
        sub = sub.with_for_update(skip_locked=True)
    stmt = (
        update(Notification)
        .where(Notification.id.in_(sub.scalar_subquery()))
        .values(status=CLAIMED, claimed_by=worker, lease_until=lease_until)
        .returning(
            Notification.id,
            Notification.external_id,
            Notification.replies,
            Notification.attempts,
            Notification.expires_at,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).all()
    return sorted(((r[0], r[1], r[2], r[3], r[4]) for r in rows), key=lambda r: r[0])


async def record_notification(
    session: AsyncSession, row_id: int, worker: str, values: dict[str, Any]
) -> bool:
    """Write a claimed notification's result. Once it is settled its text is cleared: a report's
    details and photo are not kept in the outbox after they went out."""
    if values.get("status") in (SENT, FAILED, SKIPPED):
        values = {**values, "replies": []}
    result = await session.execute(
        update(Notification)
        .where(
            Notification.id == row_id,
            Notification.claimed_by == worker,
            Notification.status == CLAIMED,
        )
        .values(claimed_by=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(result))


async def notifications_waiting(session: AsyncSession, channel: str) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.channel == channel, Notification.status.in_([PENDING, CLAIMED]))
    )
    return int(await session.scalar(stmt) or 0)
