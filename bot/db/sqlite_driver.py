"""aiosqlite with one thread hop per statement instead of four.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes the cursor as four
separate calls into aiosqlite's worker thread, each a round trip through a queue and the event
loop. On the hot path (five statements a message) those hand-offs cost more CPU than the SQL.
Here one function does all four in the worker thread and hands back the rows, the description,
the row count and the last row id; everything else is SQLAlchemy's adapter unchanged.

Installed per engine by :func:`install` (on each new DBAPI connection).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import EMPTY_DICT


class _Done:
    """What a finished statement left on its cursor (the sqlite3 cursor itself is closed)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(
        self, description: Any = None, rowcount: int = -1, lastrowid: int | None = None
    ) -> None:
        self.description, self.rowcount, self.lastrowid = description, rowcount, lastrowid
        self.arraysize = 1

    def close(self) -> None:
        """Nothing to close: the statement's cursor was closed in the worker thread."""


def _run(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, list[Any], int, int | None]:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in a single call into the worker thread."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No thread hop to make a cursor: each statement makes and closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Done()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._once(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return await self._once(operation, seq_of_parameters, many=True)

    async def _once(self, operation: Any, parameters: Any, *, many: bool) -> None:
        aio = self._connection
        async with self._adapt_connection._execute_mutex:
            description, rows, rowcount, lastrowid = await aio._execute(
                lambda: _run(aio._conn, operation, parameters, many)
            )
        self._cursor = _Done(description, rowcount, lastrowid)  # type: ignore[assignment]
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


def _adopt(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        # Same slots, one method different: the adapter's class is swapped, not wrapped.
        dbapi_connection.__class__ = OneHopConnection


def install(engine: AsyncEngine) -> None:
    """Use :class:`OneHopCursor` on every connection ``engine`` opens from now on."""
    event.listen(engine.sync_engine, "connect", _adopt, insert=True)
