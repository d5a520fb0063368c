"""``votebot content check`` validates every content file; ``votebot content facts`` lists the
facts ledger with everything that uses each fact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from bot.cli import fail, get_settings
from bot.core.broadcasts import broadcast_files
from bot.core.content import ContentError, load_content
from bot.core.facts import FactLedger, Reference, load_facts, uses_by_fact
from bot.core.i18n import available_locales
from bot.core.polls.spec import poll_files


@click.group("content")
def command() -> None:
    """Work with the Markdown content (info pages, quizzes, pledge, facts)."""


def _root(directory: Path | None) -> Path:
    return (directory or get_settings().content_dir).resolve()


@command.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date review_by dates are compared with (default: today, UTC).",
)
def check(directory: Path | None, today: dt.datetime | None) -> None:
    """Validate all content in DIRECTORY (default: the configured content directory).

    Prints every problem as "path:line: message" and exits 1 if there is any. A fact whose
    review_by date has passed is a warning: it is printed, but the check still passes.
    """
    settings = get_settings()
    root = _root(directory)
    locales = available_locales(settings.locales_dir)
    store, errors = load_content(root, locales, settings.default_locale)
    broadcasts, broadcast_errors = broadcast_files(root, locales, settings.default_locale)
    polls, poll_errors = poll_files(root, locales, settings.default_locale)
    errors = sorted(set(errors + broadcast_errors + poll_errors))
    for error in errors:
        click.echo(error.format(Path.cwd()), err=True)
    day = today.date() if today else dt.datetime.now(dt.UTC).date()
    warnings: list[ContentError] = store.facts.overdue(day) if store.facts else []
    for warning in warnings:
        click.echo(warning.format(Path.cwd()), err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) in {root}")
    counts = ", ".join(
        f"{kind}: {sum(len(v) for v in by_locale.values())}"
        for kind, by_locale in sorted(store.items.items())
    )
    counts += f", broadcasts: {len(broadcasts)}, polls: {len(polls)}"
    counts += f", facts: {len(store.facts.facts) if store.facts else 0}"
    suffix = f" ({len(warnings)} fact(s) due for review)" if warnings else ""
    click.echo(f"Content OK ({counts}) in {root}{suffix}")


@command.command("facts")
@click.argument("fact_ids", nargs=-1)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The content directory (default: the configured one).",
)
def facts(fact_ids: tuple[str, ...], directory: Path | None) -> None:
    """List each fact in content/facts.yaml once, with every file (and line) that uses it.

    Give FACT_IDS to show only those. After a rule changes, edit the fact's value and re-read
    every file listed under it.
    """
    settings = get_settings()
    root = _root(directory)
    locales = available_locales(settings.locales_dir)
    ledger, errors = load_facts(root, locales, settings.default_locale)
    for error in errors:
        click.echo(error.format(Path.cwd()), err=True)
    unknown = [f for f in fact_ids if f not in ledger.facts]
    if unknown:
        fail(f"no such fact: {', '.join(unknown)} (known: {', '.join(sorted(ledger.facts))})")
    uses = uses_by_fact(root, ledger)
    for fact_id in fact_ids or tuple(ledger.facts):
        click.echo(_describe(ledger, fact_id, root, uses))
    strays = sorted(set(uses) - set(ledger.facts))
    if strays and not fact_ids:
        click.echo(f"Unknown facts referenced (run `votebot content check`): {', '.join(strays)}")
    if errors:
        fail(f"{len(errors)} problem(s) in {ledger.path}")


def _describe(
    ledger: FactLedger, fact_id: str, root: Path, uses: dict[str, list[Reference]]
) -> str:
    fact = ledger.facts[fact_id]
    lines = [fact_id]
    lines += [f"  {locale}: {value}" for locale, value in fact.value.items()]
    lines.append(f"  as of {fact.as_of.isoformat()}, review by {fact.review_by.isoformat()}")
    lines.append("  sources: " + "; ".join(s.title for s in fact.sources))
    by_file: dict[Path, list[int]] = {}
    for ref in uses.get(fact_id, []):
        by_file.setdefault(ref.path, []).append(ref.line)
    if not by_file:
        lines.append("  used by: nothing yet")
    else:
        lines.append(f"  used by ({len(by_file)}):")
        for path, numbers in sorted(by_file.items()):
            rel = path.relative_to(root) if path.is_relative_to(root) else path
            numbers = sorted(set(numbers))
            word = "line" if len(numbers) == 1 else "lines"
            lines.append(f"    {rel} ({word} {', '.join(str(n) for n in numbers)})")
    return "\n".join(lines)
