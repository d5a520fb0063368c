"""``votebot chat``: the terminal simulator."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from bot.channels.simulator import GOODBYE, Simulator
from bot.cli import fail, get_settings, run
from bot.core.content import ContentErrors

if TYPE_CHECKING:
    from bot.channels.sandbox import SandboxChannel
    from bot.channels.simulator import Simulator
    from bot.runtime import Runtime


async def deliver_outbox(runtime: Runtime, sim: Simulator) -> int:
    """``!outbox``: send what is due for simulator users (e.g. a poll's result) right now."""
    from bot.broadcast.dispatcher import Dispatcher
    from bot.channels.simulator import SimulatorChannel

    channel = SimulatorChannel(sim)
    dispatcher = Dispatcher(
        runtime, {"sim": channel}, rates={"sim": (None, None)}, poll_interval=0.05
    )
    await dispatcher.run(until_done=True)
    return channel.sent


@click.command("chat")
@click.option("--user", "user", default="local", show_default=True, help="Simulated user id.")
@click.option(
    "--locale",
    default=None,
    help="The simulated client's language (e.g. id, en), used until the user picks one.",
)
def command(user: str, locale: str | None) -> None:
    """Chat with the bot in the terminal (no token, no network).

    Reads one message per line from stdin and prints the replies. Buttons print as
    "[1] Label"; type the number or the label to press one. Lines starting with "!" are
    controls: !location LAT LON, !user ID, !media KIND, !help, !quit.

    The simulator is a sandbox: it has its own database (VOTEBOT_SANDBOX_DATABASE_URL,
    default db/sandbox.sqlite3, never the one `serve` uses) with sample TPS, and broadcasts
    to simulator users are printed as they arrive. Other commands reach it with --sandbox.

    Example: printf '/start\\n1\\n' | votebot chat
    """
    settings = get_settings(sandbox=True)
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)  # keep the chat transcript clean

    async def main() -> None:
        from bot.channels.sandbox import SandboxChannel
        from bot.runtime import open_runtime

        try:
            runtime = await open_runtime(settings)
        except ContentErrors as exc:
            fail("The content has errors (run `votebot content check`):\n" + str(exc))
        # One local user typing or piping a script: flood control would only get in the way.
        runtime.core.flood = None
        try:
            from bot.tps.bootstrap import ensure_reference_data

            await ensure_reference_data(
                runtime.db, settings, echo=lambda line: click.echo(line, err=True)
            )
            sim = Simulator(
                runtime.core,
                user=user,
                locale=locale,
                color=sys.stdout.isatty(),
                echo=not sys.stdin.isatty(),
            )
            sim.outbox = lambda: deliver_outbox(runtime, sim)
            channel = SandboxChannel(runtime, simulator=sim)
            await channel.start()
            sim.after_line = lambda: deliver_queued(runtime, channel, sim)
            await sim.run(sys.stdin)
        finally:
            await runtime.close()

    try:
        run(main())
    except KeyboardInterrupt:
        click.echo("\n" + GOODBYE)


async def deliver_queued(runtime: Runtime, channel: SandboxChannel, sim: Simulator) -> None:
    """Send what is due to simulator users now (after each line), as `serve` would."""
    from bot.broadcast.dispatcher import Dispatcher

    dispatcher = Dispatcher(runtime, {channel.name: channel}, poll_interval=0.02)
    await dispatcher.run(until_done=True)
    held = dispatcher.counters.held
    if held:
        sim.print_raw(
            f"(quiet hours: {held} message(s) held; they arrive when the hours end, "
            "see VOTEBOT_QUIET_HOURS)"
        )
