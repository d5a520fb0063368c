"""Pure translation of Telegram updates into core events (payloads out: :mod:`.render`).

Nothing here does I/O, so it is tested (and fuzzed) without a network. The channel
(:mod:`bot.channels.telegram.channel`) does the calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from telegram import (
    Message,
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

CHANNEL = "telegram"
#: The update types we ask Telegram for (polling and webhook alike).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member", "poll_answer")
#: The largest photo we download for a flow that asked for one (bytes).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
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
