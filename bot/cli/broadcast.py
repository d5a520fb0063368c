"""``votebot broadcast``: compose, approve, send and watch broadcasts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from bot.cli import fail, get_settings, run
from bot.cli.broadcast_run import run_cmd
from bot.cli.preview import audience_preview
from bot.cli.role import parse_ref
from bot.config import Settings
from bot.core import broadcast_stats as bstats
from bot.core import broadcasts as bc
from bot.core.content import ContentErrors
from bot.core.facts import load_facts
from bot.core.formatting import to_terminal
from bot.core.i18n import available_locales
from bot.core.segments import SegmentError, parse_segment
from bot.core.timezones import WIB
from bot.core.understanding.places import load_places
from bot.db import repo
from bot.db.models import User
from bot.db.models_broadcast import Broadcast
from bot.runtime import Runtime, open_runtime


@click.group("broadcast")
def command() -> None:
    """Broadcasts to opted-in users: create, approve, run and watch them.

    Segments (--segment) combine terms with commas, alternatives with |, e.g.
    "locale=id,province=Jawa Tengah|DI Yogyakarta,pledged,active_days=30". Terms: all,
    locale=, province=, kabupaten=, channel=, referral=CODE, active_days=N, pledged,
    quiz_finished, reminder.
    """


def _parse_at(value: str | None, option: str = "--at") -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use an ISO date-time such as 2024-02-13T09:00 (WIB) or 2024-02-13T02:00+00:00",
            param_hint=option,
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=WIB)
    when = when.astimezone(UTC)
    if when < datetime.now(UTC) - timedelta(minutes=1):
        raise click.BadParameter("that time is in the past", param_hint=option)
    return when


async def _actor(rt: Runtime, by: str | None) -> User | None:
    if by is None:
        return None
    ref = parse_ref(by)
    async with rt.db.sessions() as session:
        user = await repo.get_user(session, ref)
    if user is None:
        fail(f"--by: no user {ref} (they must have written to the bot or been given a role).")
    return user


def _load_file(settings: Settings, path: Path) -> bc.BroadcastFile:
    locales = available_locales(settings.locales_dir)
    # The configured content's facts ledger, wherever the file itself lives.
    facts, _ = load_facts(settings.content_dir, locales, settings.default_locale)
    try:
        return bc.parse_broadcast_file(path, locales, settings.default_locale, facts)
    except ContentErrors as exc:
        for error in exc.errors:
            click.echo(error.format(Path.cwd()), err=True)
        fail(f"{len(exc.errors)} problem(s) in {path}")


def experiment_options(fn: Callable[..., None]) -> Callable[..., None]:
    """The options of ``broadcast create`` that make it an experiment."""
    options = [
        click.option("--variants", help="Comma-separated broadcast files, one per variant."),
        click.option("--holdout", default="10%", show_default=True, help="Share held back."),
        click.option(
            "--outcomes",
            default="content",
            show_default=True,
            help="Comma-separated: content, quiz_started, quiz_finished, pledge, link, referral.",
        ),
        click.option(
            "--window-days",
            type=click.IntRange(1, 90),
            default=7,
            show_default=True,
            help="Outcomes count within this many days of each user's send time.",
        ),
        click.option(
            "--min-effect",
            type=click.FloatRange(0.1, 100),
            default=5.0,
            show_default=True,
            help="Smallest change worth finding, in percentage points (sample size).",
        ),
        click.option("--seed", type=int, help="Seed of the random assignment (default: random)."),
        click.option("--link", help="Where the tracked link button leads (link outcome)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@command.command("create")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A broadcast file, e.g. content/broadcasts/cek-dpt.md.",
)
@click.option(
    "--segment", required=True, help='Who receives it, e.g. "all" or "locale=id,pledged".'
)
@click.option(
    "--at", "at", help="Send no earlier than this ISO date-time (WIB unless it has an offset)."
)
@click.option(
    "--expires",
    "expires",
    help="Send nothing after this ISO date-time (WIB unless it has an offset); default: "
    "VOTEBOT_BROADCAST_TTL_HOURS after it starts.",
)
@click.option("--by", "by", help="CHANNEL:ID of the volunteer or admin it is created for.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@experiment_options
def create(
    path: Path | None,
    segment: str,
    at: str | None,
    expires: str | None,
    by: str | None,
    yes: bool,
    **experiment: Any,
) -> None:
    """Create a broadcast from a Markdown file for a segment (shows audience and preview first).

    With --variants A.md,B.md (instead of --file) it is an experiment: the segment is split at
    random into one arm per variant and a --holdout that receives nothing (see `votebot
    experiment`)."""
    settings = get_settings()
    if (path is None) == (experiment["variants"] is None):
        fail("Give either --file or --variants.", 2)
    try:
        seg = parse_segment(segment, load_places(settings.content_dir))
    except SegmentError as exc:
        fail(f"--segment: {exc}", 2)
    scheduled = _parse_at(at)
    expiry = _parse_at(expires, "--expires")
    if expiry is None:
        expiry = (scheduled or datetime.now(UTC)) + timedelta(hours=settings.broadcast_ttl_hours)
    elif expiry <= (scheduled or datetime.now(UTC)):
        fail("--expires: that is before the broadcast would start", 2)
    if path is None:
        from bot.cli.experiment import create_with_variants

        paths = [Path(p.strip()) for p in experiment.pop("variants").split(",") if p.strip()]
        for p in paths:
            if not p.is_file():
                fail(f"--variants: no file {p}", 2)
        create_with_variants(
            settings, paths=paths, seg=seg, scheduled=scheduled, expiry=expiry, by=by, yes=yes,
            **experiment,
        )  # fmt: skip
        return
    file = _load_file(settings, path)

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            creator = await _actor(rt, by)
            if creator is not None and creator.role is None:
                fail(f"--by: {by} is neither a volunteer nor an admin.")
            try:
                total, audience_lines = await audience_preview(rt, seg)
            except SegmentError as exc:
                fail(f"--segment: {exc}", 2)
            texts = file.texts(rt.core.translator)
            click.echo(f"Broadcast “{file.meta.title}” ({file.meta.id})")
            click.echo(f"Segment:  {seg.describe()}")
            click.echo("\n".join(audience_lines))
            if scheduled:
                click.echo(f"Not before: {scheduled.astimezone(WIB):%Y-%m-%d %H:%M} WIB")
            click.echo(f"Expires:  {expiry.astimezone(WIB):%Y-%m-%d %H:%M} WIB")
            draft = Broadcast(texts=texts)
            for locale in texts:
                shown = bc.render_for(draft, rt.core.translator(locale), settings.default_locale)
                click.echo(f"\n--- preview ({locale}) ---\n{to_terminal(shown[0].text)}")
            click.echo("")
            if total == 0:
                fail("Nobody is in this segment; nothing created.")
            if not yes and not click.confirm(f"Create this broadcast to {total} user(s)?"):
                fail("Cancelled; nothing created.")
            async with rt.db.transaction() as session:
                if creator is not None:
                    creator = await session.get(User, creator.id)
                b = await bc.create_broadcast(
                    session,
                    settings,
                    title=file.meta.title,
                    texts=texts,
                    segment=seg,
                    creator=creator,
                    content_id=file.meta.id,
                    scheduled_at=scheduled,
                    expires_at=expiry,
                )
                bid, status, audience = b.id, b.status, b.audience
        finally:
            await rt.close()
        click.echo(f"Broadcast #{bid} created for {audience} user(s): {status}.")
        if status == "awaiting_approval":
            click.echo(f"An admin approves it with: votebot broadcast approve {bid}")
        else:
            click.echo(f"`votebot serve` sends it, or run it now with: votebot broadcast run {bid}")

    run(main())


@command.command("list")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
def list_cmd(limit: int) -> None:
    """List broadcasts, newest first, with their progress."""
    settings = get_settings()

    async def main() -> list[str]:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                lines = []
                for b in await bc.list_broadcasts(session, limit):
                    s = await bstats.broadcast_stats(session, b.id, receipts=False)
                    lines.append(
                        f"#{b.id:<5} {b.status:<17} {s.sent:>7}/{b.audience:<7} "
                        f"{b.created_at:%Y-%m-%d %H:%M}  {b.title[:40]}  [{b.segment[:40]}]"
                    )
                return lines
        finally:
            await rt.close()

    lines = run(main())
    if not lines:
        click.echo(
            "No broadcasts yet. Create one with: votebot broadcast create --file … --segment …"
        )
        return
    click.echo(f"{'id':<6} {'status':<17} {'sent/audience':>15} created (UTC)     title  [segment]")
    for line in lines:
        click.echo(line)


@command.command("status")
@click.argument("broadcast_id", type=int)
def status(broadcast_id: int) -> None:
    """Show one broadcast's figures: sent, failed by reason, blocked, pending, held."""
    settings = get_settings()

    async def main() -> list[str]:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                try:
                    b = await bc.get_broadcast(session, broadcast_id)
                except bc.BroadcastError as exc:
                    fail(str(exc))
                s = await bstats.broadcast_stats(session, broadcast_id)
        finally:
            await rt.close()
        out = [
            f"Broadcast #{b.id} “{b.title}”: {b.status}",
            f"segment:   {b.segment}",
            f"created:   {b.created_at:%Y-%m-%d %H:%M} UTC by {b.created_by}",
        ]
        if b.approved_by:
            out.append(f"approved:  by {b.approved_by}")
        if b.scheduled_at:
            out.append(f"not before: {b.scheduled_at.astimezone(WIB):%Y-%m-%d %H:%M} WIB")
        if b.expires_at and b.expires_local:
            out.append(f"expires:   {b.expires_at:%Y-%m-%d %H:%M} in each recipient's time zone")
        elif b.expires_at:
            out.append(f"expires:   {b.expires_at.astimezone(WIB):%Y-%m-%d %H:%M} WIB")
        out += [
            f"audience:  {s.total}",
            f"sent:      {s.sent}",
            f"failed:    {s.failed_total}"
            + (
                " (" + ", ".join(f"{r}: {n}" for r, n in sorted(s.failed.items())) + ")"
                if s.failed
                else ""
            ),
            f"blocked:   {s.blocked}",
            f"pending:   {s.pending}"
            + (
                " (held: "
                + ", ".join(f"{r.replace('_', ' ')}: {n}" for r, n in s.held.items())
                + ")"
                if s.held
                else ""
            ),
            f"sending:   {s.in_flight}",
            f"expired:   {s.skipped.get(bc.EXPIRED, 0)} (not sent: too late)",
        ]
        if s.skipped:
            out.append(
                "skipped:   "
                + ", ".join(f"{r.replace('_', ' ')}: {n}" for r, n in sorted(s.skipped.items()))
            )
        for key, value in sorted(s.receipts.items()):
            out.append(f"{key + ':':<10} {value}")
        return out

    for line in run(main()):
        click.echo(line)


