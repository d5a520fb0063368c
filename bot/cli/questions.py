"""``votebot questions``: what the bot could not answer, grouped, and which new FAQ answers it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import click

from bot.cli import fail, get_settings, run
from bot.config import Settings
from bot.core.questions import Answerable, Group, answerable, question_groups
from bot.runtime import open_runtime

FORMATS = click.Choice(["table", "csv", "json"])
CSV_COLUMNS = [
    "count",
    "unanswered",
    "thumbs_down",
    "waiting_to_be_told",
    "group",
    "faq",
    "faq_title",
    "faq_helpful",
    "faq_not_helpful",
    "answered_by",
    "first",
    "last",
    "locales",
    "kabupaten",
    "examples",
]


def parse_day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"Error: --since must be a date like 2026-11-30, not {value!r}", 2)


async def load_groups(settings: Settings, since: dt.date | None) -> list[Group]:
    runtime = await open_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            return await question_groups(
                session, runtime.content, since=since, locale=settings.default_locale
            )
    finally:
        await runtime.close()


def _counts(counter: dict[str, int]) -> str:
    return "; ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1]))


def _label(group: Group) -> str:
    if group.faq is not None:
        return f"{group.faq} ({group.faq_title})" if group.faq_title else group.faq
    return "“" + group.key.removeprefix("text:") + "”"


def render_table(groups: list[Group], since: dt.date | None) -> str:
    total = sum(g.count for g in groups)
    head = (
        f"Unanswered and 👎 questions {'since ' + since.isoformat() if since else 'kept'} "
        f"(the last 90 days at most): {total} in {len(groups)} groups, most asked first."
    )
    if not groups:
        return head + "\nNothing queued."
    lines = [head, ""]
    for n, g in enumerate(groups, start=1):
        lines.append(f"{n}. {_label(g)}")
        figures = f"   asked {g.count}: {g.unanswered} unanswered, {g.thumbs_down} 👎"
        if g.watchers:
            figures += f"; {g.watchers} waiting to be told"
        if g.faq is not None:
            figures += f"; this FAQ got 👍 {g.helpful} / 👎 {g.not_helpful}"
        lines.append(figures)
        lines.append(f"   {g.first} to {g.last}; {_counts(g.locales)}")
        if g.kabupaten:
            lines.append(f"   where: {_counts(g.kabupaten)}")
        if g.answered_by:
            lines.append(f"   now answered by the FAQ entry {g.answered_by}")
        lines.extend(f"   - {example}" for example in g.examples)
    return "\n".join(lines)


def render_csv(groups: list[Group]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for g in groups:
        row: dict[str, Any] = g.as_dict()
        row["locales"] = _counts(g.locales)
        row["kabupaten"] = _counts(g.kabupaten)
        row["examples"] = " | ".join(g.examples)
        writer.writerow({k: row[k] for k in CSV_COLUMNS})
    return out.getvalue().rstrip("\n")


@click.group("questions", invoke_without_command=True)
@click.option("--since", metavar="DATE", help="First day to include (YYYY-MM-DD); default: all.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
def command(ctx: click.Context, since: str | None, fmt: str) -> None:
    """What the bot could not answer, and answers marked 👎, grouped, most asked first.

    Questions with the same normalised text, or closest to the same FAQ entry, form one group,
    shown with that entry's 👍/👎 counts. Questions are kept scrubbed (no NIK, phone number,
    e-mail or link) and without any user id, for 90 days.
    """
    if ctx.invoked_subcommand is not None:
        return
    day = parse_day(since)
    groups = run(load_groups(get_settings(), day))
    if fmt == "json":
        payload = {
            "since": day.isoformat() if day else None,
            "groups": [g.as_dict() for g in groups],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(render_csv(groups))
    else:
        click.echo(render_table(groups, day))


async def check_queue(settings: Settings, notify: bool) -> tuple[list[Answerable], int]:
    from bot.broadcast.answers import notify_round

    runtime = await open_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            found = await answerable(session, runtime.content, locale=settings.default_locale)
        told = await notify_round(runtime) if notify else 0
        return found, told
    finally:
        await runtime.close()


@command.command("check")
@click.option(
    "--notify",
    is_flag=True,
    help="Also queue the answer for everyone who asked to be told (once each, via the outbox).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def check_cmd(notify: bool, fmt: str) -> None:
    """Which queued questions an FAQ entry (e.g. one just added) now answers."""
    found, told = run(check_queue(get_settings(), notify))
    if fmt == "json":
        payload = {"answerable": [a.as_dict() for a in found], "notified": told if notify else None}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No queued question has an answer yet.")
    for item in found:
        title = f" ({item.title})" if item.title else ""
        waiting = f", {item.watchers} waiting to be told" if item.watchers else ""
        click.echo(f"{item.faq}{title} answers {item.count} queued question(s){waiting}:")
        for text in item.questions[:5]:
            click.echo(f"  - {text}")
    if notify:
        click.echo(f"Queued the answer for {told} people who asked to be told.")
