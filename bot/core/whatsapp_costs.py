"""What a broadcast will cost on WhatsApp and whether the number's tier allows it, before sending.

WhatsApp delivers a free-form message only inside the 24-hour window after the user last wrote;
everyone else gets the approved ``update`` template, which Meta bills per message by its
category (utility, marketing, authentication). A number may also start conversations with only
so many unique users in a rolling 24 hours: its messaging tier (``WHATSAPP_TIER``: 1000, 10000,
100000 or unlimited), which Meta raises or lowers with the number's quality rating.

The preview counts the segment's WhatsApp recipients outside the window (each one a paid
template), names the template's category, and the tier's headroom: the tier minus the unique
WhatsApp users the bot messaged in the last 24 hours (broadcast outbox and notifications).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.content import ContentStore
from bot.core.i18n import Translator
from bot.core.segments import Segment, conditions
from bot.db.models import User, utcnow
from bot.db.models_broadcast import Notification, OutboxRow

CHANNEL = "whatsapp"
#: The template a broadcast goes out as outside the window (bot.channels.whatsapp.outbound).
BROADCAST_TEMPLATE = "update"
TEMPLATES = "whatsapp_templates"
WINDOW = timedelta(hours=24)
TIERS: dict[str, int | None] = {"1000": 1000, "10000": 10000, "100000": 100000, "unlimited": None}


@dataclass(frozen=True)
class WhatsAppCost:
    recipients: int
    outside_window: int
    #: The template's category (utility, marketing, authentication), None without a template.
    category: str | None
    #: Unique users the number may message in 24 hours (None: unlimited).
    tier: int | None
    #: Unique WhatsApp users the bot messaged in the last 24 hours.
    messaged: int

    @property
    def headroom(self) -> int | None:
        return None if self.tier is None else max(0, self.tier - self.messaged)

    @property
    def over_tier(self) -> bool:
        return self.headroom is not None and self.outside_window > self.headroom

    def describe(self, t: Translator) -> str:
        """The lines a preview shows, in ``t``'s language."""
        lines = [
            t.ngettext(
                "WhatsApp: {n} recipient wrote more than 24 hours ago, so they get the paid "
                "template (category: {category}).",
                "WhatsApp: {n} recipients wrote more than 24 hours ago, so they get the paid "
                "template (category: {category}).",
                self.outside_window,
            ).format(
                n=t.number(self.outside_window),
                category=self.category or t.gettext("no template configured"),
            )
        ]
        if self.tier is None:
            lines.append(t.gettext("Messaging tier: unlimited."))
        else:
            lines.append(
                t.gettext(
                    "Messaging tier: {tier} users per 24 hours; {used} messaged, {left} left."
                ).format(
                    tier=t.number(self.tier),
                    used=t.number(self.messaged),
                    left=t.number(self.headroom or 0),
                )
            )
        if self.over_tier:
            lines.append(
                t.gettext(
                    "⚠️ More than the tier allows: WhatsApp refuses the rest. Pick a smaller group "
                    "or send it later."
                )
            )
        return "\n".join(lines)


async def messaged_last_24h(session: AsyncSession, now: datetime) -> int:
    """Unique WhatsApp users sent a broadcast or notification in the 24 hours before ``now``."""
    since = now - WINDOW
    broadcast = await session.scalars(
        select(User.external_id)
        .distinct()
        .join(OutboxRow, OutboxRow.user_id == User.id)
        .where(OutboxRow.channel == CHANNEL, OutboxRow.sent_at >= since)
    )
    notified = await session.scalars(
        select(Notification.external_id)
        .distinct()
        .where(Notification.channel == CHANNEL, Notification.sent_at >= since)
    )
    return len(set(broadcast.all()) | set(notified.all()))


async def whatsapp_cost(
    session: AsyncSession,
    segment: Segment,
    *,
    settings: Settings,
    content: ContentStore,
    now: datetime | None = None,
) -> WhatsAppCost | None:
    """The WhatsApp side of a broadcast to ``segment``; None when it reaches nobody there."""
    now = now or utcnow()
    conds = await conditions(session, segment, default_locale=settings.default_locale, now=now)
    outside = or_(User.last_seen_at.is_(None), User.last_seen_at < now - WINDOW)
    row = (
        await session.execute(
            select(func.count(), func.count().filter(outside)).where(
                and_(*conds), User.channel == CHANNEL
            )
        )
    ).one()
    recipients, outside_window = int(row[0]), int(row[1])
    if recipients == 0:
        return None
    template = content.get(TEMPLATES, BROADCAST_TEMPLATE, settings.default_locale)
    category = str(template.meta.category) if template is not None else None
    return WhatsAppCost(
        recipients=recipients,
        outside_window=outside_window,
        category=category,
        tier=TIERS[settings.whatsapp_tier],
        messaged=await messaged_last_24h(session, now),
    )
