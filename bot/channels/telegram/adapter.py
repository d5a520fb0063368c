"""Pure translation between Telegram objects and the core: updates in, Bot API payloads out.

Nothing here does I/O, so it is tested (and fuzzed) without a network. The channel
(:mod:`bot.channels.telegram.channel`) does the calls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from bot.core.events import (
    ButtonEvent,
    CommandEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
    parse_command,
)
from bot.core.formatting import to_telegram_html
from bot.core.replies import Button, Image, QuizHint, Reply

CHANNEL = "telegram"
#: Telegram's limits (in UTF-16 code units, as Telegram counts).
MAX_TEXT = 4096
MAX_CAPTION = 1024
#: The update types we ask Telegram for (polling and webhook alike).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member", "poll_answer")
#: The largest photo we download for a flow that asked for one (bytes).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: Telegram's quiz-poll limits (characters, counted in UTF-16 units like every Bot API limit).
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_OPTIONS_MAX = 10
POLL_EXPLANATION_MAX = 200
#: Image files sent "as a file" (uncompressed, metadata and all) count as photos.
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
GROUP_TYPES = frozenset({"group", "supergroup"})
#: Message attributes that name content the bot cannot read, checked in this order.
_MEDIA_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
)


@dataclass(frozen=True)
class PollVote:
    """An answer to one of our quiz polls; the channel maps it back to a button payload."""

    poll_id: str
    user_id: int
    option: int
    language_code: str | None = None
    first_name: str | None = None


@dataclass(frozen=True)
class Inbound:
    """What one update asks of us."""

    #: The core event, or None when the bot should stay quiet (group chatter, unknown updates).
    event: InboundEvent | None
    chat_id: int | None = None
    chat_type: str = "private"
    #: For logs: text, command, button, location, unsupported, blocked, ignored.
    kind: str = "ignored"
    callback_query_id: str | None = None
    #: The message whose button was pressed (edited in place for ``Reply.replace``).
    message_id: int | None = None
    #: The user blocked the bot (``my_chat_member`` → kicked).
    blocked: UserRef | None = None
    #: The file to download for a photo (the largest size within MAX_PHOTO_BYTES), if a flow
    #: wants it; None for other media or a photo too large in every size.
    photo_file_id: str | None = None
    #: An answer to a quiz poll (``event`` is then None until the channel maps it).
    poll_vote: PollVote | None = None

    @property
    def acts(self) -> bool:
        """Whether handling this update does anything (and so must be deduplicated)."""
        return (
            self.event is not None
            or self.blocked is not None
            or bool(self.callback_query_id)
            or self.poll_vote is not None
        )


def _media_kind(message: Message) -> str:
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return "other"


def pick_photo(message: Message, cap: int = MAX_PHOTO_BYTES) -> str | None:
    """The file id of the best picture in a photo message (or image file) within ``cap`` bytes.

    Telegram offers each photo in several sizes: the largest one that fits is taken. A size of
    unknown length is allowed here; the download checks it again.
    """
    document = message.document
    if document is not None:
        if _opt_str(document.mime_type) not in _IMAGE_TYPES:
            return None
        size = document.file_size
        return _str(document.file_id) if size is None or _int(size) <= cap else None
    fitting = [p for p in message.photo or () if p.file_size is None or _int(p.file_size) <= cap]
    if not fitting:
        return None
    best = max(fitting, key=lambda p: (_int(p.width) * _int(p.height), p.file_size or 0))
    return _str(best.file_id)


def _is_image_file(message: Message) -> bool:
    document = message.document
    return document is not None and document.mime_type in _IMAGE_TYPES


def _addressed_command(text: str, bot_username: str) -> bool | None:
    """In a group: True for ``/cmd@thisbot``, False for another bot's or a bare ``/cmd``."""
    head = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/"):
        return None
    _, at, target = head.partition("@")
    return bool(at) and bool(bot_username) and target.casefold() == bot_username.casefold()


