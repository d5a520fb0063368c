"""Inbound events: what a channel adapter hands to the core.

Adapters turn a platform update into exactly one of these; nothing after that sees a platform
object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.core.formatting import no_surrogates


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as a channel knows them: ``("telegram", "12345")``, ``("whatsapp", "62812…")``."""

    channel: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @classmethod
    def parse(cls, value: str) -> UserRef:
        """Parse ``CHANNEL:ID`` (as used on the command line)."""
        channel, sep, external_id = value.partition(":")
        if not sep or not channel or not external_id:
            raise ValueError(f"expected CHANNEL:ID (e.g. telegram:12345), got {value!r}")
        return cls(channel.strip().lower(), external_id.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Fields every inbound event carries."""

    user: UserRef
    #: The client's language (e.g. Telegram's ``language_code``), used until the user chooses.
    language_code: str | None = None
    #: The user's first name as the platform gives it; never stored unless the user asks to.
    first_name: str | None = None
    #: True in a group chat (the bot then only answers commands addressed to it and buttons).
    in_group: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TextEvent(Event):
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandEvent(Event):
    """``/name args``; ``name`` is lower case without the slash or ``@botname``."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonEvent(Event):
    """A press on a button that carried ``payload``."""

    payload: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationEvent(Event):
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedEvent(Event):
    """Media the bot cannot read (sticker, voice, video, ...); ``kind`` names it."""

    kind: str
    #: The text sent with the media (a forwarded photo's caption), as the user wrote it; ``None``
    #: when there was none. A captioned photo is read like its caption (see the engine).
    caption: str | None = None
    #: Raw bytes of a photo, only where a flow asked for one (e.g. the report helper).
    data: bytes | None = field(default=None, repr=False)
    #: True once ``data`` was re-encoded without metadata (see :mod:`bot.core.photos`); the core
    #: does that before its transaction, off the event loop.
    clean: bool = False


InboundEvent = TextEvent | CommandEvent | ButtonEvent | LocationEvent | UnsupportedEvent


def caption_text(event: InboundEvent) -> str | None:
    """A photo's caption (not blank), read like typed text; ``None`` for anything else."""
    if isinstance(event, UnsupportedEvent) and event.kind == "photo" and event.caption:
        return event.caption if event.caption.strip() else None
    return None


def parse_command(text: str) -> tuple[str, tuple[str, ...]] | None:
    """Split ``/start ref_abc`` into ``("start", ("ref_abc",))``; ``None`` if not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, *args = stripped[1:].split()
    name = head.split("@", 1)[0].lower()
    if not name or not all(c.isalnum() or c == "_" for c in name):
        return None
    return name, tuple(args)


# Control characters (NUL, escape, ...) carry no meaning in a chat message and PostgreSQL refuses
# NUL in text: they are removed (tab and newlines stay). A lone UTF-16 surrogate (a client's broken
# emoji) cannot be encoded to UTF-8 at all: it becomes U+FFFD. The one clean-up of everything a
# user wrote, for every channel, before any flow sees it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without control characters, its lone surrogates replaced (U+FFFD)."""
    return no_surrogates(_CONTROL.sub("", text))


def _clean(value: str | None) -> str | None:
    return storable(value) if value is not None and _UNSTORABLE.search(value) else None


def sanitised(event: InboundEvent) -> InboundEvent:
    """``event`` with every string the user's client sent made :func:`storable`."""
    fields = ["first_name", "language_code"]
    if isinstance(event, TextEvent):
        fields.append("text")
    elif isinstance(event, ButtonEvent):
        fields.append("payload")
    elif isinstance(event, UnsupportedEvent):
        fields.append("caption")
    changes: dict[str, object] = {}
    for name in fields:
        cleaned = _clean(getattr(event, name))
        if cleaned is not None:
            changes[name] = cleaned
    if isinstance(event, CommandEvent) and any(_UNSTORABLE.search(a) for a in event.args):
        changes["args"] = tuple(storable(a) for a in event.args)
    return replace(event, **changes) if changes else event  # type: ignore[arg-type]
