"""Notifications: messages to one chat outside its conversation, queued in the same transaction
as what caused them (a new report for the admins, an approval request, a broadcast's progress)
and sent by the fleet's sender for the channel (:mod:`bot.broadcast.dispatcher`), within the
platform's budget. A crash after the commit loses none; a rolled-back event sends none.

A notice to a user who did not just ask for it (e.g. "your answer is ready") names the consent it
needs; it is queued only if the user holds it and re-checked when it is sent.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import consent as consents
from bot.core.events import UserRef
from bot.core.privacy import register_eraser
from bot.core.replies import Button, Image, Reply
from bot.db import outbox_repo
from bot.db.models import User
from bot.db.models_broadcast import Notification

#: A notification not sent within this long is dropped (``expired``): it would be stale news.
DEFAULT_TTL = timedelta(days=2)


def dump_replies(replies: list[Reply]) -> list[dict[str, Any]]:
    """Replies as JSON-safe data (an image's bytes in base64)."""
    out = []
    for r in replies:
        item: dict[str, Any] = {"text": r.text}
        if r.buttons:
            item["buttons"] = [
                [{"label": b.label, "payload": b.payload, "url": b.url} for b in row]
                for row in r.buttons
            ]
        if r.image is not None:
            item["image"] = {
                "data": base64.b64encode(r.image.data).decode("ascii"),
                "filename": r.image.filename,
                "caption": r.image.caption,
            }
        out.append(item)
    return out


#: A notification's data may end with ``{"template": ID, "params": {...}}``: the approved WhatsApp
#: template sent instead of the replies outside the 24-hour window.
TEMPLATE_KEY = "template"


def template_of(data: list[dict[str, Any]]) -> tuple[str, dict[str, str]] | None:
    for item in data:
        if TEMPLATE_KEY in item:
            return str(item[TEMPLATE_KEY]), {str(k): str(v) for k, v in item["params"].items()}
    return None


def load_replies(data: list[dict[str, Any]]) -> list[Reply]:
    out = []
    for item in data:
        if TEMPLATE_KEY in item:
            continue
        image = item.get("image")
        out.append(
            Reply(
                str(item.get("text", "")),
                [
                    [Button(b["label"], payload=b.get("payload"), url=b.get("url")) for b in row]
                    for row in item.get("buttons", [])
                ],
                image=Image(
                    base64.b64decode(image["data"]),
                    filename=image.get("filename", "image.png"),
                    caption=image.get("caption", ""),
                )
                if image
                else None,
            )
        )
    return out


async def enqueue(
    session: AsyncSession,
    ref: UserRef,
    replies: list[Reply],
    now: datetime,
    *,
    consent: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> bool:
    """Queue ``replies`` for ``ref``; False if it needs a consent the user does not hold."""
    if consent is not None:
        user_id = await session.scalar(
            select(User.id).where(User.channel == ref.channel, User.external_id == ref.external_id)
        )
        if user_id is None or not await consents.may_send(session, user_id, consent):
            return False
    row = await outbox_repo.add_notification(
        session,
        channel=ref.channel,
        external_id=ref.external_id,
        replies=dump_replies(replies),
        now=now,
        expires_at=now + ttl,
    )
    row.consent = consent
    return True


@register_eraser
async def erase_notifications(session: AsyncSession, user_id: int) -> None:
    """``/hapus``: notifications still addressed to the user go with their data."""
    user = await session.get(User, user_id)
    if user is not None:
        await session.execute(
            delete(Notification).where(
                Notification.channel == user.channel,
                Notification.external_id == user.external_id,
            )
        )
