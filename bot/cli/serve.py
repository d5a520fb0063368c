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
    With --sandbox it serves the simulator's database (sample TPS included) and delivers
    broadcasts to simulator users by printing them.
    """
    settings = get_settings()
    try:
        # A half-configured channel is an error before anything runs.
        channels = configured_channels(settings)
    except ConfigError as exc:
        fail(f"Configuration error: {exc}", 2)
    if any(c.name == "whatsapp" for c in channels) and not settings.whatsapp_number:
        click.echo(
            "Note: WHATSAPP_NUMBER is not set: share messages link to the number the first "
            "webhook names; `votebot referral create` cannot print a WhatsApp link.",
            err=True,
        )
    from bot.tps.bootstrap import prepare

    run(prepare(settings, echo=lambda line: click.echo(line, err=True), sample=settings.sandbox))
    sys.exit(run(serve(settings)))
