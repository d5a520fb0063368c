"""``votebot poll create`` without a poll file: the poll from flags or, failing them, from prompts.

Each question is one line: ``TEXT | OPTION | OPTION ...`` is a single choice; a ``multi:``,
``scale:`` or ``open:`` prefix picks another kind (``scale: TEXT`` uses the standard five labels,
``open: TEXT`` takes a short answer)::

    votebot poll create --id cek-dpt-2026 --title "Udah cek DPT?" \\
        --question "Udah pernah cek namamu di DPT? | Udah | Belum" \\
        --question "scale: Info dari KPU gampang dipahami." \\
        --opens "2026-12-07 08:00" --closes "2026-12-21 20:00"

The texts are in the default locale. The poll is written as a poll file and read back by the same
parser as ``content/polls/*.md``, so every rule of the file format holds; ``--save`` keeps that
file in ``content/polls/`` for review in git.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from bot.core.content import ContentErrors
from bot.core.polls.spec import KINDS, MAX_QUESTIONS, OPEN, SCALE, SINGLE, PollSpec, parse_poll_file

#: Used when no ``--intro`` is given: the invitation is the poll's title.
DEFAULT_INTRO = "🗳️ **{title}**"


class PollInputError(ValueError):
    """What is wrong with the poll as given; the message says how to fix it."""


@dataclass
class NewPoll:
    id: str
    title: str
    questions: list[str]
    opens: str
    closes: str
    intro: str | None = None
    segment: str = "all"
    extra: dict[str, Any] = field(default_factory=dict)


def parse_question(line: str, number: int, locale: str) -> dict[str, Any]:
    """One ``[KIND:] TEXT | OPTION | ...`` line as a poll file's question."""
    head, sep, rest = line.partition(":")
    kind = SINGLE
    if sep and head.strip().lower() in KINDS:
        kind, line = head.strip().lower(), rest
    text, *options = (part.strip() for part in line.split("|"))
    if not text:
        raise PollInputError(f"question {number}: the text is empty")
    if kind in (SCALE, OPEN) and options:
        raise PollInputError(
            f"question {number}: a {kind} question takes no options (write it as '{kind}: TEXT')"
        )
    if kind not in (SCALE, OPEN) and len(options) < 2:
        raise PollInputError(
            f"question {number}: a {kind} question needs two or more options, "
            "separated by '|' (e.g. 'Udah cek DPT? | Udah | Belum')"
        )
    if any(not o for o in options):
        raise PollInputError(f"question {number}: an option is empty (two '|' in a row?)")
    question: dict[str, Any] = {"id": f"q{number}", "kind": kind, "text": {locale: text}}
    if options:
        question["options"] = [{locale: o} for o in options]
    return question


def file_text(poll: NewPoll, locale: str) -> str:
    """The poll file (front matter and invitation) for ``poll``."""
    if not poll.questions:
        raise PollInputError("give at least one --question")
    if len(poll.questions) > MAX_QUESTIONS:
        raise PollInputError(f"a poll has at most {MAX_QUESTIONS} questions")
    questions, problems = [], []
    for i, line in enumerate(poll.questions, 1):
        try:
            questions.append(parse_question(line, i, locale))
        except PollInputError as exc:
            problems.append(str(exc))
    if problems:
        raise PollInputError("\n".join(problems))
    meta = {
        "id": poll.id,
        "title": poll.title,
        "opens": poll.opens,
        "closes": poll.closes,
        "segment": poll.segment,
        "questions": questions,
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    intro = (poll.intro or "").strip() or DEFAULT_INTRO.format(title=poll.title.strip())
    return f"---\n{front}---\n# {locale}\n{intro}\n"


def build_spec(
    poll: NewPoll, locales: Iterable[str], locale: str, save_to: Path | None = None
) -> PollSpec:
    """Check ``poll`` with the poll-file parser; :class:`PollInputError` lists every problem."""
    if not poll.id.strip():
        raise PollInputError("give the poll an --id (lower case words joined by '-')")
    text = file_text(poll, locale)
    with tempfile.TemporaryDirectory() as tmp:
        # The file name must be the id; an id with a slash or dots is refused by the parser.
        safe = poll.id.strip().replace("/", "_").replace("\\", "_") or "poll"
        path = Path(tmp) / f"{safe}.md"
        path.write_text(text, encoding="utf-8")
        try:
            spec = parse_poll_file(path, locales, locale)
        except ContentErrors as exc:
            raise PollInputError("\n".join(_plain(e.message) for e in exc.errors)) from None
    if save_to is not None:
        target = save_to / f"{spec.id}.md"
        if target.exists():
            raise PollInputError(f"{target} exists already: choose another --id")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return spec


def _plain(message: str) -> str:
    """A parser message in the words of the options: questions numbered from 1, not by id."""
    message = _FIELD.sub(lambda m: f"question {int(m.group(1)) + 1}{m.group(2) or ''}", message)
    return _QID.sub(r"question \1", message)


#: ``questions.0.text`` in a schema message; ``question 'q1'`` in a check's message.
_FIELD = re.compile(r"questions\.(\d+)(\.\w+)?")
_QID = re.compile(r"question 'q(\d+)'")


def prompt_poll(opens: str | None, closes: str | None, segment: str | None) -> NewPoll:
    """Ask for the poll at the terminal (ends at an empty question)."""
    click.echo(
        "A new poll. Each question: TEXT | OPTION | OPTION (single choice), or start it with "
        "'multi:', 'scale:' or 'open:'. An empty line ends the questions."
    )
    poll_id = click.prompt("Poll id (e.g. cek-dpt-2026)").strip()
    title = click.prompt("Title").strip()
    questions: list[str] = []
    while len(questions) < MAX_QUESTIONS:
        line = click.prompt(
            f"Question {len(questions) + 1}", default="", show_default=False
        ).strip()
        if not line:
            break
        questions.append(line)
    return NewPoll(
        id=poll_id,
        title=title,
        questions=questions,
        opens=opens or click.prompt("Opens (WIB, e.g. 2026-12-07 08:00)").strip(),
        closes=closes or click.prompt("Closes (WIB)").strip(),
        intro=click.prompt("Invitation text", default="", show_default=False).strip() or None,
        segment=segment or "all",
    )
