"""``votebot user``: act on one user's data (deletion on request)."""

from __future__ import annotations

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core.events import UserRef
from bot.core.privacy import erase_user
from bot.db import repo
from bot.runtime import open_runtime


async def delete_user(settings: Settings, ref: UserRef) -> int | None:
    """Erase the user's personal data; the number of log rows anonymised, None if unknown."""
    runtime = await open_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            user = await repo.get_user(session, ref)
            if user is None:
                return None
            return await erase_user(session, user)
    finally:
        await runtime.close()


@click.group("user")
def command() -> None:
    """Manage one user's data."""


@command.command("delete")
@click.argument("ref", metavar="CHANNEL:ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_cmd(ref: str, yes: bool) -> None:
    """Delete a user's personal data and anonymise their log rows (totals stay right).

    CHANNEL:ID is e.g. telegram:12345 or whatsapp:6281234567890. Their profile, language, saved
    area, display name, conversation state and feature data are deleted; their engagement-log
    rows stay, without any link to them, so aggregate figures do not change.
    """
    try:
        user_ref = UserRef.parse(ref)
    except ValueError as exc:
        fail(f"Error: {exc}", 2)
    settings = get_settings()
    if not yes:
        click.confirm(
            f"Delete every piece of personal data of {user_ref}? This cannot be undone",
            abort=True,
        )
    count = run(delete_user(settings, user_ref))
    if count is None:
        fail(f"No user {user_ref}: nothing deleted.", 1)
    click.echo(f"Deleted the personal data of {user_ref}; {count} log rows anonymised.")
