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


def get_settings(**overrides: Any) -> Settings:
    """Settings, or exit with one clear line naming the bad variable."""
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
        i18n,
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
        report,
        reports,
        questions,
        user,
    )
    for module in modules:
        cli.add_command(module.command)


_register()


def main() -> None:
    cli(prog_name="votebot")
