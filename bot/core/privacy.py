"""Erasing a user's personal data while keeping the aggregate figures right.

Each feature that stores data about a user registers an eraser::

    @register_eraser
    async def erase_pledges(session: AsyncSession, user_id: int) -> None:
        await session.execute(delete(Pledge).where(Pledge.user_id == user_id))

:func:`erase_user` runs every eraser, then anonymises the user's engagement-log rows (``user_id``
becomes NULL and each row gets its own random token, so nothing groups them back into one
person; they stay in event counts, while standing figures and distinct-user counts drop the
person), deletes their conversation state and their ``users`` row (with the display name, saved
region, language and every other column), and logs ``privacy`` / ``user_deleted`` without any id.

Engagement-log rows older than ``VOTEBOT_LOG_RETENTION_DAYS`` are anonymised the same way by the
housekeeping service (:func:`anonymise_old_events`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import repo
from bot.db.models import ConversationState, EngagementEvent, User

#: 16 digits in a row (spaces, dots or dashes between groups allowed): looks like a NIK.
NIK_RE = re.compile(r"(?<!\d)(?:\d[\s.\-]?){15}\d(?!\d)")

#: An e-mail address.
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A link: a scheme, "www.", or a domain name with a path or a well-known ending.
LINK_RE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|id|net|org|io|co|me|ly|gov|go\.id|ac\.id|info|xyz|link)"
    r"\b(?:/\S*)?",
    re.IGNORECASE,
)
#: A phone number: 8 or more digits, maybe "+", spaces, dots, dashes or brackets between them.
PHONE_RE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\s.\-()]{0,2}\d){7,}(?!\w)")
#: A date such as 14-02-2024 or 14/2/2024, which is not a phone number.
_DATE_RE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
#: A user handle (@name), which names a person as surely as a number.
HANDLE_RE = re.compile(r"(?<![\w.])@\w{3,}")


def scrub(text: str) -> str:
    """``text`` with NIKs, e-mail addresses, links, phone numbers and @handles replaced by
    placeholders (``[NIK]``, ``[email]``, ``[link]``, ``[phone]``, ``[handle]``).

    The one scrubber for anything typed that is kept (e.g. the unanswered-questions queue).
    NIKs go first (16 digits would also pass for a phone number), e-mails before links.
    """
    text = NIK_RE.sub("[NIK]", text)
    text = EMAIL_RE.sub("[email]", text)
    text = LINK_RE.sub("[link]", text)
    text = PHONE_RE.sub(lambda m: m[0] if _DATE_RE.fullmatch(m[0]) else "[phone]", text)
    text = HANDLE_RE.sub("[handle]", text)
    return " ".join(text.split())


def without_contact_details(text: str) -> str:
    """``text`` without NIKs, e-mail addresses and phone numbers: what someone adds so they can
    be reached ("kabari 0812…") says nothing about what they ask, and only dilutes a match."""
    text = NIK_RE.sub(" ", text)
    text = EMAIL_RE.sub(" ", text)
    text = PHONE_RE.sub(lambda m: m[0] if _DATE_RE.fullmatch(m[0]) else " ", text)
    return " ".join(text.split())


#: Where an anonymised row keeps its random actor token (see the reports' distinct counts).
ANON_KEY = "_anon"

Eraser = Callable[[AsyncSession, int], Awaitable[None]]

#: Erasers of feature tables, run before the foundation's own data is removed.
ERASERS: list[Eraser] = []


def register_eraser(fn: Eraser) -> Eraser:
    """Register ``async fn(session, user_id)`` that deletes a feature's rows about a user."""
    if fn not in ERASERS:
        ERASERS.append(fn)
    return fn


async def anonymise_events(session: AsyncSession, user_id: int) -> int:
    """Detach the user's log rows from them; return how many rows were anonymised.

    Each row gets its own random token, so the anonymised rows of one person cannot be grouped
    back together (and so linked to a report, a region or a time pattern). They still count as
    events; distinct-user figures count only people who have not deleted their data.
    """
    rows = (
        await session.execute(
            select(EngagementEvent.id, EngagementEvent.properties).where(
                EngagementEvent.user_id == user_id
            )
        )
    ).all()
    return await anonymise_rows(session, rows)


async def anonymise_rows(session: AsyncSession, rows: Sequence[Any]) -> int:
    """Unlink ``(id, properties)`` log rows from their user, each with its own random token."""
    if rows:
        await session.execute(
            update(EngagementEvent),
            [
                {
                    "id": rid,
                    "user_id": None,
                    "properties": {**(props or {}), ANON_KEY: secrets.token_hex(8)},
                }
                for rid, props in rows
            ],
        )
    return len(rows)


async def erase_user(session: AsyncSession, user: User) -> int:
    """Delete ``user``'s personal data (see the module doc); return the anonymised row count."""
    from bot.db.schema import load_models

    load_models()  # every feature's model module, and so every eraser, is registered
    await repo.write_pending_events(session)
    await session.flush()  # pending log rows of this very event are anonymised too
    user_id, channel = user.id, user.channel
    for eraser in ERASERS:
        await eraser(session, user_id)
    count = await anonymise_events(session, user_id)
    state = await session.get(ConversationState, user_id)
    if state is not None:
        await session.delete(state)
    await session.delete(user)
    await session.flush()
    await repo.log_event(
        session, user_id=None, channel=channel, event_type="privacy", name="user_deleted"
    )
    return count
