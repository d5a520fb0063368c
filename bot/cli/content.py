"""``votebot content check``: validate every content file."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import get_settings
from bot.core.broadcasts import broadcast_files
from bot.core.content import load_content
from bot.core.i18n import available_locales
from bot.core.polls.spec import poll_files


@click.group("content")
def command() -> None:
    """Work with the Markdown content (info pages, quizzes, pledge)."""


@command.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def check(directory: Path | None) -> None:
    """Validate all content in DIRECTORY (default: the configured content directory).

    Prints every problem as "path:line: message" and exits 1 if there is any.
    """
    settings = get_settings()
    root = (directory or settings.content_dir).resolve()
    locales = available_locales(settings.locales_dir)
    store, errors = load_content(root, locales, settings.default_locale)
    broadcasts, broadcast_errors = broadcast_files(root, locales, settings.default_locale)
    polls, poll_errors = poll_files(root, locales, settings.default_locale)
    errors = sorted(errors + broadcast_errors + poll_errors)
    for error in errors:
        click.echo(error.format(Path.cwd()), err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) in {root}")
    counts = ", ".join(
        f"{kind}: {sum(len(v) for v in by_locale.values())}"
        for kind, by_locale in sorted(store.items.items())
    )
    counts += f", broadcasts: {len(broadcasts)}, polls: {len(polls)}"
    click.echo(f"Content OK ({counts}) in {root}")
