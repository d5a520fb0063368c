"""Quiz files: ``content/<locale>/quizzes/<id>.md``.

Front matter (``id``, ``title``, ``description``, ``level``, ``tags``, ``sources``, ``reviewed``
and optionally ``multiple_correct``) and then one section per question::

    ## question-id

    The question text.

    - [ ] a wrong option
    - [x] the right option

    > The explanation, which teaches briefly.

    Source: source-id, other-source-id

A question may state a fact from the ledger as ``{{fact:ID}}``; it then cites that fact's
sources too. The body is read line by line so every error names the line of the offending
question, option or source line. ``cross_check`` makes sure every locale of a quiz has the same
questions with the same number of options and the right ones at the same positions, so an
attempt survives a change of language half-way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from bot.core.content import (
    Cited,
    ContentError,
    ContentErrors,
    ContentKind,
    ContentStore,
    Document,
    Reviewed,
    Source,
    check_slug,
    register_kind,
)

MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_QUESTION, MAX_OPTION, MAX_EXPLANATION = 300, 100, 1000
#: Quiz ids travel in button payloads (``qz:start:<id>``, 64 bytes at most).
MAX_QUIZ_ID = 40
MAX_QUESTION_ID = 40
LEVELS = ("beginner", "intermediate", "advanced")

_HEADING_RE = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_OPTION_RE = re.compile(r"^[-*+]\s+\[([ xX]?)\]\s*(.*)$")
_BULLET_RE = re.compile(r"^[-*+]\s+")
_SOURCE_RE = re.compile(r"^(?:sources?|sumber)\s*:\s*(.*)$", re.IGNORECASE)


class QuizMeta(Cited, Reviewed):
    description: str = Field(min_length=10, max_length=200)
    level: Literal["beginner", "intermediate", "advanced"]
    tags: list[str] = Field(default_factory=list, max_length=10)
    #: Several options may be marked ``[x]``; any of them counts as right.
    multiple_correct: bool = False

    @field_validator("id")
    @classmethod
    def _short_id(cls, v: str) -> str:
        if len(v) > MAX_QUIZ_ID:
            raise ValueError(f"at most {MAX_QUIZ_ID} characters (it travels in buttons)")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [check_slug(t) for t in v]


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    line: int


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]
    explanation: str
    source_ids: tuple[str, ...]
    line: int

    @property
    def correct_indexes(self) -> tuple[int, ...]:
        return tuple(i for i, o in enumerate(self.options) if o.correct)


@dataclass(frozen=True)
class Quiz:
    meta: QuizMeta
    questions: tuple[Question, ...]
    locale: str
    path: Path
    _by_id: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({q.id: q for q in self.questions})

    @property
    def id(self) -> str:
        return self.meta.id

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def sources_of(self, question: Question) -> list[Source]:
        by_id = {s.id: s for s in self.meta.sources}
        return [by_id[i] for i in question.source_ids if i in by_id]


@dataclass
class _Draft:
    id: str
    line: int
    text: list[str] = field(default_factory=list)
    text_line: int = 0
    options: list[Option] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    explanation_line: int = 0
    sources: list[str] = field(default_factory=list)
    source_line: int = 0


def _body_start(doc: Document) -> int:
    """The file line of the body's first line (``Document.body`` may keep blank-ish lines)."""
    lines = doc.body.splitlines()
    leading = next((i for i, s in enumerate(lines) if s.strip()), len(lines))
    return doc.body_line - leading


