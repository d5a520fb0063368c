"""``votebot serve``: run the configured channels."""

from __future__ import annotations

import sys

import click

from bot.cli import fail, get_settings, run
from bot.config import ConfigError
from bot.server import configured_channels, serve


@click.command("serve")
def command() -> None:
    """Run every configured channel (Telegram, WhatsApp), the web app and background jobs.

    With no channel configured it runs the web app (dashboard, /metrics, /healthz) and the
    background jobs only. Applies database migrations on start. Stops cleanly on SIGTERM or Ctrl-C.
    """
    settings = get_settings()
    try:
        configured_channels(settings)  # a half-configured channel is an error before anything runs
    except ConfigError as exc:
        fail(f"Configuration error: {exc}", 2)
    from bot.tps.bootstrap import prepare

    run(prepare(settings, echo=lambda line: click.echo(line, err=True)))
    sys.exit(run(serve(settings)))
