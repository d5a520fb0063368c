"""``votebot reports``: the ``/lapor`` reports users agreed to share with the team.

Every command writes its access to the audit log (actor ``cli``). Anonymous records (made
without consent) are only counted. Not to be confused with ``votebot report`` (usage figures).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import fail, get_settings, run
from bot.core.roles import CLI_ACTOR
from bot.reports.shared import (
    FIELDS,
    RETENTION_DAYS,
    SharedReport,
    counts,
    export_shared,
    get_photo,
    get_shared,
    list_shared,
)
from bot.runtime import open_runtime

T = TypeVar("T")
COLUMNS = ["id", "reported_on", "category", "region", *FIELDS, "photo"]


def _with_session(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        runtime = await open_runtime(get_settings())
        try:
            async with runtime.db.transaction() as session:
                return await fn(session)
        finally:
            await runtime.close()

    return run(main())


@click.group("reports")
def command() -> None:
    """Read the /lapor reports users agreed to share (each access is audited).

    Reports are not linked to anyone: the reporter cannot be contacted and /hapus cannot find
    them. Their text and photo are kept 180 days, then only the anonymous record stays.
    """


@command.command("list")
@click.option("--since", help="Only reports made on or after this day (YYYY-MM-DD, WIB).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
def list_command(since: str | None, limit: int) -> None:
    """The newest shared reports, one line each, and how many anonymous records exist."""
    try:
        day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"Error: --since must be a date like 2026-11-30, not {since!r}", 2)

    async def load(session: AsyncSession) -> tuple[list[SharedReport], int, int]:
        rows = await list_shared(session, CLI_ACTOR, limit=limit, since=day)
        shared, anonymous = await counts(session)
        return rows, shared, anonymous

    rows, shared, anonymous = _with_session(load)
    for r in rows:
        photo = " [photo]" if r.has_photo else ""
        what = " ".join(r.details.get("what", "").split())[:60]
        click.echo(f"{r.id}  {r.reported_on}  {r.category:<8} {r.region or '-'}: {what}{photo}")
    click.echo(
        f"{shared} shared reports (text kept {RETENTION_DAYS} days); "
        f"{anonymous} anonymous records (counted only)."
    )


@command.command("show")
@click.argument("report_id", type=int)
@click.option(
    "--photo",
    "photo_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report's photo (JPEG) to this file.",
)
def show_command(report_id: int, photo_file: Path | None) -> None:
    """One shared report in full."""

    async def load(session: AsyncSession) -> tuple[SharedReport | None, bytes | None]:
        report = await get_shared(session, CLI_ACTOR, report_id)
        photo = None
        if report is not None and photo_file is not None and report.has_photo:
            photo = await get_photo(session, CLI_ACTOR, report_id)
        return report, photo

    report, photo = _with_session(load)
    if report is None:
        fail(f"No shared report {report_id} (anonymous records cannot be read).")
    click.echo(f"Report {report.id}, {report.reported_on}, {report.category}")
    click.echo(f"Region: {report.region or '-'}")
    for field in FIELDS:
        click.echo(f"{field}: {report.details.get(field) or '-'}")
    if photo_file is not None:
        if photo is None:
            fail("This report has no photo.")
        photo_file.write_bytes(photo)
        click.echo(f"Photo written to {photo_file}")
    elif report.has_photo:
        click.echo("photo: yes (--photo FILE to save it)")


@command.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
def export_command(fmt: str, output: Path | None) -> None:
    """Every shared report (without photos), oldest first, as CSV or JSON."""
    rows = [r.as_dict() for r in _with_session(lambda s: export_shared(s, CLI_ACTOR))]
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} reports written to {output}", err=True)
