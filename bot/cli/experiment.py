"""``votebot experiment``: broadcast experiments (variants and a holdout) and their analysis.

Experiments are created with ``votebot broadcast create --variants A.md,B.md --holdout 10%``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core.segments import Segment
from bot.db.models import User
from bot.experiments import analysis as an
from bot.experiments import render, service, stats
from bot.experiments.outcomes import LINK, OutcomeError, parse_outcomes, user_outcomes
from bot.runtime import open_runtime


@click.group("experiment")
def command() -> None:
    """Broadcast experiments: which variant worked, against a holdout, and how sure we are.

    Create one with: votebot broadcast create --variants A.md,B.md --holdout 10% --segment all
    --outcomes quiz_finished,pledge. Outcomes: content, quiz_started, quiz_finished, pledge, link,
    referral.
    """


@command.command("list")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
def list_cmd(limit: int) -> None:
    """List experiments, newest first."""
    settings = get_settings()

    async def main() -> list[str]:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                lines = []
                now = datetime.now(UTC)
                for e in await service.list_experiments(session, limit):
                    arms = ",".join(str(a["arm"]) for a in e.arms)
                    state = "final" if now >= e.ends_at else "open"
                    lines.append(
                        f"#{e.id:<5} {state:<6} arms {arms:<8} holdout {e.holdout:>4.0%}  "
                        f"{e.starts_at:%Y-%m-%d %H:%M}  {e.title[:40]}  "
                        f"[{', '.join(map(str, e.outcomes))}]"
                    )
                return lines
        finally:
            await rt.close()

    lines = run(main())
    click.echo("\n".join(lines) if lines else "No experiments yet.")


@command.command("show")
@click.argument("experiment_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--users",
    is_flag=True,
    help="Export each assigned user's arm and outcomes instead (json/csv; ids pseudonymised).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE.")
def show(experiment_id: int, fmt: str, users: bool, out: Path | None) -> None:
    """Per arm: assigned, reached, outcome rates; differences with 95% intervals; the verdict."""
    settings = get_settings()
    if users and fmt == "table":
        fail("--users exports json or csv: add --format json or --format csv.", 2)

    async def main() -> str:
        rt = await open_runtime(settings)
        try:
            async with rt.db.sessions() as session:
                try:
                    e = await service.get_experiment(session, experiment_id)
                except service.ExperimentError as exc:
                    fail(str(exc))
                if users:
                    secret = rt.require_secret()
                    from bot.reports.data import pseudonym

                    rows = [
                        [pseudonym(secret, uid), arm, *(int(v) for v in found.values())]
                        for uid, arm, found in await user_outcomes(session, e.id, e.outcomes)
                    ]
                    header = [*render.USER_COLUMNS, *map(str, e.outcomes)]
                    if fmt == "csv":
                        return render.to_csv(header, rows)
                    return json.dumps([dict(zip(header, r, strict=True)) for r in rows]) + "\n"
                result = await an.analyse(session, e, settings=settings)
        finally:
            await rt.close()
        if fmt == "json":
            return json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
        if fmt == "csv":
            return render.to_csv(render.CSV_COLUMNS, render.csv_rows(result))
        return render.text_table(result)

    text = run(main())
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}.", err=True)


@command.command("size")
@click.option(
    "--base-rate",
    type=click.FloatRange(0, 100),
    required=True,
    help="The outcome's usual rate, in percent (e.g. 12 for 12%).",
)
@click.option(
    "--effect",
    type=click.FloatRange(0.1, 100),
    default=5.0,
    show_default=True,
    help="The smallest change worth finding, in percentage points.",
)
@click.option("--variants", type=click.IntRange(1, service.MAX_VARIANTS), default=2)
@click.option("--holdout", default="10%", show_default=True, help="Share held back.")
def size(base_rate: float, effect: float, variants: int, holdout: str) -> None:
    """How many recipients an experiment needs to find a change (80% power, 5% level)."""
    try:
        share = service.parse_holdout(holdout)
    except service.ExperimentError as exc:
        fail(f"--holdout: {exc}", 2)
    click.echo(sample_size_text(base_rate / 100, effect, variants, share))


def sample_size_text(base: float, effect: float, variants: int, holdout: float) -> str:
    """How many recipients are needed in all, per comparison, to find ``effect`` points."""
    per_variant = (1 - holdout) / variants
    lines = [
        f"To find a {effect:g}-point change from a {base:.0%} rate (80% power, 95% confidence):"
    ]
    totals = []
    if variants >= 2:
        n, _ = stats.sample_size(base, effect)
        totals.append(n / per_variant)
        lines.append(f"  between two variants: {n:,} users per variant")
    if holdout > 0:
        n, m = stats.sample_size(base, effect, holdout / per_variant)
        totals.append(max(n / per_variant, m / holdout))
        lines.append(f"  against the holdout: {n:,} per variant and {m:,} in the holdout")
    lines.append(f"  so about {int(max(totals)) + 1:,} recipients in the segment")
    return "\n".join(lines)


def create_with_variants(
    settings: Settings,
    *,
    paths: list[Path],
    seg: Segment,
    holdout: str,
    outcomes: str,
    window_days: int,
    min_effect: float,
    seed: int | None,
    link: str | None,
    scheduled: datetime | None,
    expiry: datetime | None,
    by: str | None,
    yes: bool,
) -> None:
    """``votebot broadcast create --variants …``: preview, sample size, assign, create."""
    from bot.cli.broadcast import _actor, _load_file
    from bot.core.segments import audience_size

    try:
        share = service.parse_holdout(holdout)
        names = parse_outcomes(outcomes)
    except (service.ExperimentError, OutcomeError) as exc:
        fail(f"Error: {exc}", 2)
    files = [_load_file(settings, p) for p in paths]

    async def main() -> None:
        rt = await open_runtime(settings)
        try:
            creator = await _actor(rt, by)
            if creator is not None and creator.role is None:
                fail(f"--by: {by} is neither a volunteer nor an admin.")
            async with rt.db.sessions() as session:
                sizes = await audience_size(session, seg, default_locale=settings.default_locale)
            total = sum(sizes.values())
            labels = service.arm_labels(len(files))
            variants = [
                service.Variant(f.meta.title, f.texts(rt.core.translator), f.meta.id) for f in files
            ]
            click.echo(f"Experiment on “{files[0].meta.title}”, segment {seg.describe()}")
            for label, f in zip(labels, files, strict=True):
                click.echo(f"  variant {label}: {f.meta.id}")
            click.echo(f"  holdout: {share:.0%} (receives nothing)")
            click.echo(f"Audience: {total} opted-in, reachable user(s)")
            click.echo(f"Outcomes within {window_days} day(s): {', '.join(names)}")
            if LINK in names and not settings.public_url:
                click.echo("  ! VOTEBOT_PUBLIC_URL is not set: the link outcome is unavailable")
            click.echo(sample_size_text(0.1, min_effect, len(files), share))
            if total == 0:
                fail("Nobody is in this segment; nothing created.")
            if not yes and not click.confirm(f"Create this experiment on {total} user(s)?"):
                fail("Cancelled; nothing created.")
            async with rt.db.transaction() as session:
                if creator is not None:
                    creator = await session.get(User, creator.id)
                try:
                    e = await service.create_experiment(
                        session,
                        settings,
                        variants=variants,
                        holdout=share,
                        segment=seg,
                        creator=creator,
                        outcomes=names,
                        window_days=window_days,
                        min_effect=min_effect,
                        seed=seed,
                        link_url=link,
                        scheduled_at=scheduled,
                        expires_at=expiry,
                    )
                except service.ExperimentError as exc:
                    fail(f"Error: {exc}", 2)
                eid, arms = e.id, list(e.arms)
        finally:
            await rt.close()
        click.echo(f"Experiment #{eid} created.")
        for a in arms:
            click.echo(f"  variant {a['arm']}: broadcast #{a['broadcast_id']} ({a['status']})")
        click.echo(f"Watch it with: votebot experiment show {eid}")

    run(main())
