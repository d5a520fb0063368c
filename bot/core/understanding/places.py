"""Place aliases (``content/places.yaml``): ``jaksel`` → Jakarta Selatan, ``jateng`` → Jawa Tengah.

One locale-free file serves the understanding layer, the TPS place search and broadcast segments
(``province=Jateng``)::

    province:                       # level: province or kabupaten
      jawa tengah: [jateng]         # the region's name (as the region table names it, folded,
      daerah istimewa yogyakarta: [diy, jogja, yogya]   # without "Kab."/"Kota") → aliases
    kabupaten:
      jakarta selatan: [jaksel, jkt sel]

An alias may stand for a province and a kabupaten at once (``jogja``); inside a sentence it reads
as the kabupaten, and a ``province=`` segment reads it as the province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.content import ContentError, ContentErrors
from bot.core.understanding.normalise import surface
from bot.core.understanding.yamlfile import read_yaml

LEVELS = ("kabupaten", "province")
_NAME_RE = re.compile(r"^[a-z0-9]+(?: [a-z0-9]+)*$")


@dataclass
class Places:
    #: level → alias (folded, spaces single) → region name (folded)
    by_level: dict[str, dict[str, str]] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = None
    _any: dict[str, str] = field(default_factory=dict)
    _text: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for level in LEVELS:  # the most specific level wins inside a sentence
            for alias, name in self.by_level.get(level, {}).items():
                self._any.setdefault(alias, name)
        # A name is matched as itself, so "jakarta selatan" is not read as "jakarta" + "selatan".
        names = {n for level in LEVELS for n in self.by_level.get(level, {}).values()}
        self._text = {**{n: n for n in names}, **self._any}
        if self._text:
            alternatives = sorted(self._text, key=len, reverse=True)
            self._pattern = re.compile(
                r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b"
            )

    def canonical(self, value: str, level: str | None = None) -> str | None:
        """The region name an alias stands for (at ``level`` if given), else None."""
        key = surface(value)
        if level is not None:
            return self.by_level.get(level, {}).get(key)
        return self._any.get(key)

    def expand(self, folded: str) -> str:
        """Replace every alias in already-folded text (see :func:`surface`) by its name."""
        if self._pattern is None:
            return folded
        return self._pattern.sub(lambda m: self._text[m.group(0)], folded)

    def search_text(self, query: str) -> str:
        """A typed place query with its aliases spelled out (``jaksel`` → ``jakarta selatan``)."""
        folded = surface(query)
        expanded = self.expand(folded)
        return query if expanded == folded else expanded

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.by_level.values())


def parse_places(path: Path) -> tuple[Places, list[ContentError]]:
    try:
        doc = read_yaml(path)
    except ContentErrors as exc:
        return Places(), exc.errors
    if not isinstance(doc.data, dict):
        return Places(), [doc.error("places.yaml maps a level (province, kabupaten) to names")]
    errors: list[ContentError] = []
    by_level: dict[str, dict[str, str]] = {}
    for level, names in doc.data.items():
        if level not in LEVELS:
            errors.append(doc.error(f"unknown level '{level}' (known: {', '.join(LEVELS)})", level))
            continue
        if not isinstance(names, dict):
            errors.append(doc.error(f"'{level}' must map a region name to its aliases", level))
            continue
        bucket = by_level.setdefault(level, {})
        for name, aliases in names.items():
            name = str(name)
            if not _NAME_RE.match(name):
                errors.append(
                    doc.error(f"'{name}': write the name folded (lower case, a-z 0-9)", level, name)
                )
                continue
            if not isinstance(aliases, list) or not aliases:
                errors.append(doc.error(f"'{name}' needs a list of aliases", level, name))
                continue
            for i, alias in enumerate(aliases):
                alias_text = str(alias)
                key = surface(alias_text)
                if not key or key != alias_text:
                    errors.append(
                        doc.error(f"alias {alias_text!r}: lower case a-z 0-9 only", level, name, i)
                    )
                elif key == name:
                    errors.append(doc.error(f"alias '{key}' is the name itself", level, name, i))
                elif key in bucket:
                    errors.append(
                        doc.error(
                            f"alias '{key}' is already used for '{bucket[key]}'", level, name, i
                        )
                    )
                else:
                    bucket[key] = name
    return Places(by_level), errors


def load_places(content_dir: Path) -> Places:
    """The aliases under a content directory (none when the file is missing or broken)."""
    path = content_dir / "places.yaml"
    if not path.is_file():
        return Places()
    places, _ = parse_places(path)
    return places
