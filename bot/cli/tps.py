"""``votebot tps``: import polling stations from a CSV file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bot.cli import fail, get_settings, run
from bot.db.engine import Database
from bot.tps.importer import TpsFileError, TpsImportReport

#: Bad rows printed in full; the rest are counted.
SHOW_ERRORS = 200


@click.group("tps")
def command() -> None:
    """Manage polling-station (TPS) data."""


@command.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def import_cmd(file: Path) -> None:
    """Import TPS from FILE.csv (upsert: importing the same file twice changes nothing).

    Columns: province, kabupaten, kecamatan, kelurahan, tps, address and optionally lat, lon,
    accessibility, voters (see README). Bad rows are listed as FILE:LINE: reason and skipped.
    Exits 2 if the file cannot be read, 1 if no row could be imported, else 0.
    """
    from bot.tps.bootstrap import prepare
    from bot.tps.importer import import_tps_file, row_count

    settings = get_settings()
    try:
        total = row_count(file)
    except TpsFileError as exc:
        fail(str(exc), 2)

    async def main() -> TpsImportReport:
        await prepare(settings, echo=lambda line: click.echo(line, err=True))
        db = Database(settings.database_url)
        try:
            with click.progressbar(length=total, label="Importing TPS") as bar:
                async with db.sessions() as session:
                    return await import_tps_file(
                        session, file, progress=bar.update, commit_batches=True
                    )
        finally:
            await db.close()

    started = time.perf_counter()
    try:
        report = run(main())
    except TpsFileError as exc:
        fail(str(exc), 2)
    for err in report.errors[:SHOW_ERRORS]:
        click.echo(f"{file}:{err.line}: {err.reason}", err=True)
    if len(report.errors) > SHOW_ERRORS:
        click.echo(f"… and {len(report.errors) - SHOW_ERRORS:,} more bad rows", err=True)
    r = report.result
    click.echo(
        f"{file}: {report.rows:,} rows: {r.added:,} added, {r.updated:,} updated, "
        f"{r.unchanged:,} unchanged, {len(report.errors):,} bad "
        f"({time.perf_counter() - started:.1f} s)."
    )
    if report.imported == 0:
        fail(f"{file}: nothing could be imported.", 1)
