"""The facts ledger: ``content/facts.yaml`` defines every reusable fact once.

A fact has an ``id``, a ``value`` per locale, ``sources``, ``as_of`` (when it was last checked) and
``review_by`` (when someone must check it again)::

    facts:
      - id: tps-hours
        value:
          id: "07.00–13.00 waktu setempat"
          en: "07.00–13.00 local time"
        sources:
          - id: pkpu-25-2023
            title: PKPU No. 25 Tahun 2023 ...
        as_of: 2026-12-02
        review_by: 2027-12-31

Content text (page bodies, quiz questions, the pledge, broadcasts, calendar notes, WhatsApp
templates, FAQ answers, ...) writes ``{{fact:tps-hours}}``; the loader replaces it with the
reader's locale's value (:meth:`FactLedger.fill`) and the item then cites the fact's sources too
(:meth:`bot.core.content.Document.validate` adds them). So a rule change is one edit here, and
``votebot content facts`` lists what to re-read.

References are checked on the raw files (:func:`check_references`), so an unknown id is reported
with its file and line whatever kind of file it is in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bot.core import yamlparse
from bot.core.content import ContentError, Source, Strict, check_slug, check_sources

FACTS_FILE = "facts.yaml"
#: ``{{fact:some-id}}``; spaces inside the braces are tolerated, anything else is an unknown id.
FACT_REF = re.compile(r"\{\{\s*fact\s*:\s*([^{}]*?)\s*\}\}")
#: Files scanned for references (everything under the content root except the ledger itself).
SCANNED_SUFFIXES = (".md", ".yaml", ".yml")
MAX_VALUE = 300


class Fact(Strict):
    id: str
    #: The fact as written in each locale's text (one line, no Markdown headings).
    value: dict[str, str] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)
    #: When the value was last checked against its sources.
    as_of: dt.date
    #: When it must be checked again (``content check`` warns after this date).
    review_by: dt.date
    #: For editors: what the fact covers, caveats; never shown to users.
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[Source]) -> list[Source]:
        return check_sources(v)

    @field_validator("value")
    @classmethod
    def _value(cls, v: dict[str, str]) -> dict[str, str]:
        for locale, text in v.items():
            text = text.strip()
            if not text or "\n" in text or len(text) > MAX_VALUE:
                raise ValueError(
                    f"the '{locale}' value must be one line of 1 to {MAX_VALUE} characters"
                )
            if FACT_REF.search(text):
                raise ValueError(f"the '{locale}' value must not reference another fact")
        return {k: t.strip() for k, t in v.items()}

    @model_validator(mode="after")
    def _dates(self) -> Fact:
        if self.review_by < self.as_of:
            raise ValueError("review_by must not be before as_of")
        return self


@dataclass
class FactLedger:
    """Every fact by id, with the ledger file's line of each (for messages)."""

    facts: dict[str, Fact] = field(default_factory=dict)
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)
    default_locale: str = "id"
    #: Every locale content is loaded for (a front-matter mapping keyed by them is per locale).
    locales: tuple[str, ...] = ("id", "en")

    def get(self, fact_id: str) -> Fact | None:
        return self.facts.get(fact_id)

    def value(self, fact_id: str, locale: str) -> str | None:
        fact = self.facts.get(fact_id)
        if fact is None:
            return None
        return fact.value.get(locale) or fact.value.get(self.default_locale)

    def fill(self, text: str, locale: str) -> tuple[str, list[str]]:
        """``text`` with every known ``{{fact:ID}}`` replaced by ``locale``'s value.

        Returns the text and the ids of the facts it used (in order, once each). Unknown ids are
        left as they are: :func:`check_references` reports them with file and line.
        """
        used: list[str] = []

        def replace(match: re.Match[str]) -> str:
            fact_id = match.group(1)
            value = self.value(fact_id, locale)
            if value is None:
                return match.group(0)
            if fact_id not in used:
                used.append(fact_id)
            return value

        return FACT_REF.sub(replace, text), used

    def cite(self, text: str, locale: str) -> tuple[str, list[Source]]:
        """``text`` filled for ``locale`` and the sources it must cite: the one call for text
        that is not a content file (claims, poll questions, text typed by a volunteer)."""
        filled, used = self.fill(text, locale)
        return filled, self.sources_of(used)

    def fill_data(self, data: Any, locale: str) -> tuple[Any, list[str]]:
        """Fill every string in parsed YAML (front matter); returns the copy and the facts used.

        A mapping whose keys are all locale codes (``name: {id: …, en: …}``) is filled per key,
        so a file shared by every language (the calendar) gets each language's value.
        """
        known = set(self.locales) | {self.default_locale}
        used: list[str] = []

        def walk(node: Any, loc: str) -> Any:
            if isinstance(node, str):
                text, ids = self.fill(node, loc)
                used.extend(i for i in ids if i not in used)
                return text
            if isinstance(node, dict):
                per_locale = bool(node) and all(isinstance(k, str) and k in known for k in node)
                return {k: walk(v, k if per_locale else loc) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v, loc) for v in node]
            return node

        return walk(data, locale), used

    def sources_of(self, fact_ids: Iterable[str]) -> list[Source]:
        """The sources of these facts, once each (by source id), in order."""
        out: dict[str, Source] = {}
        for fact_id in fact_ids:
            fact = self.facts.get(fact_id)
            for source in fact.sources if fact else []:
                out.setdefault(source.id, source)
        return list(out.values())

    def overdue(self, today: dt.date) -> list[ContentError]:
        """A warning for every fact whose ``review_by`` date has passed."""
        path = self.path or Path(FACTS_FILE)
        return [
            ContentError(
                path,
                self.lines.get(f.id, 1),
                f"warning: fact '{f.id}' was due for review on {f.review_by.isoformat()} "
                "(check its sources, then update value, as_of and review_by)",
            )
            for f in self.facts.values()
            if f.review_by < today
        ]