def _action(name: str, doc: str) -> None:
    @command.command(name, help=doc)
    @click.argument("broadcast_id", type=int)
    @click.option(
        "--by", "by", help="CHANNEL:ID of the admin or volunteer doing it (default: cli)."
    )
    def action(broadcast_id: int, by: str | None) -> None:
        settings = get_settings()

        async def main() -> str:
            rt = await open_runtime(settings)
            try:
                actor = await _actor(rt, by)
                async with rt.db.transaction() as session:
                    if actor is not None:
                        actor = await session.get(User, actor.id)
                        if actor is None or actor.role is None:
                            fail(f"--by: {by} is neither a volunteer nor an admin.")
                    try:
                        if name == "approve":
                            b = await bc.approve(session, broadcast_id, actor)
                            return f"Broadcast #{b.id} approved: {b.status}."
                        if name == "cancel":
                            skipped = await bc.cancel(session, broadcast_id, actor)
                            return f"Broadcast #{broadcast_id} cancelled; {skipped} not sent."
                        if name == "pause":
                            b = await bc.pause(session, broadcast_id, actor)
                            return f"Broadcast #{b.id} paused (resume it with `broadcast resume`)."
                        b = await bc.resume(session, broadcast_id, actor)
                        return f"Broadcast #{b.id} resumed: {b.status}."
                    except bc.BroadcastError as exc:
                        fail(str(exc))
            finally:
                await rt.close()

        click.echo(run(main()))


_action(
    "approve", "Approve a volunteer's broadcast (two-person rule, VOTEBOT_BROADCAST_APPROVAL=1)."
)
_action("cancel", "Cancel a broadcast: nothing more is sent.")
_action("pause", "Pause a broadcast (what is in flight still goes out).")
_action("resume", "Resume a paused broadcast.")


command.add_command(run_cmd)
