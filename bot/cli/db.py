"""``votebot db``: database migrations."""

from __future__ import annotations

import click

from bot.cli import get_settings, run
from bot.db.engine import Database
from bot.db.migrate import current_revision, head_revision, upgrade


@click.group("db")
def command() -> None:
    """Manage the database schema (Alembic migrations in db/)."""


@command.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade_cmd(revision: str) -> None:
    """Apply migrations up to REVISION (chat and serve do this automatically)."""
    settings = get_settings()

    async def main() -> tuple[str | None, str | None]:
        db = Database(settings.database_url)
        try:
            before = await current_revision(db)
            await upgrade(db, revision)
            return before, await current_revision(db)
        finally:
            await db.close()

    before, after = run(main())
    if before == after:
        click.echo(f"Database already at {after}.")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@command.command("current")
def current_cmd() -> None:
    """Show the database's revision and the code's head revision."""
    settings = get_settings()

    async def main() -> str | None:
        db = Database(settings.database_url)
        try:
            return await current_revision(db)
        finally:
            await db.close()

    click.echo(f"database: {run(main()) or 'empty'}\ncode head: {head_revision()}")