def load_facts(
    root: Path, locales: Iterable[str], default_locale: str
) -> tuple[FactLedger, list[ContentError]]:
    """Read ``<root>/facts.yaml`` (optional: without it there are no facts)."""
    path = root / FACTS_FILE
    locales = tuple(locales)
    ledger = FactLedger(path=path, default_locale=default_locale, locales=locales)
    if not path.is_file():
        return ledger, []
    try:
        text = path.read_text(encoding="utf-8")
        node, data = yamlparse.parse(text)
    except UnicodeDecodeError as exc:
        return ledger, [ContentError(path, 1, f"not UTF-8 text: {exc.reason}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return ledger, [ContentError(path, line, f"invalid YAML: {exc.problem or exc.context}")]
    lines = _fact_lines(node)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ledger, [ContentError(path, 1, "must be a mapping with a 'facts' list")]
    errors = [
        ContentError(path, 1, f"unknown key '{key}' (the file holds one 'facts' list)")
        for key in data
        if key != "facts"
    ]
    raw = data.get("facts")
    if raw is not None and not isinstance(raw, list):
        errors.append(ContentError(path, 1, "'facts' must be a list"))
    items = raw if isinstance(raw, list) else []
    required = [default_locale, *(loc for loc in locales if loc != default_locale)]
    for i, item in enumerate(items):
        line = lines.get((i,), 1)
        try:
            fact = Fact.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                key = (i, *(str(p) for p in err["loc"][:1]))
                errors.append(
                    ContentError(path, lines.get(key, line), _message(err, f"facts.{i}."))
                )
            continue
        missing = [loc for loc in required if loc not in fact.value]
        if missing:
            errors.append(
                ContentError(
                    path,
                    lines.get((i, "value"), line),
                    f"fact '{fact.id}': no value for {', '.join(missing)}",
                )
            )
        if fact.id in ledger.facts:
            errors.append(
                ContentError(
                    path,
                    line,
                    f"duplicate fact id '{fact.id}' (first on line {ledger.lines[fact.id]})",
                )
            )
            continue
        ledger.facts[fact.id] = fact
        ledger.lines[fact.id] = line
    return ledger, errors


def _message(err: Any, prefix: str = "") -> str:
    where = prefix + ".".join(str(p) for p in err["loc"])
    if err["type"] == "missing":
        return f"missing key '{where}'"
    if err["type"] == "extra_forbidden":
        return f"unknown key '{where}'"
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


def _fact_lines(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Line of each fact (``(i,)``) and of its keys (``(i, "value")``) in the ledger file."""
    out: dict[tuple[Any, ...], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for key, value in node.value:
        if key.value != "facts" or not isinstance(value, yaml.SequenceNode):
            continue
        for i, item in enumerate(value.value):
            out[(i,)] = item.start_mark.line + 1
            if isinstance(item, yaml.MappingNode):
                for k, _ in item.value:
                    out[(i, str(k.value))] = k.start_mark.line + 1
    return out


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Reference:
    fact_id: str
    path: Path
    line: int


def content_files(root: Path) -> list[Path]:
    """Every file under the content root that may reference a fact."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in SCANNED_SUFFIXES and p != root / FACTS_FILE
    )


def find_references(root: Path) -> list[Reference]:
    """Every ``{{fact:ID}}`` in the content files (or the one file ``root``), with file and line."""
    refs: list[Reference] = []
    for path in [root] if root.is_file() else content_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # the kind's loader reports it
        for number, line in enumerate(text.splitlines(), 1):
            refs.extend(Reference(m.group(1), path, number) for m in FACT_REF.finditer(line))
    return refs


def check_references(root: Path, ledger: FactLedger) -> list[ContentError]:
    """An error, with file and line, for every reference to a fact the ledger does not define
    (in every content file under ``root``, or in the file ``root``)."""
    known = ", ".join(sorted(ledger.facts)) or "none: add content/facts.yaml"
    return [
        ContentError(
            ref.path,
            ref.line,
            f"unknown fact '{ref.fact_id}' in {{{{fact:{ref.fact_id}}}}} (known: {known})",
        )
        for ref in find_references(root)
        if ref.fact_id not in ledger.facts
    ]


def uses_by_fact(root: Path, ledger: FactLedger) -> dict[str, list[Reference]]:
    """fact id → every reference to it (facts nobody uses map to an empty list)."""
    out: dict[str, list[Reference]] = {fact_id: [] for fact_id in ledger.facts}
    for ref in find_references(root):
        out.setdefault(ref.fact_id, []).append(ref)
    return out
