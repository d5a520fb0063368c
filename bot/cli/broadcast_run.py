"""``votebot broadcast run``: send due broadcasts now, with a live progress bar."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import UTC, datetime

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core import broadcast_stats as bstats
from bot.core import broadcasts as bc
from bot.core.timezones import WIB
from bot.db.models_broadcast import QUEUED, SENDING, Broadcast
from bot.runtime import Runtime, open_runtime


@click.command("run")
@click.argument("broadcast_id", type=int, required=False)
def run_cmd(broadcast_id: int | None) -> None:
    """Send due broadcasts now (or only BROADCAST_ID) with a live progress bar; exits when done.

    Uses the configured channels only to send. Rows held for quiet hours stay queued for later
    (`votebot serve` sends them when the hours end). Ctrl-C stops cleanly; run it again to resume.
    """
    from bot.server import NO_CHANNEL, configured_channels

    settings = get_settings()
    classes = configured_channels(settings)
    if not classes:
        fail(NO_CHANNEL + " Broadcasts to simulator users run with --sandbox.")
    sys.exit(run(_run(settings, classes, broadcast_id)))


async def _run(settings: Settings, classes: list[type], broadcast_id: int | None) -> int:
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from bot.broadcast.dispatcher import Dispatcher

    rt = await open_runtime(settings)
    channels = [cls(rt) for cls in classes]
    try:
        async with rt.db.sessions() as session:
            if broadcast_id is not None:
                try:
                    b = await bc.get_broadcast(session, broadcast_id)
                except bc.BroadcastError as exc:
                    fail(str(exc))
                if b.status not in (QUEUED, SENDING):
                    fail(f"Broadcast #{b.id} is {b.status}; only a queued or sending one runs.")
                if b.scheduled_at and b.scheduled_at > datetime.now(UTC):
                    fail(
                        f"Broadcast #{b.id} is scheduled for "
                        f"{b.scheduled_at.astimezone(WIB):%Y-%m-%d %H:%M} WIB; "
                        "`votebot serve` sends it then."
                    )
        dispatcher = Dispatcher(rt, {c.name: c for c in channels}, broadcast_id=broadcast_id)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, dispatcher.stop)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn(
                "sent {task.fields[sent]} · failed {task.fields[failed]} · "
                "left {task.fields[left]} · {task.fields[rate]}/s"
            ),
            TimeRemainingColumn(),
        )
        label = f"broadcast #{broadcast_id}" if broadcast_id else "broadcasts"
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task(label, total=None, sent=0, failed=0, left="?", rate="0.0")
            runner = asyncio.create_task(dispatcher.run(until_done=True))
            started = loop.time()
            while True:
                done = runner.done()
                figures = await _figures(rt, broadcast_id)
                total, finished, sent, failed, left = figures
                elapsed = max(loop.time() - started, 1e-6)
                progress.update(
                    task,
                    total=total or None,
                    completed=finished,
                    sent=sent,
                    failed=failed,
                    left=left,
                    rate=f"{dispatcher.counters.sent / elapsed:.1f}",
                )
                if done:
                    break
                await asyncio.sleep(0.5)
            await runner
        c = dispatcher.counters
        click.echo(
            f"Done: {c.sent} sent, {c.failed} failed, {c.blocked} blocked, "
            f"{c.skipped} skipped (opted out or unreachable), {c.held} held for quiet hours."
        )
        if dispatcher.stopped:
            click.echo("Stopped early: run the same command again to resume where it stopped.")
        stranded = await _stranded(rt, broadcast_id, {c.name for c in channels})
        if stranded:
            click.echo(
                "Not sent: "
                + ", ".join(f"{n} for {name}" for name, n in sorted(stranded.items()))
                + " (no such channel configured here; simulator users need --sandbox)."
            )
            return 1
        return 0
    finally:
        for channel in channels:
            with contextlib.suppress(Exception):
                await channel.stop()
        await rt.close()


async def _stranded(rt: Runtime, broadcast_id: int | None, channels: set[str]) -> dict[str, int]:
    """Rows still to send on channels this process cannot send on, per channel."""
    from sqlalchemy import func, select

    from bot.db.models_broadcast import PENDING, OutboxRow

    stmt = (
        select(OutboxRow.channel, func.count())
        .join(Broadcast, Broadcast.id == OutboxRow.broadcast_id)
        .where(
            Broadcast.status == SENDING,
            OutboxRow.status == PENDING,
            OutboxRow.channel.not_in(channels),
        )
        .group_by(OutboxRow.channel)
    )
    if broadcast_id is not None:
        stmt = stmt.where(OutboxRow.broadcast_id == broadcast_id)
    async with rt.db.sessions() as session:
        return {str(c): int(n) for c, n in (await session.execute(stmt)).all()}


async def _figures(rt: Runtime, broadcast_id: int | None) -> tuple[int, int, int, int, int]:
    """total, done, sent, failed (incl. blocked), left over the broadcasts being run."""
    async with rt.db.sessions() as session:
        if broadcast_id is not None:
            ids = [broadcast_id]
        else:
            ids = [b.id for b in await bc.list_broadcasts(session, 1000) if b.status == SENDING]
        total = done = sent = failed = left = 0
        for bid in ids:
            s = await bstats.broadcast_stats(session, bid, receipts=False)
            total += s.total
            done += s.done
            sent += s.sent
            failed += s.failed_total + s.blocked
            left += s.remaining
    return total, done, sent, failed, left
