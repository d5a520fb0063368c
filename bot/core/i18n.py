"""Translations with Babel and gettext.

Catalogs live in ``locales/<locale>/LC_MESSAGES/messages.po``. They are compiled in memory when
first used, so a fresh checkout works with no compile step; a compiled ``messages.mo`` newer than
the ``.po`` file is used instead when present. Adding a language is adding files: a catalog here
and, optionally, content under ``content/<locale>/``.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from bot import ROOT

DOMAIN = "messages"
DEFAULT_LOCALES_DIR = ROOT / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translate at render time)."""
    return message


class Explained(ValueError):
    """An error whose message is shown to a person: ``str(error)`` is English (the command
    line, logs); :meth:`translate` gives it in a user's language. ``message`` is marked with
    :func:`N_` and may hold ``{name}`` fields filled from ``values``."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message.format(**values))

    def translate(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.values)


def available_locales(locales_dir: Path = DEFAULT_LOCALES_DIR) -> tuple[str, ...]:
    """Locales that have a catalog, in a stable order."""
    return _available_locales(str(locales_dir))


@lru_cache(maxsize=8)
def _available_locales(locales_dir: str) -> tuple[str, ...]:
    found = []
    for po in sorted(Path(locales_dir).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        name = po.parent.parent.name
        try:
            Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            continue
        found.append(name)
    return tuple(found)


@lru_cache(maxsize=32)
def _load(locales_dir: str, locale: str) -> gettext.NullTranslations:
    base = Path(locales_dir) / locale / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


class Translator:
    """The gettext functions and Babel formatting for one locale."""

    def __init__(self, locale: str, locales_dir: Path = DEFAULT_LOCALES_DIR) -> None:
        self.locale = locale
        self._t = _load(str(locales_dir), locale)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def number(self, value: float) -> str:
        """``204807222`` → ``204.807.222`` in ``id``, ``204,807,222`` in ``en``."""
        return str(format_decimal(value, locale=self.locale))

    def percent(self, value: float, digits: int = 0) -> str:
        fmt = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return str(format_percent(value, format=fmt, locale=self.locale))

    def date(self, value: date | datetime, fmt: str = "long") -> str:
        return str(_format_date(value, format=fmt, locale=self.locale))

    def datetime(self, value: datetime, fmt: str = "medium", tzinfo: tzinfo | None = None) -> str:
        return str(_format_datetime(value, format=fmt, tzinfo=tzinfo, locale=self.locale))

    def language_name(self, locale: str | None = None) -> str:
        """A locale's name in its own language, e.g. ``Bahasa Indonesia``, ``English``."""
        code = locale or self.locale
        name = Locale.parse(code).get_display_name(code) or code
        if code == "id":
            name = "Bahasa Indonesia"
        return name[:1].upper() + name[1:]


def negotiate(candidates: Iterable[str | None], available: Iterable[str], default: str) -> str:
    """The first candidate (e.g. ``en-US``, ``id``) that matches an available locale."""
    return _negotiate(tuple(candidates), tuple(available), default)


@lru_cache(maxsize=1024)
def _negotiate(candidates: tuple[str | None, ...], avail: tuple[str, ...], default: str) -> str:
    # Cached: every message asks it, and Babel's answer for a pair of codes never changes.
    for cand in candidates:
        if not cand:
            continue
        code = cand.replace("-", "_")
        match = Locale.negotiate([code], avail, sep="_")
        if match:
            return str(match)
        lang = code.split("_")[0].lower()
        if lang in avail:
            return lang
    return default
