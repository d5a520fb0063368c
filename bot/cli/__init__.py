"""The ``votebot`` command and its subcommands (each module adds one group or command)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


#: ``click`` context meta key set by ``--sandbox`` (meta is shared by a command and its group).
SANDBOX_KEY = "votebot.sandbox"
SANDBOX_HELP = (
    "Work on the simulator's database (VOTEBOT_SANDBOX_DATABASE_URL, default "
    "db/sandbox.sqlite3), where simulator users count."
)


def _set_sandbox(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[SANDBOX_KEY] = True


def add_sandbox_option(command: click.Command) -> None:
    """Give ``command`` (and, for a group, every subcommand) the shared ``--sandbox`` flag."""
    if not any(p.name == "sandbox" for p in command.params):
        command.params.append(
            click.Option(
                ["--sandbox"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_set_sandbox,
                help=SANDBOX_HELP,
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_sandbox_option(sub)


def in_sandbox() -> bool:
    """Whether ``--sandbox`` was given to this command or one of its groups."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(SANDBOX_KEY))


def get_settings(**overrides: Any) -> Settings:
    """Settings, or exit with one clear line naming the bad variable.

    With ``--sandbox`` (see :func:`add_sandbox_option`) the settings point at the simulator's
    database, whatever the command.
    """
    if in_sandbox():
        overrides.setdefault("sandbox", True)
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        fail(f"Configuration error: {exc}", 2)
    setup_logging(settings.log_level)
    return settings


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="votebot")
def cli() -> None:
    """Teman Pemilih: the voter's friend chatbot.

    Runs with no configuration: SQLite in db/, the bundled content.
    """


def _register() -> None:
    from bot.cli import (
        broadcast,
        chat,
        claims,
        content,
        db,
        experiment,
        i18n,
        poll,
        questions,
        referral,
        regions,
        report,
        reports,
        role,
        serve,
        tps,
        user,
    )

    modules = (
        chat,
        serve,
        content,
        db,
        i18n,
        regions,
        tps,
        referral,
        role,
        broadcast,
        claims,
        poll,
        experiment,
        report,
        reports,
        questions,
        user,
    )
    for module in modules:
        cli.add_command(module.command)
    # Every command, now and later, works on the sandbox with --sandbox (before or after its name).
    add_sandbox_option(cli)


_register()


def main() -> None:
    cli(prog_name="votebot")
