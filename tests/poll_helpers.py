"""Shared set-up for poll tests: the bundled example poll, created and approved the way the CLI
does it, open from an hour ago for a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import ROOT
from bot.core.polls import store
from bot.core.polls.spec import parse_poll_file
from bot.db.engine import Database
from bot.db.models import utcnow

EXAMPLE = ROOT / "content" / "polls" / "info-sebelum-nyoblos.md"
POLL_ID = "info-sebelum-nyoblos"


async def open_example_poll(
    db: Database, *, now: datetime | None = None, segment: str | None = None
) -> str:
    now = now or utcnow()
    spec = parse_poll_file(EXAMPLE, ["id", "en"], "id")
    async with db.transaction() as session:
        await store.create_poll(
            session,
            spec,
            None,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            segment=segment,
        )
        await store.approve(session, spec.id, None)
    return spec.id
