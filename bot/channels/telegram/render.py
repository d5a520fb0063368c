"""Bot API payloads from the core's replies: keyboards, quiz polls, and HTML split to the limits.

Nothing here does I/O (see :mod:`bot.channels.telegram.adapter` for the way in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.core.formatting import to_telegram_html
from bot.core.replies import Button, Image, QuizHint, Reply

#: Telegram's limits (in UTF-16 code units, as Telegram counts).
MAX_TEXT = 4096
MAX_CAPTION = 1024
#: Telegram's quiz-poll limits (characters, counted in UTF-16 units like every Bot API limit).
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_OPTIONS_MAX = 10
POLL_EXPLANATION_MAX = 200


def inline_keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    keyboard = [
        [
            InlineKeyboardButton(b.label, url=b.url)
            if b.url is not None
            else InlineKeyboardButton(b.label, callback_data=b.payload)
            for b in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def location_keyboard(label: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label or "📍", request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True)
class Poll:
    """A native quiz poll (``sendPoll`` type quiz) standing for a question's buttons."""

    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    #: The button payload of each option, in order.
    payloads: tuple[str, ...]


@dataclass
class Outgoing:
    """One Bot API message: a text (HTML), a photo with an optional caption, or a quiz poll."""

    text: str = ""
    image: Image | None = None
    markup: Markup | None = None
    #: The same content without formatting, if Telegram rejects the HTML.
    plain: str = ""
    poll: Poll | None = None


def quiz_poll(reply: Reply) -> Poll | None:
    """The quiz poll for a reply marked as a question, or None if it doesn't fit Telegram's limits.

    A poll holds the question and its options only, so a reply with anything else (an image, a
    location request, other buttons) keeps its buttons, as does one over the limits.
    """
    hint: QuizHint | None = reply.quiz
    if hint is None or reply.image is not None or reply.request_location:
        return None
    buttons = reply.all_buttons()
    payloads = tuple(b.payload for b in buttons if b.payload is not None)
    options = tuple(o.strip() for o in hint.options)
    if (
        len(payloads) != len(buttons)
        or len(options) != len(payloads)
        or not 2 <= len(options) <= POLL_OPTIONS_MAX
        or not 0 <= hint.correct < len(options)
        or any(not o or utf16_len(o) > POLL_OPTION_MAX for o in options)
        or len(set(options)) != len(options)
    ):
        return None
    question = hint.question.strip()
    if not question or utf16_len(question) > POLL_QUESTION_MAX:
        return None
    with_header = f"{hint.header.strip()}\n{question}" if hint.header.strip() else question
    if utf16_len(with_header) <= POLL_QUESTION_MAX:
        question = with_header
    explanation = hint.explanation.strip()
    # Telegram allows at most two line feeds; beyond the limit the core's feedback explains.
    if utf16_len(explanation) > POLL_EXPLANATION_MAX or explanation.count("\n") > 2:
        explanation = ""
    return Poll(question, options, hint.correct, explanation, payloads)


def render(reply: Reply, *, quiz_polls: bool = False) -> list[Outgoing]:
    """The messages that show one reply: long texts split, buttons on the last message.

    With ``quiz_polls``, a reply marked as a quiz question that fits is one quiz poll instead.
    """
    poll = quiz_poll(reply) if quiz_polls else None
    if poll is not None:
        return [Outgoing(plain=poll.question, poll=poll)]
    out = [Outgoing(text=chunk) for chunk in split_html(to_telegram_html(reply.text))]
    if reply.image is not None:
        caption = to_telegram_html(reply.image.caption) if reply.image.caption else ""
        if utf16_len(caption) > MAX_CAPTION:
            out.extend(Outgoing(text=chunk) for chunk in split_html(caption))
            out.append(Outgoing(image=reply.image))
        else:
            out.append(Outgoing(text=caption, image=reply.image))
    inline = inline_keyboard(reply.buttons)
    if inline is not None:
        if not out:
            out.append(Outgoing(text="👇"))
        out[-1].markup = inline
    if reply.request_location:
        # A message carries one keyboard: the location request gets its own if needed.
        if not out or out[-1].markup is not None:
            label = reply.location_label
            out.append(Outgoing(text=to_telegram_html(label) if label.strip() else "📍"))
        out[-1].markup = location_keyboard(reply.location_label)
    return out


# --------------------------------------------------------------------------- splitting

#: One indivisible piece of Telegram HTML: a tag, an entity or a single character.
_ATOM_RE = re.compile(r"<[^<>]*>|&#?\w+;|.", re.DOTALL)
_TAG_NAME_RE = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_html(html: str, limit: int = MAX_TEXT) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` UTF-16 units.

    Cuts at a paragraph break where it can, else at a line break, else at a space, else between
    characters; never inside a tag or an entity. Tags open at a cut are closed at the end of one
    chunk and opened again at the start of the next. Blank chunks are dropped.
    """
    if not html.strip():
        return []
    if utf16_len(html) <= limit:
        return [html.strip()]
    atoms = _ATOM_RE.findall(html)
    sizes = [utf16_len(a) for a in atoms]
    chunks: list[str] = []
    start = 0
    prefix: list[tuple[str, str]] = []
    while start < len(atoms):
        stack = list(prefix)
        length = sum(utf16_len(tag) for _, tag in stack)
        # Best cut so far per priority: 0 paragraph, 1 line, 2 space (index, stack at that point).
        best: dict[int, tuple[int, list[tuple[str, str]]]] = {}
        i = start
        cut: tuple[int, list[tuple[str, str]]] | None = None
        while i < len(atoms):
            atom = atoms[i]
            new_stack = _apply(stack, atom)
            closing = sum(len(name) + 3 for name, _ in new_stack)
            if length + sizes[i] + closing > limit and i > start:
                for priority in (0, 1, 2):
                    if priority in best:
                        cut = best[priority]
                        break
                else:
                    cut = (i, stack)
                break
            length += sizes[i]
            stack = new_stack
            i += 1
            if atom == "\n":
                best[0 if i >= 2 and atoms[i - 2] == "\n" else 1] = (i, stack)
            elif atom == " ":
                best[2] = (i, stack)
        if cut is None:
            cut = (len(atoms), stack)
        end, open_tags = cut
        body = "".join(tag for _, tag in prefix) + "".join(atoms[start:end])
        body += "".join(f"</{name}>" for name, _ in reversed(open_tags))
        if _visible(body).strip():
            chunks.append(body.strip())
        start, prefix = end, open_tags
        while not prefix and start < len(atoms) and atoms[start].isspace():
            start += 1
    return chunks


def _apply(stack: list[tuple[str, str]], atom: str) -> list[tuple[str, str]]:
    """The open-tag stack after ``atom`` (a copy when it changes)."""
    if len(atom) < 3 or atom[0] != "<" or atom[-1] != ">":
        return stack
    match = _TAG_NAME_RE.match(atom)
    if match is None:
        return stack
    name = match.group(1).lower()
    if atom.startswith("</"):
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == name:
                return stack[:k] + stack[k + 1 :]
        return stack
    return [*stack, (name, atom)]


def _visible(html: str) -> str:
    return re.sub(r"<[^<>]*>", "", html)
