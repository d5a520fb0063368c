"""What every CLI preview says about who a message reaches (broadcasts and poll invitations)."""

from __future__ import annotations

from bot.core.segments import Segment, audience_size
from bot.core.whatsapp_costs import whatsapp_cost
from bot.runtime import Runtime


async def audience_preview(rt: Runtime, seg: Segment) -> tuple[int, list[str]]:
    """Who a message to ``seg`` reaches, as every CLI preview prints it (broadcasts and poll
    invitations): the recipients per channel and, when WhatsApp users are among them, how many
    get the paid template and the messaging tier's headroom (:mod:`bot.core.whatsapp_costs`).
    Raises :class:`SegmentError` for a segment that names an unknown place."""
    settings = rt.settings
    async with rt.db.sessions() as session:
        sizes = await audience_size(
            session, seg, default_locale=settings.default_locale, sandbox=settings.sandbox
        )
        total = sum(sizes.values())
        per_channel = ", ".join(f"{c}: {n}" for c, n in sorted(sizes.items())) or "nobody"
        lines = [f"Audience: {total} opted-in, reachable user(s) ({per_channel})"]
        if sizes.get("whatsapp"):
            cost = await whatsapp_cost(session, seg, settings=settings, content=rt.content)
            if cost is not None:
                lines.append(cost.describe(rt.core.translator("en")))
    return total, lines
