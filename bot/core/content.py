"""Content: Markdown files with YAML front matter under ``content/<locale>/``.

Each kind of content (info pages here; quizzes, the pledge, ... in their own modules) registers a
:class:`ContentKind` with a file pattern and a strict schema. Loading collects *every* error, each
as ``path:line: message``, so ``votebot content check`` reports everything at once.

A locale that lacks an item falls back to the default locale's item (``id``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.core.i18n import N_

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


#: Sections that group info pages in the menu; labels are translated at render time.
SECTIONS: dict[str, str] = {
    "basics": N_("Voting-day basics"),
    "money-politics": N_("Money politics"),
}


class PageMeta(Cited):
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
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1 + offset
            _node_lines(value_node, key, offset, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*prefix, i)
            out[key] = item.start_mark.line + 1 + offset
            _node_lines(item, key, offset, out)


def parse_document(path: Path, locale: str, text: str | None = None) -> Document:
    """Split and parse a content file; raise :class:`ContentErrors` naming file and line."""
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
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 2
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentErrors([ContentError(path, line, f"invalid YAML: {problem}")]) from None
    if not isinstance(meta, dict):
        raise ContentErrors([ContentError(path, 2, "front matter must be a mapping of keys")])
    key_lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _node_lines(node, (), 1, key_lines)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    first_body = end + 2
    for i in range(end + 1, len(lines)):
        if lines[i].strip():
            first_body = i + 1
            break
    return Document(path, locale, meta, body, first_body, key_lines)


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
    _import_kinds()
    store = ContentStore(root, default_locale)
    errors: list[ContentError] = []
    locales = list(locales)
    if not root.is_dir():
        return store, [ContentError(root, 1, "content directory not found")]
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
            item = kind.parse(parse_document(path, locale))
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


#: Modules that call :func:`register_kind` when imported.
CONTENT_MODULES: list[str] = [
    "bot.core.message_templates",
    "bot.core.quiz.content",
    "bot.core.pledge",
    "bot.core.calendar",
]
