"""The inbound de-duplication ledger (``processed_messages``): claim, store replies, release.

A key is claimed inside the transaction that applies the message's effects. On PostgreSQL a
second worker claiming the same key waits on the first one's uncommitted row and then sees it
(or, if the first rolled back, claims it itself); on SQLite writers are serialised anyway.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ProcessedMessage
from bot.db.repo import insert_ignore

#: The table itself: Core statements on it skip the ORM's bulk-persistence step (identity-map
#: synchronisation and all), which cost more than the SQL on every handled update.
_TABLE = cast(Table, ProcessedMessage.__table__)
_C = _TABLE.c

#: Longest key stored as is; longer ones are replaced by a hash (never cut, so never collide).
MAX_KEY = 128


def message_key(raw: str) -> str:
    """The stored form of a platform message id: itself, or ``sha256:…`` when too long."""
    if len(raw) <= MAX_KEY and raw.isprintable():
        return raw
    return "sha256:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class State(enum.Enum):
    #: Never seen: claimed now, in this transaction.
    FRESH = "fresh"
    #: Handled and its replies delivered.
    DONE = "done"
    #: Handled; another worker is delivering its replies (its lease has not run out).
    LEASED = "leased"
    #: Handled; the worker that was delivering its replies is presumed dead (lease over).
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class Claim:
    state: State
    pending: str | None = None


#: The hot path's statements, built once (a reused statement's cache key is memoised).
_FIND = (
    select(_C.pending, _C.lease_until)
    .where(_C.channel == bindparam("b_channel"), _C.message_key == bindparam("b_key"))
    .with_for_update()
)
_LEASE = (
    update(_TABLE)
    .where(_C.channel == bindparam("b_channel"), _C.message_key == bindparam("b_key"))
    .values(lease_until=bindparam("b_lease"))
)
_STORE = _LEASE.values(pending=bindparam("b_pending"))
_DELIVERED = (
    update(_TABLE)
    .where(_C.channel == bindparam("b_channel"), _C.message_key.in_(bindparam("b_keys")))
    .values(pending=None, lease_until=None)
)


async def claim(session: AsyncSession, channel: str, key: str, now: datetime) -> Claim:
    """Claim ``key`` for this transaction, or say what became of it earlier."""
    key = message_key(key)
    result = await session.execute(
        insert_ignore(session, _TABLE, ["channel", "message_key"]),
        {"channel": channel, "message_key": key, "created_at": now},
    )
    if getattr(result, "rowcount", 0):
        return Claim(State.FRESH)
    row = (await session.execute(_FIND, {"b_channel": channel, "b_key": key})).first()
    if row is None or row.pending is None:
        return Claim(State.DONE)
    if row.lease_until is not None and row.lease_until > now:
        return Claim(State.LEASED)
    return Claim(State.ORPHANED, row.pending)


async def store(
    session: AsyncSession, channel: str, key: str, pending: str, lease_until: datetime
) -> None:
    """Keep a freshly claimed message's replies until :func:`delivered`."""
    await session.execute(
        _STORE,
        {
            "b_channel": channel,
            "b_key": message_key(key),
            "b_lease": lease_until,
            "b_pending": pending,
        },
    )


async def lease(session: AsyncSession, channel: str, key: str, lease_until: datetime) -> None:
    """Take (or renew) the delivery of a message's stored replies until ``lease_until``."""
    await session.execute(
        _LEASE, {"b_channel": channel, "b_key": message_key(key), "b_lease": lease_until}
    )


async def delivered(session: AsyncSession, channel: str, keys: list[str]) -> None:
    """These messages' replies went out: forget them (the keys stay, for de-duplication)."""
    await session.execute(
        _DELIVERED, {"b_channel": channel, "b_keys": [message_key(k) for k in keys]}
    )
