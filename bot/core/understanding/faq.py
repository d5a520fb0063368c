"""FAQ entries (``content/<locale>/faq/<id>.md``): typed questions and a short, sourced answer.

::

    ---
    id: tps-opening-hours            # the file name; the same id in every locale
    title: Jam buka TPS              # a short label (≤ 40 characters, used on buttons)
    reviewed: 2026-12-02
    questions:                       # ≥ 4 phrasings as people type them
      - jam brp tps buka
      - ...
    link: page:tps-hours             # optional: page:<id> or flow:<name> (a button)
    sources:
      - id: pkpu-25-2023
        title: PKPU 25/2023
    ---
    The answer, ≤ 600 characters.

Checks that need the whole store (the link's page exists, no phrasing in two entries of a locale)
run in :mod:`bot.core.understanding.content`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from bot.core.content import (
    Cited,
    ContentErrors,
    ContentKind,
    Document,
    register_kind,
)

MAX_ANSWER = 600
#: ``flow:<name>`` targets an FAQ may link to, and what each opens.
FLOW_LINKS = ("tps", "quiz", "pledge", "report", "calendar", "check", "menu")
LINK_RE = re.compile(r"^(page|flow):([a-z0-9]+(?:-[a-z0-9]+)*)$")


class FaqMeta(Cited):
    title: str = Field(min_length=2, max_length=40)
    reviewed: dt.date
    questions: list[str] = Field(min_length=4)
    link: str | None = None

    @field_validator("questions")
    @classmethod
    def _questions(cls, v: list[str]) -> list[str]:
        cleaned = [" ".join(q.split()) for q in v]
        if any(not q for q in cleaned):
            raise ValueError("a question is empty")
        return cleaned

    @field_validator("link")
    @classmethod
    def _link(cls, v: str | None) -> str | None:
        if v is None:
            return v
        match = LINK_RE.match(v)
        if match is None:
            raise ValueError("must be page:<id> or flow:<name>")
        if match.group(1) == "flow" and match.group(2) not in FLOW_LINKS:
            raise ValueError(f"unknown flow '{match.group(2)}' (known: {', '.join(FLOW_LINKS)})")
        return v


@dataclass(frozen=True)
class FaqEntry:
    meta: FaqMeta
    answer: str
    locale: str
    path: Path
    #: line of each question in the file, in order (for duplicate-phrasing errors)
    question_lines: tuple[int, ...]
    link_line: int

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def link(self) -> tuple[str, str] | None:
        """``("page", "tps-hours")`` or ``("flow", "tps")``."""
        if self.meta.link is None:
            return None
        kind, _, target = self.meta.link.partition(":")
        return kind, target


def _parse_faq(doc: Document) -> FaqEntry:
    meta = doc.validate(FaqMeta)
    errors = []
    if meta.id != doc.path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    answer = doc.body.strip()
    if not answer:
        errors.append(doc.error("the entry has no answer below the front matter", doc.body_line))
    elif len(answer) > MAX_ANSWER:
        errors.append(
            doc.error(
                f"the answer has {len(answer)} characters; keep it to {MAX_ANSWER} "
                "(link a page for more)",
                doc.body_line,
            )
        )
    if errors:
        raise ContentErrors(errors)
    lines = tuple(doc.line_of(["questions", i]) for i in range(len(meta.questions)))
    return FaqEntry(meta, answer, doc.locale, doc.path, lines, doc.line_of(["link"]))


FAQ_KIND = register_kind(ContentKind("faq", "faq/*.md", _parse_faq, lambda e: e.id))
