"""Apply Alembic migrations (kept in ``db/``) from code, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot import ROOT
from bot.db.engine import Database

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


async def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` using the application's own engine."""
    cfg = alembic_config(db.url)

    def _run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run)


async def ensure_schema(db: Database) -> bool:
    """Upgrade when the database is behind the code; return True when anything was applied."""
    if await current_revision(db) == head_revision():
        return False
    await upgrade(db)
    return True
