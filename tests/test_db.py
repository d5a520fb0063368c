"""Database behaviour on every backend: migrations match the models, WAL, secrets, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select, text

from bot.config import Settings
from bot.core.events import UserRef
from bot.db import repo
from bot.db.engine import Database
from bot.db.migrate import current_revision, ensure_schema, head_revision
from bot.db.models import EngagementEvent
from bot.db.schema import load_models


async def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert await current_revision(db) == head_revision()

        def diff(conn: Connection) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return list(compare_metadata(ctx, load_models()))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == [], "write a migration for the model change"
        assert await ensure_schema(db) is False
    finally:
        await db.close()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(settings: Settings) -> None:
    if not settings.is_sqlite:
        return
    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert int((await conn.execute(text("PRAGMA busy_timeout"))).scalar() or 0) >= 5000
    finally:
        await db.close()


async def test_timestamps_are_utc_aware_on_every_backend(db_url: str) -> None:
    db = Database(db_url)
    wib = timezone(timedelta(hours=7))
    try:
        async with db.transaction() as s:
            user, created = await repo.get_or_create_user(s, UserRef("test", "tz"))
            assert created
            await repo.log_event(
                s,
                user_id=user.id,
                channel="test",
                event_type="t",
                name="n",
                at=datetime(2024, 2, 14, 7, 0, tzinfo=wib),
            )
        async with db.transaction() as s:
            row = await s.scalar(select(EngagementEvent))
            assert row is not None
            assert row.created_at == datetime(2024, 2, 14, 0, 0, tzinfo=UTC)
            assert row.created_at.tzinfo is not None
            _, created_again = await repo.get_or_create_user(s, UserRef("test", "tz"))
            assert not created_again
    finally:
        await db.close()


async def test_sqlite_statements_keep_the_driver_semantics_in_one_thread_hop(
    settings: Settings,
) -> None:
    """bot.db.sqlite_driver: rows, row counts, executemany and errors as before, one hop each."""
    if not settings.is_sqlite:
        return
    from sqlalchemy import exc

    from bot.db.sqlite_driver import OneHopCursor

    db = Database(settings.database_url)
    try:
        async with db.engine.begin() as conn:
            raw = await conn.get_raw_connection()
            assert raw.dbapi_connection.cursor().__class__ is OneHopCursor  # type: ignore[union-attr]
            await conn.execute(text("CREATE TEMP TABLE t (k TEXT PRIMARY KEY, n INT)"))
            hops = 0
            aio = raw.driver_connection
            real = aio._execute  # type: ignore[union-attr]

            async def counted(fn: object, *args: object, **kwargs: object) -> object:
                nonlocal hops
                hops += 1
                return await real(fn, *args, **kwargs)

            aio._execute = counted  # type: ignore[union-attr]
            result = await conn.execute(
                text("INSERT INTO t VALUES (:k, :n)"), [{"k": "a", "n": 1}, {"k": "b", "n": 2}]
            )
            assert result.rowcount == 2
            assert hops == 1
            rows = (await conn.execute(text("SELECT k, n FROM t ORDER BY k"))).all()
            assert [tuple(r) for r in rows] == [("a", 1), ("b", 2)]
            assert hops == 2
            updated = await conn.execute(text("UPDATE t SET n = n + 1 WHERE k = 'a'"))
            assert updated.rowcount == 1
            try:
                await conn.execute(text("INSERT INTO t VALUES ('a', 9)"))
            except exc.IntegrityError:
                pass
            else:
                raise AssertionError("a duplicate key must raise IntegrityError")
            aio._execute = real  # type: ignore[union-attr]
    finally:
        await db.close()
