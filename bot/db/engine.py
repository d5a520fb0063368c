"""Engine and session factory for SQLite (embedded default) and PostgreSQL (scale path)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core import jsonfast
from bot.db import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: Statements (BEGIN/COMMIT excluded) and transactions, counted only when the throughput
#: benchmark sets ``VOTEBOT_BENCH_SQL`` (a file path written on SIGUSR1).
BENCH_COUNTS = {"statements": 0, "transactions": 0}


def _count_sql(engine: AsyncEngine, path: str) -> None:
    def statement(*_: Any) -> None:
        BENCH_COUNTS["statements"] += 1

    def begin(*_: Any) -> None:
        BENCH_COUNTS["transactions"] += 1

    def dump(*_: Any) -> None:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(BENCH_COUNTS, file)

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine, "begin", begin)
    signal.signal(signal.SIGUSR1, dump)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine (see :func:`_create_engine`); counted for the benchmark if asked."""
    engine = _create_engine(url, **kwargs)
    path = os.environ.get("VOTEBOT_BENCH_SQL")
    if path:
        _count_sql(engine, path)
    return engine


def _create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL mode, a busy timeout and foreign keys."""
    parsed = make_url(url)
    # JSON columns (the log's properties, the conversation state) through orjson.
    kwargs.setdefault("json_serializer", jsonfast.dumps)
    kwargs.setdefault("json_deserializer", jsonfast.loads)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No reset when a connection goes back to the pool: sessions and connections end their
        # transactions themselves (commit, or rollback on close), so the pool's extra ROLLBACK
        # was a thread hop to aiosqlite's worker on every handled message that did nothing.
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        sqlite_driver.install(engine)
        return engine
    # No pre-ping (a round trip on every checkout): a connection that died is invalidated on its
    # error (the message is then redelivered) and connections are recycled before servers or
    # proxies drop idle ones.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


#: PostgreSQL error codes worth retrying: serialization failure, deadlock, lock timeout, and the
#: classes "connection exception" (08), "insufficient resources" (53), "operator intervention" (57).
_RETRYABLE_PG = ("40001", "40P01", "55P03")
_RETRYABLE_PG_CLASSES = ("08", "53", "57")


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database is unavailable for now (locked, down, a deadlock).

    Work that failed this way is retried later (an inbound message is left for redelivery)
    instead of answered with an apology.
    """
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        code = str(getattr(error.orig, "sqlstate", "") or getattr(error.orig, "pgcode", "") or "")
        return code in _RETRYABLE_PG or code[:2] in _RETRYABLE_PG_CLASSES
    return isinstance(error, ConnectionError | TimeoutError)


class Database:
    """The engine plus a session factory; one session (and transaction) per handled event."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Transactions of one process take turns on this lock
        # instead of meeting in SQLite's busy handler, which sleeps (1, 2, 5, 10 … 100 ms) and
        # left the event loop idle a quarter of the time under a burst. Other processes (a CLI
        # command beside ``serve``) still wait through the busy timeout.
        self._serialise = self.dialect == "sqlite"
        self._writer: asyncio.Lock | None = None
        self._writer_loop: asyncio.AbstractEventLoop | None = None
        self._holder: asyncio.Task[Any] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer_loop is not loop:
            self._writer, self._writer_loop = asyncio.Lock(), loop
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction, committed on success and rolled back on error.

        On SQLite one transaction of this process runs at a time (a transaction opened inside
        another by the same task does not wait for itself).
        """
        task = asyncio.current_task()
        if not self._serialise or (task is not None and self._holder is task):
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._lock():
            self._holder = task
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            finally:
                self._holder = None

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
