"""The poll file format (``content/polls/<id>.md``), in the broadcast-file style.

Front matter holds the poll's id (the file name), title, schedule, optional segment, sources and
one to five questions, each with its text and options per locale; the body has one section per
locale (``# id``, ``# en``) with the invitation::

    ---
    id: info-sebelum-nyoblos
    title: Apa yang perlu kamu tahu sebelum nyoblos?
    opens: 2026-12-07 08:00          # WIB wall clock (or ISO 8601 with an offset)
    closes: 2026-12-21 20:00
    segment: locale=id               # optional (default: every opted-in user); see segments
    sources:                         # needed only when a question states a fact
      - id: kpu-cek-dpt
        title: KPU, Cek DPT Online
        url: https://cekdptonline.kpu.go.id
    questions:
      - id: cek-dpt
        kind: single                 # single, multi, scale (1-5) or open (a short answer)
        text:
          id: Udah pernah cek namamu di DPT?
          en: Have you checked your name on the voter list?
        options:
          - {id: Udah, en: Yes}
          - {id: Belum, en: Not yet}
        sources: [kpu-cek-dpt]       # ids of the sources above, when the question states a fact
    ---
    # id
    Halo! Ada polling singkat ...
    # en
    Hi! A short poll ...

A scale question may give five labels (``options``, 1 to 5); without them the standard
"strongly disagree" ... "strongly agree" labels are shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.core.content import (
    ContentError,
    ContentErrors,
    Document,
    Source,
    Strict,
    check_slug,
    check_sources,
    parse_document,
)
from bot.core.segments import SegmentError, parse_segment
from bot.core.timezones import WIB

POLLS_DIR = "polls"
SINGLE, MULTI, SCALE, OPEN = "single", "multi", "scale", "open"
KINDS = (SINGLE, MULTI, SCALE, OPEN)
MAX_QUESTIONS = 5
MAX_OPTIONS = 8
SCALE_POINTS = 5
#: The longest open answer kept (characters).
OPEN_MAX = 280
_LOCALE_HEADING = re.compile(r"^#\s+(\S+)\s*$")


class QuestionMeta(Strict):
    id: str
    kind: Literal["single", "multi", "scale", "open"]
    text: dict[str, str]
    options: list[dict[str, str]] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("text")
    @classmethod
    def _text(cls, v: dict[str, str]) -> dict[str, str]:
        for locale, text in v.items():
            if not 3 <= len(text.strip()) <= 300:
                raise ValueError(f"the '{locale}' text must be 3-300 characters")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: list[dict[str, str]]) -> list[dict[str, str]]:
        for option in v:
            for locale, label in option.items():
                if not 1 <= len(label.strip()) <= 60:
                    raise ValueError(f"an option's '{locale}' label must be 1-60 characters")
        return v


class PollMeta(Strict):
    id: str = Field(max_length=48)
    title: str = Field(min_length=2, max_length=120)
    opens: datetime | str
    closes: datetime | str
    segment: str = "all"
    sources: list[Source] = Field(default_factory=list)
    questions: list[QuestionMeta] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_slug(v)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: list[Source]) -> list[Source]:
        return check_sources(v)

    @field_validator("segment")
    @classmethod
    def _segment(cls, v: str) -> str:
        try:
            return parse_segment(v).describe()
        except SegmentError as exc:
            raise ValueError(str(exc)) from None


def parse_when(value: datetime | str) -> datetime:
    """A time from a poll file or the command line: naive means WIB wall clock."""
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a time like 2026-12-07 08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=WIB)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    #: locale → text
    text: dict[str, str]
    #: each option: locale → label (scale: five labels, or none for the standard ones)
    options: list[dict[str, str]]
    sources: list[dict[str, Any]]

    @property
    def choices(self) -> int:
        """How many options the results count (a scale: its five points)."""
        if self.kind == SCALE:
            return SCALE_POINTS
        return len(self.options)

    @property
    def additive(self) -> bool:
        """Whether option counts add up to the number who answered (not multiple choice)."""
        return self.kind in (SINGLE, SCALE)


@dataclass(frozen=True)
class PollSpec:
    id: str
    title: str
    opens_at: datetime
    closes_at: datetime
    segment: str
    questions: list[Question]
    #: locale → invitation text
    intros: dict[str, str]

    @property
    def locales(self) -> list[str]:
        return list(self.intros)

    def as_data(self) -> dict[str, Any]:
        return {
            "intros": self.intros,
            "questions": [
                {
                    "id": q.id,
                    "kind": q.kind,
                    "text": q.text,
                    "options": q.options,
                    "sources": q.sources,
                }
                for q in self.questions
            ],
        }


def questions_of(data: dict[str, Any]) -> list[Question]:
    """The questions of a stored poll (``Poll.spec``)."""
    return [
        Question(q["id"], q["kind"], q["text"], q.get("options", []), q.get("sources", []))
        for q in data.get("questions", [])
    ]


def _sections(doc: Document, locales: set[str], errors: list[ContentError]) -> dict[str, str]:
    bodies: dict[str, list[str]] = {}
    current: str | None = None
    lines = doc.path.read_text(encoding="utf-8").splitlines()
    for number in range(doc.body_line, len(lines) + 1):
        line = lines[number - 1]
        match = _LOCALE_HEADING.match(line)
        if match:
            current = match.group(1)
            if current not in locales:
                errors.append(doc.error(f"unknown locale '{current}'", number))
                current = None
            elif current in bodies:
                errors.append(doc.error(f"locale '{current}' appears twice", number))
            else:
                bodies[current] = []
        elif current is not None:
            bodies[current].append(line)
        elif line.strip():
            errors.append(doc.error("text before the first '# <locale>' line", number))
            break
    return {loc: "\n".join(body).strip() for loc, body in bodies.items()}


def _check_question(
    doc: Document, i: int, q: QuestionMeta, locales: list[str], source_ids: set[str]
) -> list[ContentError]:
    errors: list[ContentError] = []
    at = ("questions", i)
    for locale in locales:
        if locale not in q.text:
            errors.append(
                doc.error(f"question '{q.id}' has no '{locale}' text", doc.line_of((*at, "text")))
            )
    for locale in q.text:
        if locale not in locales:
            errors.append(
                doc.error(
                    f"'{locale}' text but no '# {locale}' section",
                    doc.line_of((*at, "text", locale)),
                )
            )
    if q.kind in (SINGLE, MULTI) and not 2 <= len(q.options) <= MAX_OPTIONS:
        errors.append(
            doc.error(f"a {q.kind} question needs 2-{MAX_OPTIONS} options", doc.line_of(at))
        )
    if q.kind == SCALE and q.options and len(q.options) != SCALE_POINTS:
        errors.append(doc.error("a scale has exactly 5 labels (or none)", doc.line_of(at)))
    if q.kind == OPEN and q.options:
        errors.append(doc.error("an open question has no options", doc.line_of((*at, "options"))))
    for j, option in enumerate(q.options):
        missing = [loc for loc in locales if loc not in option]
        if missing:
            errors.append(
                doc.error(
                    f"option {j + 1} has no {', '.join(missing)} label",
                    doc.line_of((*at, "options", j)),
                )
            )
    for j, sid in enumerate(q.sources):
        if sid not in source_ids:
            errors.append(
                doc.error(
                    f"unknown source '{sid}' (list it under 'sources')",
                    doc.line_of((*at, "sources", j)),
                )
            )
    return errors


def parse_poll_file(path: Path, locales: Iterable[str], default_locale: str) -> PollSpec:
    """Parse and check a poll file; raise :class:`ContentErrors` with file and line."""
    known = set(locales)
    doc = parse_document(path, default_locale)
    errors: list[ContentError] = []
    try:
        meta = doc.validate(PollMeta)
    except ContentErrors as exc:
        errors.extend(exc.errors)
        meta = None
    intros = _sections(doc, known, errors)
    if default_locale not in intros:
        errors.append(doc.error(f"no '# {default_locale}' section", doc.body_line))
    for locale, text in intros.items():
        if not text:
            errors.append(doc.error(f"the '{locale}' section is empty", doc.body_line))
    if meta is None:
        raise ContentErrors(sorted(set(errors)))
    if meta.id != path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    opens_at = closes_at = None
    for key in ("opens", "closes"):
        try:
            when = parse_when(getattr(meta, key))
        except ValueError as exc:
            errors.append(doc.error(f"{key}: {exc}", doc.line_of([key])))
            continue
        opens_at, closes_at = (when, closes_at) if key == "opens" else (opens_at, when)
    if opens_at and closes_at and closes_at <= opens_at:
        errors.append(doc.error("closes must be after opens", doc.line_of(["closes"])))
    ids = [q.id for q in meta.questions]
    for i, q in enumerate(meta.questions):
        if ids.count(q.id) > 1:
            errors.append(doc.error(f"question id '{q.id}' twice", doc.line_of(["questions", i])))
        errors += _check_question(doc, i, q, list(intros), {s.id for s in meta.sources})
    if errors or opens_at is None or closes_at is None:
        raise ContentErrors(sorted(set(errors)))
    by_id = {s.id: s.model_dump(exclude_none=True) for s in meta.sources}
    questions = [
        Question(
            q.id,
            q.kind,
            {k: v.strip() for k, v in q.text.items()},
            [{k: v.strip() for k, v in o.items()} for o in q.options],
            [by_id[s] for s in q.sources],
        )
        for q in meta.questions
    ]
    return PollSpec(meta.id, meta.title, opens_at, closes_at, meta.segment, questions, intros)


def poll_files(
    content_dir: Path, locales: Iterable[str], default_locale: str
) -> tuple[list[PollSpec], list[ContentError]]:
    """Every poll file under ``content/polls`` and every error found."""
    specs, errors = [], []
    locales = list(locales)
    for path in sorted((content_dir / POLLS_DIR).glob("*.md")):
        try:
            specs.append(parse_poll_file(path, locales, default_locale))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    return specs, errors
