"""``votebot serve``: run the configured channels."""

from __future__ import annotations

import sys

import click

from bot.cli import get_settings, run
from bot.server import NO_CHANNEL, configured_channels, serve


@click.command("serve")
def command() -> None:
    """Run every configured channel (Telegram, WhatsApp), the web app and background jobs.

    Applies database migrations on start. Stops cleanly on SIGTERM or Ctrl-C.
    """
    settings = get_settings()
    if not configured_channels(settings):
        click.echo(NO_CHANNEL, err=True)
        sys.exit(1)
    from bot.tps.bootstrap import prepare

    run(prepare(settings, echo=lambda line: click.echo(line, err=True)))
    sys.exit(run(serve(settings)))