def _split_questions(doc: Document, errors: list[ContentError]) -> list[_Draft]:
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for offset, raw in enumerate(doc.body.splitlines()):
        line_no = _body_start(doc) + offset
        line = raw.strip()
        if not line:
            if current is not None and current.explanation and current.explanation[-1]:
                current.explanation.append("")
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            current = _Draft(heading.group(1).strip(), line_no)
            drafts.append(current)
            continue
        if line.startswith("#"):
            errors.append(doc.error("questions start with '## question-id' (two #)", line_no))
            continue
        if current is None:
            errors.append(
                doc.error("text before the first question: start it with '## question-id'", line_no)
            )
            continue
        option = _OPTION_RE.match(line)
        source = _SOURCE_RE.match(line)
        if option:
            if current.explanation or current.sources:
                errors.append(doc.error("options must come before the explanation", line_no))
                continue
            text = option.group(2).strip()
            current.options.append(Option(text, option.group(1) in ("x", "X"), line_no))
        elif _BULLET_RE.match(line):
            errors.append(
                doc.error("an option starts with '- [ ] ' (wrong) or '- [x] ' (right)", line_no)
            )
        elif line.startswith(">"):
            if not current.options:
                errors.append(doc.error("the explanation ('> …') must follow the options", line_no))
                continue
            if current.sources:
                errors.append(doc.error("the explanation must come before 'Source:'", line_no))
                continue
            if not current.explanation_line:
                current.explanation_line = line_no
            current.explanation.append(line[1:].strip())
        elif source:
            if current.source_line:
                errors.append(doc.error("only one 'Source:' line per question", line_no))
                continue
            current.source_line = line_no
            current.sources = [s.strip() for s in source.group(1).split(",") if s.strip()]
            if not current.sources:
                errors.append(doc.error("'Source:' names no source id", line_no))
        elif current.options or current.explanation:
            errors.append(
                doc.error(
                    "unexpected text here: the explanation lines start with '> ' and the "
                    "source line with 'Source: '",
                    line_no,
                )
            )
        else:
            if not current.text_line:
                current.text_line = line_no
            current.text.append(line)
    return drafts


def _join_explanation(lines: list[str]) -> str:
    """``>`` lines join into paragraphs; an empty ``>`` line starts a new paragraph."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def _check_question(
    doc: Document, meta: QuizMeta, draft: _Draft, errors: list[ContentError], last_line: int
) -> Question | None:
    before = len(errors)
    where = f"question '{draft.id}'"
    try:
        check_slug(draft.id)
        if len(draft.id) > MAX_QUESTION_ID:
            raise ValueError(f"at most {MAX_QUESTION_ID} characters")
    except ValueError as exc:
        errors.append(doc.error(f"question id '{draft.id}': {exc}", draft.line))
    text = " ".join(draft.text)
    if not text:
        errors.append(doc.error(f"{where} has no question text", draft.line))
    elif len(text) > MAX_QUESTION:
        errors.append(
            doc.error(
                f"{where}: the question has {len(text)} characters (at most {MAX_QUESTION})",
                draft.text_line,
            )
        )
    n = len(draft.options)
    if not MIN_OPTIONS <= n <= MAX_OPTIONS:
        errors.append(
            doc.error(f"{where} has {n} option(s): give {MIN_OPTIONS} to {MAX_OPTIONS}", draft.line)
        )
    seen: set[str] = set()
    for option in draft.options:
        if not option.text:
            errors.append(doc.error(f"{where}: an option has no text", option.line))
        elif len(option.text) > MAX_OPTION:
            errors.append(
                doc.error(
                    f"{where}: the option has {len(option.text)} characters (at most {MAX_OPTION})",
                    option.line,
                )
            )
        key = option.text.casefold()
        if key and key in seen:
            errors.append(doc.error(f"{where}: the same option twice", option.line))
        seen.add(key)
    correct = [o for o in draft.options if o.correct]
    if n and not correct:
        errors.append(doc.error(f"{where}: mark the right option with '- [x]'", draft.line))
    elif len(correct) > 1 and not meta.multiple_correct:
        errors.append(
            doc.error(
                f"{where}: {len(correct)} options are marked right; mark exactly one, or set "
                "'multiple_correct: true' in the front matter",
                correct[1].line,
            )
        )
    explanation = _join_explanation(draft.explanation)
    if not explanation:
        errors.append(
            doc.error(f"{where} has no explanation (a '> ' line after the options)", draft.line)
        )
    elif len(explanation) > MAX_EXPLANATION:
        errors.append(
            doc.error(
                f"{where}: the explanation has {len(explanation)} characters "
                f"(at most {MAX_EXPLANATION})",
                draft.explanation_line,
            )
        )
    if not draft.source_line:
        errors.append(
            doc.error(
                f"{where} has no 'Source: id' line naming where its facts come from", draft.line
            )
        )
    known = {s.id for s in meta.sources}
    for source_id in draft.sources:
        if source_id not in known:
            errors.append(
                doc.error(
                    f"{where}: unknown source '{source_id}' (known: {', '.join(sorted(known))})",
                    draft.source_line,
                )
            )
    if len(errors) > before:
        return None
    # A question stating a fact from the ledger cites the fact's sources too.
    fact_sources = (
        doc.facts.sources_of(doc.facts_between(draft.line, last_line)) if doc.facts else []
    )
    return Question(
        draft.id,
        text,
        tuple(draft.options),
        explanation,
        tuple(dict.fromkeys([*draft.sources, *(s.id for s in fact_sources)])),
        draft.line,
    )


def parse_quiz(doc: Document) -> Quiz:
    errors: list[ContentError] = []
    meta: QuizMeta | None = None
    try:
        meta = doc.validate(QuizMeta)
    except ContentErrors as exc:
        errors.extend(exc.errors)
    else:
        if meta.id != doc.path.stem:
            errors.append(
                doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"]))
            )
    drafts = _split_questions(doc, errors)
    if not drafts:
        errors.append(
            doc.error("the quiz has no questions ('## question-id' sections)", doc.body_line)
        )
    first_line: dict[str, int] = {}
    for draft in drafts:
        if draft.id in first_line:
            errors.append(
                doc.error(
                    f"duplicate question id '{draft.id}' (first on line {first_line[draft.id]})",
                    draft.line,
                )
            )
        first_line.setdefault(draft.id, draft.line)
    questions: list[Question] = []
    if meta is not None:
        ends = [d.line - 1 for d in drafts[1:]] + [doc.body_line + len(doc.body.splitlines())]
        for draft, last_line in zip(drafts, ends, strict=False):
            question = _check_question(doc, meta, draft, errors, last_line)
            if question is not None:
                questions.append(question)
    if errors or meta is None:
        raise ContentErrors(errors)
    return Quiz(meta, tuple(questions), doc.locale, doc.path)


def cross_check(by_locale: dict[str, dict[str, Quiz]], default_locale: str) -> list[ContentError]:
    """Every locale of a quiz has the default locale's questions, option counts and answers."""
    errors: list[ContentError] = []
    reference = by_locale.get(default_locale, {})
    for locale, quizzes in sorted(by_locale.items()):
        if locale == default_locale:
            continue
        for quiz_id, quiz in sorted(quizzes.items()):
            ref = reference.get(quiz_id)
            if ref is None:
                errors.append(
                    ContentError(
                        quiz.path, 1, f"quiz '{quiz_id}' has no '{default_locale}' version"
                    )
                )
                continue
            errors.extend(_compare(ref, quiz))
    return errors


