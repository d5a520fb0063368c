"""Content: Markdown files with YAML front matter under ``content/<locale>/``.

Each kind of content (info pages here; quizzes, the pledge, ... in their own modules) registers a
:class:`ContentKind` with a file pattern and a strict schema. Loading collects *every* error, each
as ``path:line: message``, so ``votebot content check`` reports everything at once.

A locale that lacks an item falls back to the default locale's item (``id``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.core import yamlparse
from bot.core.i18n import N_

if TYPE_CHECKING:
    from bot.core.facts import FactLedger

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)
class ContentError:
    path: Path
    line: int
    message: str

    def format(self, base: Path | None = None) -> str:
        path = self.path
        if base is not None:
            with contextlib.suppress(ValueError):
                path = self.path.relative_to(base)
        return f"{path}:{self.line}: {self.message}"


class ContentErrors(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(e.format() for e in errors))
        self.errors = errors


# --------------------------------------------------------------------------- schemas


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(Strict):
    id: str
    title: str = Field(min_length=3)
    url: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+\.[^\s]+$", v):
            raise ValueError("must be an http(s) URL")
        return v


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("must be a slug: lower-case letters, digits and single hyphens")
    return value


def check_sources(value: list[Source]) -> list[Source]:
    ids = [s.id for s in value]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate source id(s): {', '.join(dupes)}")
    return value


class Cited(Strict):
    """Front matter shared by everything that states facts: an id, a title and its sources."""

    id: str
    title: str = Field(min_length=2, max_length=120)
    sources: list[Source] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[Source]) -> list[Source]:
        return check_sources(v)


class Reviewed(Strict):
    """Front matter of items a person checks against their sources: ``reviewed: YYYY-MM-DD``."""

    #: When someone last checked every statement of the item against its sources.
    reviewed: dt.date


#: Sections that group info pages in the menu; labels are translated at render time.
SECTIONS: dict[str, str] = {
    "basics": N_("Voting-day basics"),
    "money-politics": N_("Money politics & rules"),
    "elections": N_("Elections & you"),
}


class PageMeta(Cited, Reviewed):
    section: str
    order: int = 100
    short_title: str | None = Field(None, max_length=20)

    @field_validator("section")
    @classmethod
    def _section(cls, v: str) -> str:
        if v not in SECTIONS:
            raise ValueError(f"unknown section {v!r} (known: {', '.join(SECTIONS)})")
        return v


@dataclass(frozen=True)
class Page:
    meta: PageMeta
    body: str
    locale: str
    path: Path

    @property
    def id(self) -> str:
        return self.meta.id


# --------------------------------------------------------------------------- documents


@dataclass
class Document:
    """A content file split into front matter (with a line for every key) and body."""

    path: Path
    locale: str
    meta: dict[str, Any]
    body: str
    #: 1-based line of the first body line.
    body_line: int
    #: Line of each key path in the front matter, e.g. ``("sources", 0, "title")``.
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    #: The facts ledger the text was filled from (None: ``{{fact:…}}`` stays as written).
    facts: FactLedger | None = None
    #: Ids of the facts the file references (in order, once each); they add their sources.
    facts_used: list[str] = field(default_factory=list)
    #: File line → ids of the facts referenced on it (e.g. to cite them per quiz question).
    fact_lines: dict[int, list[str]] = field(default_factory=dict)
    #: First and last line of each front-matter value, by key path (like ``lines``).
    spans: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)

    def fill(self, text: str, locale: str | None = None) -> str:
        """``text`` with its ``{{fact:ID}}`` references replaced (for kinds that split the body
        themselves, e.g. a broadcast's per-locale sections)."""
        if self.facts is None:
            return text
        return self.facts.fill(text, locale or self.locale)[0]

    def facts_within(self, loc: tuple[str | int, ...]) -> list[str]:
        """Ids of the facts referenced inside the front-matter value at ``loc``."""
        span = self.spans.get(loc)
        return self.facts_between(*span) if span else []

    def facts_between(self, first: int, last: int) -> list[str]:
        """Ids of the facts referenced on file lines ``first`` to ``last`` (inclusive)."""
        out: list[str] = []
        for number in range(first, last + 1):
            out.extend(i for i in self.fact_lines.get(number, []) if i not in out)
        return out

    def line_of(self, loc: Iterable[str | int]) -> int:
        """The line of the deepest front-matter key on ``loc`` (else the front matter's)."""
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    def error(self, message: str, line: int | None = None) -> ContentError:
        return ContentError(self.path, line or 1, message)

    def validate(self, model: type[M], extra: Mapping[str, Any] | None = None) -> M:
        """Validate the front matter against ``model``; raise every error with its line."""
        data = dict(self.meta)
        if extra:
            data.update(extra)
        if self.facts is not None and self.facts_used and "sources" in model.model_fields:
            # An item that states a fact cites the fact's sources too.
            own = data.get("sources")
            own = list(own) if isinstance(own, list) else []
            have = {s.get("id") for s in own if isinstance(s, dict)}
            own.extend(
                s.model_dump(exclude_none=True)
                for s in self.facts.sources_of(self.facts_used)
                if s.id not in have
            )
            data["sources"] = own
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                where = ".".join(str(p) for p in loc) or "front matter"
                if err["type"] == "missing":
                    msg = f"missing key '{where}'"
                elif err["type"] == "extra_forbidden":
                    msg = f"unknown key '{where}'"
                else:
                    msg = f"{where}: {str(err['msg']).removeprefix('Value error, ')}"
                errors.append(self.error(msg, self.line_of(loc)))
            raise ContentErrors(errors) from None


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _node_lines(
    node: yaml.Node,
    prefix: tuple[str | int, ...],
    offset: int,
    out: dict[tuple[str | int, ...], int],
    spans: dict[tuple[str | int, ...], tuple[int, int]],
) -> None:
    def last_line(value: yaml.Node) -> int:
        # A block ends at the start of the next line: back up over a trailing line break.
        end = value.end_mark
        return end.line + offset + (1 if end.column else 0)

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1 + offset
            spans[key] = (out[key], max(out[key], last_line(value_node)))
            _node_lines(value_node, key, offset, out, spans)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*prefix, i)
            out[key] = item.start_mark.line + 1 + offset
            spans[key] = (out[key], max(out[key], last_line(item)))
            _node_lines(item, key, offset, out, spans)


