"""``votebot report``: engagement figures as tables, CSV, JSON or charts; the log as CSV."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core.i18n import available_locales
from bot.reports.data import (
    EVENT_COLUMNS,
    SECTIONS,
    DateError,
    Period,
    build_report,
    export_events,
    report_meta,
)
from bot.runtime import open_runtime


async def compute(settings: Settings, period: Period) -> dict[str, Any]:
    runtime = await open_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            return await build_report(session, period, sandbox=settings.sandbox)
    finally:
        await runtime.close()


async def write_events(settings: Settings, period: Period, out: Any) -> int:
    runtime = await open_runtime(settings)
    n = 0
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        async with runtime.db.transaction() as session:
            async for row in export_events(
                session, period, runtime.require_secret(), sandbox=settings.sandbox
            ):
                writer.writerow(row)
                n += 1
    finally:
        await runtime.close()
    return n


@click.command("report")
@click.option(
    "--since", metavar="DATE", help="First Jakarta day to include (YYYY-MM-DD); default: all."
)
@click.option(
    "--until", metavar="DATE", help="Last Jakarta day to include (YYYY-MM-DD); default: today."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    help="table (default), json (one object) or csv (one file per section into --out DIR).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write to this FILE (table, json, --events) or DIR (csv) instead of standard output.",
)
@click.option(
    "--charts",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Write PNG charts: daily active users, quiz funnel, hardest questions, pledges.",
)
@click.option(
    "--lang",
    metavar="LOCALE",
    help="Language of the chart labels (id or en); default: VOTEBOT_DEFAULT_LOCALE.",
)
@click.option(
    "--events",
    is_flag=True,
    help="Export the engagement log itself as CSV, user ids pseudonymised (HMAC-SHA256).",
)
def command(
    since: str | None,
    until: str | None,
    fmt: str | None,
    out: Path | None,
    charts: Path | None,
    lang: str | None,
    events: bool,
) -> None:
    """Engagement report: users, quizzes, pledges, TPS, reports, broadcasts, referrals.

    Days are Asia/Jakarta (WIB) days; --since and --until are both included. No names,
    usernames, phone numbers or platform ids appear in any output, and regional cells under
    10 users show as <10 (null in JSON, with "suppressed": true).
    """
    try:
        period = Period.parse(since, until)
    except DateError as exc:
        fail(f"Error: {exc}", 2)
    settings = get_settings()
    lang = lang or settings.default_locale
    if lang not in available_locales(settings.locales_dir):
        known = ", ".join(available_locales(settings.locales_dir))
        fail(f"Error: --lang {lang!r} is not a language with a catalog ({known}).", 2)

    if events:
        if fmt not in (None, "csv") or charts is not None:
            fail("Error: --events writes CSV only; leave out --format/--charts.", 2)
        if out is None:
            n = run(write_events(settings, period, sys.stdout))
        else:
            with out.open("w", encoding="utf-8", newline="") as fh:
                n = run(write_events(settings, period, fh))
            click.echo(f"Wrote {n} events to {out}.", err=True)
        return

    if fmt == "csv" and out is None:
        fail("Error: --format csv writes one file per section: give --out DIR.", 2)
    report = run(compute(settings, period))

    if charts is not None:
        from bot.core.i18n import Translator
        from bot.reports.charts import write_charts

        paths = write_charts(report, charts, Translator(lang, settings.locales_dir))
        click.echo(f"Wrote {len(paths)} charts to {charts}: " + ", ".join(p.name for p in paths))
        if fmt is None and out is None:
            return
    fmt = fmt or "table"

    if fmt == "csv":
        from bot.reports.render import section_csv

        assert out is not None
        if out.exists() and not out.is_dir():
            fail(f"Error: --out {out} is a file; --format csv needs a directory.", 2)
        out.mkdir(parents=True, exist_ok=True)
        for name in SECTIONS:
            (out / f"{name}.csv").write_text(section_csv(report[name]), encoding="utf-8")
        click.echo(
            f"Wrote {len(SECTIONS)} files to {out}: " + ", ".join(f"{s}.csv" for s in SECTIONS)
        )
        return
    if fmt == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    else:
        from bot.reports.render import text_report

        text = text_report(report, report_meta(period))
    if out is None:
        click.echo(text, nl=False)
    else:
        if out.is_dir():
            fail(f"Error: --out {out} is a directory; give a file name.", 2)
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the report to {out}.", err=True)
