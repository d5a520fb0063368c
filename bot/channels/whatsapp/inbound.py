"""WhatsApp inbound: check a webhook body and turn its messages into core events.

Everything here is checked before anything is stored: a body with a message whose sender or id
is not a string of sane length is refused as a whole (400). A message older than
``VOTEBOT_INBOUND_MAX_AGE`` (by its own ``timestamp``) is acknowledged but not handled, so a
signed body replayed after the de-duplication ids are forgotten does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.inbound import BadRequest
from bot.channels.whatsapp.statuses import items
from bot.core.events import (
    ButtonEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
)

CHANNEL = "whatsapp"
#: A WhatsApp id is a phone number in digits; anything else is not from Meta.
WA_ID_RE = re.compile(r"[0-9]{1,32}")
#: Longest message id accepted (Meta's are about 60 characters; longer ones are hashed to store).
MAX_MESSAGE_ID = 512
#: WhatsApp message types the core cannot read, by the ``kind`` the core knows them as.
MEDIA_KINDS = {
    "image": "photo",
    "sticker": "sticker",
    "audio": "voice",
    "video": "video",
    "document": "document",
    "contacts": "contact",
    "reaction": "reaction",
}


@dataclass(frozen=True)
class Message:
    """One inbound message of a webhook body, checked."""

    wa_id: str
    message_id: str
    #: Seconds since the epoch by the message's ``timestamp`` (None when absent or unreadable).
    timestamp: float | None
    body: Mapping[str, Any]
    name: str | None


@dataclass
class Body:
    """A webhook body for our phone number: statuses first, then messages in order."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    #: Changes addressed to another phone number id (ignored, logged).
    foreign: int = 0
    #: Our number as Meta shows it (``metadata.display_phone_number``), digits only.
    display_number: str | None = None


def _digits(value: Any) -> str | None:
    """A phone number's digits (country code first), or None if it is not one."""
    if not isinstance(value, str):
        return None
    digits = re.sub(r"[\s()+-]", "", value)
    return digits if digits.isdigit() and 8 <= len(digits) <= 15 else None


def _timestamp(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_body(data: Mapping[str, Any], phone_number_id: str) -> Body:
    """The statuses and messages of a webhook body; raises :class:`BadRequest` (400)."""
    body = Body()
    for entry in items(data.get("entry")):
        for change in items(entry.get("changes")):
            if change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else {}
            if str(metadata.get("phone_number_id", phone_number_id)) != phone_number_id:
                body.foreign += 1
                continue
            body.display_number = body.display_number or _digits(
                metadata.get("display_phone_number")
            )
            names = {
                c.get("wa_id"): (c.get("profile") or {}).get("name")
                for c in items(value.get("contacts"))
                if isinstance(c.get("wa_id"), str) and isinstance(c.get("profile") or {}, dict)
            }
            body.statuses.extend(items(value.get("statuses")))
            for message in items(value.get("messages")):
                wa_id, message_id = message.get("from"), message.get("id")
                if not isinstance(wa_id, str) or not WA_ID_RE.fullmatch(wa_id):
                    raise BadRequest(400, "message sender is not a WhatsApp id")
                if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID:
                    raise BadRequest(400, "message id missing or not a string")
                name = names.get(wa_id)
                body.messages.append(
                    Message(
                        wa_id,
                        message_id,
                        _timestamp(message.get("timestamp")),
                        message,
                        name[:64] if isinstance(name, str) else None,
                    )
                )
    return body


async def to_event(
    message: Message,
    wants_media: Callable[[UserRef], Awaitable[bool]],
    download: Callable[[str], Awaitable[bytes | None]],
) -> InboundEvent:
    """The core event for a WhatsApp message; a photo is downloaded only if a flow asks."""
    user = UserRef(CHANNEL, message.wa_id)
    first_name = message.name
    kind = str(message.body.get("type") or "unknown")
    raw = message.body.get(kind)
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if kind == "text":
        return TextEvent(user=user, first_name=first_name, text=str(body.get("body", "")))
    if kind == "interactive":
        itype = str(body.get("type", ""))
        choice = body.get(itype) if itype in ("button_reply", "list_reply") else None
        if isinstance(choice, dict) and choice.get("id"):
            return ButtonEvent(user=user, first_name=first_name, payload=str(choice["id"])[:256])
        return UnsupportedEvent(user=user, first_name=first_name, kind="interactive")
    if kind == "button":
        # A quick-reply button of a template: its text reads like what the user would type.
        return TextEvent(user=user, first_name=first_name, text=str(body.get("text", "")))
    if kind == "location":
        try:
            lat, lon = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            lat = lon = float("nan")
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return LocationEvent(user=user, first_name=first_name, latitude=lat, longitude=lon)
        return UnsupportedEvent(user=user, first_name=first_name, kind="location")
    data = None
    if kind == "image" and await wants_media(user):
        data = await download(str(body.get("id", "")))
    caption = body.get("caption")  # images, videos and documents may carry one
    return UnsupportedEvent(
        user=user,
        first_name=first_name,
        kind=MEDIA_KINDS.get(kind, kind[:32]),
        data=data,
        caption=caption if isinstance(caption, str) else None,
    )