def parse_document(
    path: Path, locale: str, text: str | None = None, facts: FactLedger | None = None
) -> Document:
    """Split and parse a content file; raise :class:`ContentErrors` naming file and line.

    With ``facts``, every ``{{fact:ID}}`` in the front matter's strings and in the body is
    replaced by ``locale``'s value (a front-matter mapping keyed by locale codes gets each
    locale's value), and :meth:`Document.validate` adds the facts' sources.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ContentErrors([ContentError(path, 1, f"not UTF-8 text: {exc.reason}")]) from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentErrors(
            [ContentError(path, 1, "missing front matter: start with a '---' line")]
        )
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise ContentErrors([ContentError(path, 1, "front matter is not closed by a '---' line")])
    yaml_text = "\n".join(lines[1:end])
    try:
        node, meta = yamlparse.parse(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 2
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentErrors([ContentError(path, line, f"invalid YAML: {problem}")]) from None
    if not isinstance(meta, dict):
        raise ContentErrors([ContentError(path, 2, "front matter must be a mapping of keys")])
    key_lines: dict[tuple[str | int, ...], int] = {}
    spans: dict[tuple[str | int, ...], tuple[int, int]] = {}
    if node is not None:
        _node_lines(node, (), 1, key_lines, spans)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    first_body = end + 2
    for i in range(end + 1, len(lines)):
        if lines[i].strip():
            first_body = i + 1
            break
    doc = Document(path, locale, meta, body, first_body, key_lines, facts, spans=spans)
    if facts is not None:
        from bot.core.facts import FACT_REF

        for number, raw_line in enumerate(lines, 1):
            ids = [m.group(1) for m in FACT_REF.finditer(raw_line) if facts.get(m.group(1))]
            if ids:
                doc.fact_lines[number] = list(dict.fromkeys(ids))
                doc.facts_used.extend(i for i in ids if i not in doc.facts_used)
        doc.meta, _ = facts.fill_data(meta, locale)
        doc.body, _ = facts.fill(body, locale)
    return doc


# --------------------------------------------------------------------------- kinds


class ContentKind(Generic[T]):
    """A kind of content file: where it lives, how it parses, and cross-locale checks."""

    #: Registry of every kind, filled by :func:`register_kind`.
    registry: ClassVar[dict[str, ContentKind[Any]]] = {}

    def __init__(
        self,
        name: str,
        pattern: str,
        parse: Callable[[Document], T],
        item_id: Callable[[T], str],
        cross_check: Callable[[dict[str, dict[str, T]], str], list[ContentError]] | None = None,
        *,
        shared: bool = False,
    ) -> None:
        self.name, self.pattern, self.parse, self.item_id = name, pattern, parse, item_id
        self.cross_check = cross_check
        #: A shared kind lives in the content root, not under a locale (e.g. ``calendar.md``);
        #: it is parsed once, as the default locale's, so every locale falls back to it.
        self.shared = shared


def register_kind(kind: ContentKind[Any]) -> ContentKind[Any]:
    ContentKind.registry[kind.name] = kind
    return kind


def _parse_page(doc: Document) -> Page:
    meta = doc.validate(PageMeta)
    errors = []
    if meta.id != doc.path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    if not doc.body.strip():
        errors.append(doc.error("the page has no text below the front matter", doc.body_line))
    if errors:
        raise ContentErrors(errors)
    return Page(meta, doc.body, doc.locale, doc.path)


register_kind(ContentKind("pages", "pages/*.md", _parse_page, lambda p: p.id))


# --------------------------------------------------------------------------- the store


@dataclass
class ContentStore:
    root: Path
    default_locale: str
    #: kind name → locale → item id → item
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Data that is not a Markdown kind (lexicons, place aliases, intents, the search index),
    #: filled by the loaders in :data:`DATA_LOADERS`.
    data: dict[str, Any] = field(default_factory=dict)
    #: The facts ledger (``content/facts.yaml``); other kinds fill their text with
    #: ``store.facts.fill(text, locale)``.
    facts: FactLedger | None = None

    def get(self, kind: str, item_id: str, locale: str) -> Any | None:
        by_locale = self.items.get(kind, {})
        item = by_locale.get(locale, {}).get(item_id)
        if item is None:
            item = by_locale.get(self.default_locale, {}).get(item_id)
        return item

    def all(self, kind: str, locale: str) -> list[Any]:
        """Every item of a kind for ``locale``, falling back per item to the default locale."""
        by_locale = self.items.get(kind, {})
        ids = dict.fromkeys([*by_locale.get(self.default_locale, {}), *by_locale.get(locale, {})])
        return [item for i in ids if (item := self.get(kind, i, locale)) is not None]

    def page(self, page_id: str, locale: str) -> Page | None:
        page = self.get("pages", page_id, locale)
        return page if isinstance(page, Page) else None

    def section_pages(self, section: str, locale: str) -> list[Page]:
        pages = [p for p in self.all("pages", locale) if p.meta.section == section]
        return sorted(pages, key=lambda p: (p.meta.order, p.id))


def load_content(
    root: Path, locales: Iterable[str], default_locale: str
) -> tuple[ContentStore, list[ContentError]]:
    """Load every registered kind for every locale; return the store and all errors found."""
    from bot.core.facts import check_references, load_facts

    _import_kinds()
    store = ContentStore(root, default_locale)
    errors: list[ContentError] = []
    locales = list(locales)
    if not root.is_dir():
        return store, [ContentError(root, 1, "content directory not found")]
    store.facts, fact_errors = load_facts(root, locales, default_locale)
    errors.extend(fact_errors)
    errors.extend(check_references(root, store.facts))
    if not (root / default_locale).is_dir():
        errors.append(
            ContentError(root, 1, f"no content for the default locale '{default_locale}'")
        )
    for locale in locales:
        base = root / locale
        if not base.is_dir():
            continue
        claimed: set[Path] = set()
        for kind in ContentKind.registry.values():
            if not kind.shared:
                errors.extend(_load_kind(store, kind, base, locale, claimed))
        for path in sorted(base.rglob("*.md")):
            if path not in claimed:
                errors.append(ContentError(path, 1, "not a known kind of content file here"))
    for kind in ContentKind.registry.values():
        if kind.shared:
            errors.extend(_load_kind(store, kind, root, default_locale, set()))
    for kind in ContentKind.registry.values():
        if kind.cross_check:
            errors.extend(kind.cross_check(store.items.get(kind.name, {}), default_locale))
    for loader in DATA_LOADERS:
        errors.extend(loader(store, locales))
    return store, sorted(set(errors))


def _load_kind(
    store: ContentStore, kind: ContentKind[Any], base: Path, locale: str, claimed: set[Path]
) -> list[ContentError]:
    """Parse the files of one kind under ``base`` into the store as ``locale``'s items."""
    errors: list[ContentError] = []
    bucket = store.items.setdefault(kind.name, {}).setdefault(locale, {})
    for path in sorted(base.glob(kind.pattern)):
        claimed.add(path)
        try:
            item = kind.parse(parse_document(path, locale, facts=store.facts))
        except ContentErrors as exc:
            errors.extend(exc.errors)
            continue
        item_id = kind.item_id(item)
        if item_id in bucket:
            errors.append(ContentError(path, 1, f"duplicate {kind.name} id '{item_id}'"))
            continue
        bucket[item_id] = item
    return errors


def _import_kinds() -> None:
    """Import the modules that register further content kinds (quizzes, pledge, ...)."""
    import importlib

    for module in CONTENT_MODULES:
        importlib.import_module(module)


#: Run after every kind has loaded: read YAML data files into ``store.data`` and check what
#: needs the whole store (e.g. that an FAQ's link names a page that exists).
DataLoader = Callable[[ContentStore, list[str]], list[ContentError]]
DATA_LOADERS: list[DataLoader] = []


def register_data_loader(loader: DataLoader) -> DataLoader:
    if loader not in DATA_LOADERS:
        DATA_LOADERS.append(loader)
    return loader


#: Modules that call :func:`register_kind` when imported.
CONTENT_MODULES: list[str] = [
    "bot.core.message_templates",
    "bot.core.quiz.content",
    "bot.core.pledge",
    "bot.core.about",
    "bot.core.calendar",
    "bot.core.understanding.content",
    "bot.core.factcheck.content",
]
