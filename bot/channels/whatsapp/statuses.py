"""WhatsApp delivery statuses: follow a sent message through sent → delivered → read."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bot.channels.whatsapp.api import UNDELIVERABLE
from bot.channels.whatsapp.outbound import CHANNEL, masked
from bot.core.events import UserRef
from bot.db import repo
from bot.db.models import utcnow
from bot.db.models_broadcast import OutboxRow
from bot.db.models_whatsapp import WhatsAppMessage
from bot.runtime import Runtime

log = logging.getLogger(__name__)

STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


async def record_status(runtime: Runtime, status: Mapping[str, Any]) -> None:
    """Follow a sent message through sent → delivered → read (or failed, with its code)."""
    message_id, state = str(status.get("id") or ""), str(status.get("status") or "")
    wa_id = str(status.get("recipient_id") or "")
    if not message_id or state not in STATUS_RANK or state == "accepted":
        return
    errors = items(status.get("errors"))
    code = errors[0].get("code") if errors else None
    code = code if isinstance(code, int) else None
    title = str(errors[0].get("title") or errors[0].get("message") or "")[:128] if errors else None
    now = utcnow()
    async with runtime.db.transaction() as session:
        await session.execute(
            repo.insert_ignore(session, WhatsAppMessage, ["message_id"]).values(
                message_id=message_id[:128],
                wa_id=wa_id[:64],
                kind="unknown",
                status=state,
                error_code=code,
                error_title=title,
                created_at=now,
                updated_at=now,
            )
        )
        row = await session.get(WhatsAppMessage, message_id[:128], with_for_update=True)
        if row is not None and STATUS_RANK[state] > STATUS_RANK.get(row.status, 0):
            row.status, row.updated_at = state, now
            if state == "failed":
                row.error_code, row.error_title = code, title
            # The engagement log keeps delivery figures for reports (no message ids, no text),
            # per broadcast when the message was one (the outbox row keeps its message id).
            user = await repo.get_user(session, UserRef(CHANNEL, wa_id)) if wa_id else None
            broadcast_id = await session.scalar(
                select(OutboxRow.broadcast_id)
                .where(OutboxRow.message_id == message_id[:128])
                .limit(1)
            )
            properties: dict[str, Any] = {"status": state}
            if code:
                properties["error_code"] = code
            if broadcast_id is not None:
                properties["broadcast_id"] = broadcast_id
            await repo.log_event(
                session,
                user_id=user.id if user else None,
                channel=CHANNEL,
                event_type="whatsapp",
                name="status",
                properties=properties,
            )
        if state == "failed":
            log.warning("WhatsApp message to %s failed: error %s %s", masked(wa_id), code, title)
            if code == UNDELIVERABLE and wa_id:
                await repo.mark_unreachable(session, UserRef(CHANNEL, wa_id), f"whatsapp {code}")
