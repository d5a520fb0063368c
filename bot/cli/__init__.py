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


#: Subcommand → (module, one-line help). Modules are imported only when their command runs, so
#: ``votebot --help`` and ``votebot serve`` do not load every other subcommand's dependencies.
#: tests/test_cli.py checks that each line matches the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "broadcast": ("broadcast", "Broadcasts to opted-in users: create, approve, run and watch..."),
    "chat": ("chat", "Chat with the bot in the terminal (no token, no network)."),
    "claims": ("claims", "Cek Fakta: unknown claims people forwarded, verdicts, and..."),
    "content": ("content", "Work with the Markdown content (info pages, quizzes, pledge,..."),
    "db": ("db", "Manage the database schema (Alembic migrations in db/)."),
    "experiment": (
        "experiment",
        "Broadcast experiments: which variant worked, against a holdout,...",
    ),
    "i18n": ("i18n", "Maintain the translation catalogs in locales/."),
    "poll": ("poll", "Suara Muda polls: create one (from content/polls/ID.md or options),..."),
    "questions": ("questions", "What the bot could not answer, and answers marked 👎,..."),
    "referral": ("referral", "Referral codes: who brings new users (volunteers, schools,..."),
    "regions": ("regions", "Manage the regions (province → kabupaten/kota → kecamatan →..."),
    "report": ("report", "Engagement report: users, quizzes, pledges, TPS, reports,..."),
    "reports": ("reports", "Read the /lapor reports users agreed to share (each access is..."),
    "role": ("role", "Who may send broadcasts: admins and volunteers (CHANNEL:ID,..."),
    "serve": ("serve", "Run every configured channel (Telegram, WhatsApp), the web..."),
    "tps": ("tps", "Manage polling-station (TPS) data."),
    "user": ("user", "Manage one user's data."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module = importlib.import_module(f"bot.cli.{COMMANDS[cmd_name][0]}")
            # Every command works on the sandbox with --sandbox (before or after its name).
            add_sandbox_option(module.command)
            self.add_command(module.command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="votebot")
def cli() -> None:
    """Teman Pemilih: the voter's friend chatbot.

    Runs with no configuration: SQLite in db/, the bundled content.
    """


def main() -> None:
    cli(prog_name="votebot")


# ``votebot --sandbox COMMAND`` works too: the flag on the group itself (commands get it on load).
add_sandbox_option(cli)