class Unreadable(TypeError):
    """An update whose fields don't have the types the Bot API documents."""


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unreadable(f"expected an integer, got {type(value).__name__}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise Unreadable(f"expected a string, got {type(value).__name__}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _coordinate(value: object, bound: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable("not a coordinate")
    if not math.isfinite(value) or abs(value) > bound:
        raise Unreadable("not a coordinate")
    return float(value)


def parse_update(update: Update, bot_id: int, bot_username: str) -> Inbound:
    """Translate one update; an update with ill-typed fields becomes kind ``unreadable``.

    python-telegram-bot does not check field types when it reads JSON, so the fields used here
    are checked before they reach the core.
    """
    try:
        return _parse(update, bot_id, bot_username)
    except (AttributeError, TypeError, ValueError):
        return Inbound(None, kind="unreadable")


def _parse(update: Update, bot_id: int, bot_username: str) -> Inbound:
    if update.callback_query is not None:
        return _parse_callback(update)
    if update.poll_answer is not None:
        return _parse_poll_answer(update)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        if member.chat.type == "private" and member.new_chat_member.status == "kicked":
            ref = UserRef(CHANNEL, str(_int(member.from_user.id)))
            return Inbound(None, member.chat.id, "private", "blocked", blocked=ref)
        return Inbound(None, member.chat.id, member.chat.type)
    message = update.message
    if message is None:
        return Inbound(None)
    chat = message.chat
    _int(chat.id)
    _str(chat.type)
    sender = message.from_user
    if sender is None or sender.is_bot:
        return Inbound(None, chat.id, chat.type)
    _int(sender.id)
    _opt_str(sender.language_code)
    _opt_str(sender.first_name)
    in_group = chat.type in GROUP_TYPES
    if chat.type not in GROUP_TYPES and chat.type != "private":
        return Inbound(None, chat.id, chat.type)
    text = _opt_str(message.text)
    if in_group:
        replied = message.reply_to_message
        to_bot = (
            replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
        )
        addressed = _addressed_command(text, bot_username) if text else None
        if not (addressed or to_bot):
            return Inbound(None, chat.id, chat.type)
    user = UserRef(CHANNEL, str(sender.id))
    lang, name = sender.language_code, sender.first_name
    event: InboundEvent
    if text is not None:
        parsed = parse_command(text)
        if parsed is not None:
            kind = "command"
            event = CommandEvent(
                user=user,
                language_code=lang,
                first_name=name,
                in_group=in_group,
                name=parsed[0],
                args=parsed[1],
            )
        else:
            kind = "text"
            event = TextEvent(
                user=user, language_code=lang, first_name=name, in_group=in_group, text=text
            )
    elif message.location is not None:
        kind = "location"
        event = LocationEvent(
            user=user,
            language_code=lang,
            first_name=name,
            in_group=in_group,
            latitude=_coordinate(message.location.latitude, 90),
            longitude=_coordinate(message.location.longitude, 180),
        )
    else:
        kind = "unsupported"
        photo = bool(message.photo) or _is_image_file(message)
        event = UnsupportedEvent(
            user=user,
            language_code=lang,
            first_name=name,
            in_group=in_group,
            kind="photo" if photo else _media_kind(message),
            caption=_opt_str(message.caption),
        )
        if photo:
            return Inbound(
                event,
                chat.id,
                chat.type,
                kind,
                photo_file_id=pick_photo(message),
            )
    return Inbound(event, chat.id, chat.type, kind)


def _parse_poll_answer(update: Update) -> Inbound:
    answer = update.poll_answer
    assert answer is not None
    poll_id = _str(answer.poll_id)
    voter = answer.user
    options = list(answer.option_ids)
    if voter is None or voter.is_bot or len(options) != 1:
        # A vote on behalf of a chat, or a retracted vote: nothing for the core.
        return Inbound(None, kind="poll_answer")
    vote = PollVote(
        poll_id=poll_id,
        user_id=_int(voter.id),
        option=_int(options[0]),
        language_code=_opt_str(voter.language_code),
        first_name=_opt_str(voter.first_name),
    )
    return Inbound(None, kind="poll_answer", poll_vote=vote)


def poll_vote_event(vote: PollVote, payload: str, in_group: bool) -> ButtonEvent:
    """The button press a poll answer stands for (the poll's option ``i`` is button ``i``)."""
    return ButtonEvent(
        user=UserRef(CHANNEL, str(vote.user_id)),
        language_code=vote.language_code,
        first_name=vote.first_name,
        in_group=in_group,
        payload=payload,
    )


def _parse_callback(update: Update) -> Inbound:
    query = update.callback_query
    assert query is not None
    _str(query.id)
    sender = query.from_user
    _int(sender.id)
    _opt_str(sender.language_code)
    _opt_str(sender.first_name)
    _opt_str(query.data)
    message = query.message
    chat_id = _int(message.chat.id) if message is not None else None
    chat_type = _str(message.chat.type) if message is not None else "unknown"
    if message is not None and not isinstance(message.message_id, int):
        raise Unreadable("message_id")
    if query.data is None or sender.is_bot or chat_id is None:
        # A game button or an inline-mode message: nothing to reply to, only acknowledge.
        return Inbound(None, chat_id, chat_type, "button", callback_query_id=query.id)
    event = ButtonEvent(
        user=UserRef(CHANNEL, str(sender.id)),
        language_code=sender.language_code,
        first_name=sender.first_name,
        in_group=chat_type in GROUP_TYPES,
        payload=query.data,
    )
    return Inbound(
        event,
        chat_id,
        chat_type,
        "button",
        callback_query_id=query.id,
        message_id=message.message_id if message is not None else None,
    )


# --------------------------------------------------------------------------- outbound


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
