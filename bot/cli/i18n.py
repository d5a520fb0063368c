"""``votebot i18n``: keep the gettext catalogs in ``locales/`` in step with the code.

Message ids are English, so the ``en`` catalog is filled from the ids; every other catalog is
translated by hand (``update`` marks new and changed entries so ``check`` lists them).
"""

from __future__ import annotations

import copy
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot import ROOT
from bot.core.i18n import DOMAIN

SOURCE_LOCALE = "en"
LOCALES_DIR = ROOT / "locales"


def _write(catalog: Catalog, path: Path, **kwargs: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, no_location=True, sort_output=True, width=100, **kwargs)


def extract() -> Catalog:
    """Extract every ``_``/``N_``/``ngettext`` string from ``bot/``."""
    catalog = Catalog(project="teman-pemilih", charset="utf-8")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("**.py", "python")],
        keywords=keywords,
        comment_tags=["TRANSLATORS:"],
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def problems(path: Path) -> list[str]:
    """Untranslated and fuzzy entries of a catalog, one line each."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        first = (msg.id if isinstance(msg.id, str) else msg.id[0]).splitlines()[0][:60]
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if msg.fuzzy:
            out.append(f"{path}: fuzzy: {first!r}")
        elif not all(strings):
            out.append(f"{path}: untranslated: {first!r}")
    return out


@click.group("i18n")
def command() -> None:
    """Maintain the translation catalogs in locales/."""


@command.command("update")
def update_cmd() -> None:
    """Extract strings from bot/ into locales/messages.pot and update every catalog."""
    template = extract()
    _write(template, LOCALES_DIR / "messages.pot", omit_header=True)
    for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        # A copy each time: Catalog.update shares the template's new Message objects.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        if locale == SOURCE_LOCALE:
            for msg in catalog:
                if msg.id:
                    msg.string = msg.id
                    msg.flags.discard("fuzzy")
        catalog.obsolete.clear()
        _write(catalog, po)
        click.echo(f"updated {po.relative_to(ROOT)}")
    check_cmd.callback()  # type: ignore[misc]


@command.command("check")
def check_cmd() -> None:
    """List untranslated and fuzzy entries; exit 1 if there are any."""
    found = [
        p for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")) for p in problems(po)
    ]
    for line in found:
        click.echo(line, err=True)
    if found:
        raise click.ClickException(f"{len(found)} untranslated or fuzzy entries")
    click.echo("All catalogs are complete.")