def _compare(ref: Quiz, quiz: Quiz) -> list[ContentError]:
    errors: list[ContentError] = []
    here = {q.id for q in quiz.questions}
    last_line = quiz.questions[-1].line if quiz.questions else 1
    for q in ref.questions:
        if q.id not in here:
            errors.append(
                ContentError(
                    quiz.path,
                    last_line,
                    f"question '{q.id}' is missing here (it is in {ref.path.parent.parent.name}, "
                    f"line {q.line})",
                )
            )
    for q in quiz.questions:
        other = ref.question(q.id)
        if other is None:
            errors.append(
                ContentError(
                    quiz.path, q.line, f"question '{q.id}' is not in the {ref.locale} version"
                )
            )
        elif len(q.options) != len(other.options):
            errors.append(
                ContentError(
                    quiz.path,
                    q.line,
                    f"question '{q.id}' has {len(q.options)} options but {len(other.options)} "
                    f"in the {ref.locale} version",
                )
            )
        else:
            for mine, theirs in zip(q.options, other.options, strict=True):
                if mine.correct != theirs.correct:
                    errors.append(
                        ContentError(
                            quiz.path,
                            mine.line,
                            f"question '{q.id}': the right option(s) differ from the "
                            f"{ref.locale} version (line {theirs.line})",
                        )
                    )
                    break
    return errors


register_kind(ContentKind("quizzes", "quizzes/*.md", parse_quiz, lambda q: q.id, cross_check))


def get_quiz(store: ContentStore, quiz_id: str, locale: str) -> Quiz | None:
    quiz = store.get("quizzes", quiz_id, locale)
    return quiz if isinstance(quiz, Quiz) else None


def all_quizzes(store: ContentStore, locale: str) -> list[Quiz]:
    """Every quiz for ``locale``, easiest first."""
    quizzes = [q for q in store.all("quizzes", locale) if isinstance(q, Quiz)]
    return sorted(quizzes, key=lambda q: (LEVELS.index(q.meta.level), q.id))
