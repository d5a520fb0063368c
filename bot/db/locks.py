"""Process-wide locks shared by the workers of one database (the fleet).

On PostgreSQL a lock is a session-level advisory lock on a connection the holder keeps open
(it is released when that connection closes, e.g. when the process dies). On SQLite it is an
exclusive ``flock`` on a file beside the database (released when the process exits, too).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import Database


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.sha256(f"votebot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_path(url: str, name: str) -> Path | None:
    """The lock file for ``name`` beside a SQLite database (None for an in-memory one)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.{name}.lock")


class FleetLock:
    """One named lock for the whole fleet; :meth:`try_acquire` never waits."""

    def __init__(self, db: Database, name: str) -> None:
        self.db, self.name = db, name
        self._conn: AsyncConnection | None = None
        self._fd: int | None = None
        self.held = False

    async def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.db.dialect == "postgresql":
            conn = await self.db.engine.connect()
            try:
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id(self.name)}
                )
                await conn.commit()
            except BaseException:
                await conn.close()
                raise
            if not got:
                await conn.close()
                return False
            self._conn = conn
        else:
            path = lock_path(self.db.url, self.name)
            if path is not None:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    return False
                self._fd = fd
        self.held = True
        return True

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id(self.name)}
                )
                await self._conn.commit()
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self.held = False


@contextlib.asynccontextmanager
async def sqlite_file_lock(url: str, name: str) -> AsyncIterator[None]:
    """Hold an exclusive lock on the file beside a SQLite database, waiting for it."""
    path = lock_path(url, name)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


async def pg_xact_lock(conn: AsyncConnection | Any, name: str) -> None:
    """Wait for the transaction-level advisory lock ``name`` (held until commit/rollback)."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id(name)})


@contextlib.asynccontextmanager
async def held(db: Database, name: str) -> AsyncIterator[None]:
    """Hold the fleet lock ``name`` for the block, waiting for it (e.g. first-start imports)."""
    if db.dialect != "postgresql":
        async with sqlite_file_lock(db.url, name):
            yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_id(name)})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id(name)})
            await conn.commit()
