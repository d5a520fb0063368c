"""Small repositories. They take an ``AsyncSession`` and never commit (the caller does).

Every query here runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, insert, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import Insert

from bot.core.events import UserRef
from bot.db.models import AppMeta, ConversationState, EngagementEvent, User, utcnow


def insert_ignore(session: AsyncSession, model: Any, index_elements: list[str]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect."""
    return _insert_ignore(session.get_bind().dialect.name, model, tuple(index_elements))


@functools.cache
def _insert_ignore(dialect: str, model: Any, index_elements: tuple[str, ...]) -> Insert:
    # One statement object per dialect, table and key: SQLAlchemy memoises a statement's cache
    # key on the object, so a reused statement skips building and hashing it again. Values
    # given with ``.values()`` make a new object; values passed as execution parameters don't.
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    return stmt.on_conflict_do_nothing(index_elements=list(index_elements))


async def get_user(session: AsyncSession, ref: UserRef) -> User | None:
    return await session.scalar(
        select(User).where(User.channel == ref.channel, User.external_id == ref.external_id)
    )


async def get_or_create_user(
    session: AsyncSession, ref: UserRef, *, language_code: str | None = None
) -> tuple[User, bool]:
    """The user row (created if new, safely under concurrency) and whether it was created."""
    user = await get_user(session, ref)
    if user is not None:
        return user, False
    now = utcnow()
    stmt = insert_ignore(session, User, ["channel", "external_id"]).values(
        channel=ref.channel,
        external_id=ref.external_id,
        language_code=language_code[:16] if language_code else None,
        created_at=now,
        last_seen_at=now,
        opted_in=False,
        opt_in_asked=False,
        reachable=True,
    )
    result = await session.execute(stmt)
    user = await get_user(session, ref)
    assert user is not None
    return user, bool(getattr(result, "rowcount", 0))


async def conversation_step(session: AsyncSession, ref: UserRef) -> tuple[str | None, str | None]:
    """The flow and step a user is at (``(None, None)`` for none or an unknown user); no lock."""
    row = (
        await session.execute(
            select(ConversationState.flow, ConversationState.step)
            .join(User, User.id == ConversationState.user_id)
            .where(User.channel == ref.channel, User.external_id == ref.external_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def load_state(session: AsyncSession, user_id: int) -> ConversationState:
    """The user's conversation state, locked for this transaction on PostgreSQL.

    The row lock serialises concurrent events of one user across worker processes, so a double tap
    is handled one after the other, never interleaved.
    """
    stmt = select(ConversationState).where(ConversationState.user_id == user_id)
    state = await session.scalar(stmt.with_for_update())
    if state is None:
        await session.execute(
            insert_ignore(session, ConversationState, ["user_id"]).values(
                user_id=user_id, data={}, updated_at=utcnow()
            )
        )
        state = await session.scalar(stmt.with_for_update())
        assert state is not None
    return state


#: The user and their conversation state in one statement, the user row locked (PostgreSQL).
#: Built once: the hot path pays for neither building nor hashing it again.
_USER_AND_STATE = (
    select(User, ConversationState)
    .outerjoin(ConversationState, ConversationState.user_id == User.id)
    .where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
    .with_for_update(of=User)
)


async def load_user_and_state(
    session: AsyncSession, ref: UserRef, *, language_code: str | None = None
) -> tuple[User, ConversationState, bool]:
    """The user, their conversation state and whether the user was created, in one statement.

    The user row is locked for this transaction on PostgreSQL (``FOR UPDATE OF users``): that
    serialises one user's concurrent events across worker processes, like :func:`load_state`.
    A new user (or one without a state row) costs the extra inserts once.
    """
    params = {"channel": ref.channel, "external_id": ref.external_id}
    row = (await session.execute(_USER_AND_STATE, params)).first()
    found: User | None = row[0] if row is not None else None
    state: ConversationState | None = row[1] if row is not None else None
    if found is not None and state is not None:
        return found, state, False
    if found is None:
        user, created = await get_or_create_user(session, ref, language_code=language_code)
    else:
        user, created = found, False
    return user, await load_state(session, user.id), created


async def log_event(
    session: AsyncSession,
    *,
    user_id: int | None,
    channel: str,
    event_type: str,
    name: str,
    properties: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one row to the engagement log.

    The row waits in ``session.info`` until the commit (or a statement that reads or changes
    the log, see :func:`_log_rows_before`), so an event's rows go out in one INSERT instead of
    being flushed one by one by whatever query comes next.
    """
    row = {
        "user_id": user_id,
        "channel": channel,
        "event_type": event_type,
        "name": name[:64],
        "properties": properties or {},
        "created_at": at or utcnow(),
    }
    session.info.setdefault(PENDING_EVENTS, []).append(row)


#: ``session.info`` key of the engagement-log rows not yet written.
PENDING_EVENTS = "votebot_pending_events"


#: Core, not ORM objects: one executemany, and nobody needs the rows' ids back.
_INSERT_EVENTS = insert(cast(Table, EngagementEvent.__table__))


def _write_pending(session: Session) -> None:
    rows = session.info.pop(PENDING_EVENTS, None)
    if rows:
        session.execute(_INSERT_EVENTS, rows)


async def write_pending_events(session: AsyncSession) -> None:
    """Write the buffered engagement-log rows now (e.g. before erasing a user's rows)."""
    await session.run_sync(_write_pending)


@event.listens_for(Session, "do_orm_execute")
def _log_rows_before(state: ORMExecuteState) -> None:
    """A statement that reads or changes the log first sees the rows buffered before it."""
    if not state.session.info.get(PENDING_EVENTS):
        return
    mapper = inspect(EngagementEvent)
    if state.bind_mapper is mapper or any(m is mapper for m in state.all_mappers):
        _write_pending(state.session)


@event.listens_for(Session, "before_commit")
def _log_rows_at_commit(session: Session) -> None:
    _write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _log_rows_rolled_back(session: Session, _previous: Any) -> None:
    """Rows of a rolled-back transaction are dropped with it (no savepoints are used)."""
    session.info.pop(PENDING_EVENTS, None)


async def mark_unreachable(session: AsyncSession, ref: UserRef, reason: str) -> None:
    """The platform says this user cannot be reached (blocked the bot, number gone)."""
    user = await get_user(session, ref)
    if user is None or not user.reachable:
        return
    user.reachable = False
    await log_event(
        session,
        user_id=user.id,
        channel=ref.channel,
        event_type="delivery",
        name="unreachable",
        properties={"reason": reason[:64]},
    )


async def get_meta(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(AppMeta.value).where(AppMeta.key == key))


async def set_meta(session: AsyncSession, key: str, value: str) -> None:
    """Insert or replace one ``app_meta`` value."""
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AppMeta).values(
        key=key, value=value
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


async def claim_meta(session: AsyncSession, key: str, value: str) -> bool:
    """Store ``key`` only if it is absent; True if this call stored it (once across workers)."""
    result = await session.execute(
        insert_ignore(session, AppMeta, ["key"]).values(key=key, value=value)
    )
    return bool(getattr(result, "rowcount", 0))


async def set_opt_in(session: AsyncSession, user_id: int, opted_in: bool) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(opted_in=opted_in, opt_in_asked=True)
    )
