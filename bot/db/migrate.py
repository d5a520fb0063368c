"""Apply Alembic migrations (kept in ``db/``) from code, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot import ROOT
from bot.db.engine import Database
from bot.db.locks import pg_xact_lock, sqlite_file_lock

MIGRATIONS_DIR = ROOT / "db"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


#: The lock that lets one worker at a time migrate (the others wait, then find nothing to do).
MIGRATION_LOCK = "migrations"


async def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` using the application's own engine.

    Several workers starting at once on an empty database take turns: on PostgreSQL under a
    transaction-level advisory lock, on SQLite under a file lock beside the database. Alembic
    reads the current revision only once it holds the lock, so the later ones apply nothing.
    """
    cfg = alembic_config(db.url)

    def _run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    if db.dialect == "postgresql":
        async with db.engine.begin() as conn:
            await pg_xact_lock(conn, MIGRATION_LOCK)
            await conn.run_sync(_run)
        return
    async with sqlite_file_lock(db.url, MIGRATION_LOCK), db.engine.begin() as conn:
        await conn.run_sync(_run)


async def ensure_schema(db: Database) -> bool:
    """Upgrade when the database is behind the code; return True when anything was applied."""
    if await current_revision(db) == head_revision():
        return False
    await upgrade(db)
    return True
