"""Pure translation between Telegram objects and the core: updates in, Bot API payloads out.

Nothing here does I/O, so it is tested (and fuzzed) without a network. The channel
(:mod:`bot.channels.telegram.channel`) does the calls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from bot.core.engine import NIK_RE
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
from bot.core.replies import Button, Image, Reply

CHANNEL = "telegram"
#: Telegram's limits (in UTF-16 code units, as Telegram counts).
MAX_TEXT = 4096
MAX_CAPTION = 1024
#: What the log may keep of a message's text.
LOG_TEXT_CHARS = 200
#: The update types we ask Telegram for (polling and webhook alike).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
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
    #: At most LOG_TEXT_CHARS of the text, NIK-like numbers masked, for error logs only.
    log_text: str = field(default="", repr=False)

    @property
    def acts(self) -> bool:
        """Whether handling this update does anything (and so must be deduplicated)."""
        return self.event is not None or self.blocked is not None or bool(self.callback_query_id)


def log_excerpt(text: str | None) -> str:
    if not text:
        return ""
    return NIK_RE.sub("<NIK?>", text[:LOG_TEXT_CHARS])


def _media_kind(message: Message) -> str:
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return kind
    return "other"


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
        event = UnsupportedEvent(
            user=user,
            language_code=lang,
            first_name=name,
            in_group=in_group,
            kind=_media_kind(message),
        )
    return Inbound(event, chat.id, chat.type, kind, log_text=log_excerpt(text or message.caption))


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
        log_text=log_excerpt(query.data),
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


@dataclass
class Outgoing:
    """One Bot API message: a text (HTML) or a photo with an optional caption."""

    text: str = ""
    image: Image | None = None
    markup: Markup | None = None
    #: The same content without formatting, if Telegram rejects the HTML.
    plain: str = ""


def render(reply: Reply) -> list[Outgoing]:
    """The messages that show one reply: long texts split, buttons on the last message."""
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
    return len(text.encode("utf-16-le")) // 2


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
