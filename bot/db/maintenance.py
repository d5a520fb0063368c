"""Housekeeping that runs inside ``votebot serve``: forget what is no longer needed.

- ``processed_messages`` only has to remember an inbound id for as long as a platform may deliver
  it again (Telegram keeps undelivered updates for 24 hours; Meta retries a webhook for up to 7
  days). Keeping ids longer would only keep data (a WhatsApp message id can encode the sender's
  number).
- A ``/lapor`` draft (what the user typed, a photo) left unfinished for :data:`DRAFT_RETENTION`
  is wiped: the user walked away, and the draft must not outlive the conversation.
- Engagement-log rows older than ``VOTEBOT_LOG_RETENTION_DAYS`` (default 2 years) are anonymised
  like a deleted user's rows: still counted as events, no longer linked to anyone.
- A ``/lapor`` report shared with the team loses its text and photo 180 days after it was made
  (:func:`bot.reports.shared.expire_shared`); its anonymous record stays.
- Ended dashboard sessions and old failed-login rows are dropped.
- The unanswered-questions queue keeps a question 90 days, and a request to be told 30 days
  (:func:`bot.core.questions.prune`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.privacy import anonymise_rows
from bot.core.timezones import WIB
from bot.db.models import ConversationState, EngagementEvent, ProcessedMessage, utcnow
from bot.periodic import PeriodicService
from bot.runtime import Runtime
from bot.web.sessions import forget_expired

log = logging.getLogger(__name__)

#: The ``/lapor`` flow's name in the conversation state (bot.core.flows.report.FLOW).
REPORT_FLOW = "report"

#: How long an inbound message id is remembered for de-duplication.
PROCESSED_RETENTION = timedelta(days=8)
#: How long an unfinished report draft is kept.
DRAFT_RETENTION = timedelta(hours=24)
#: Log rows anonymised per round (a big backlog is worked off over several rounds).
ANONYMISE_BATCH = 5000
#: How often the housekeeping runs.
INTERVAL_SECONDS = 3600.0


async def prune_processed(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete de-duplication ids older than the retention; return how many were deleted."""
    cutoff = (now or utcnow()) - PROCESSED_RETENTION
    result = await session.execute(
        delete(ProcessedMessage).where(ProcessedMessage.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def expire_drafts(session: AsyncSession, now: datetime | None = None) -> int:
    """Wipe ``/lapor`` drafts idle for longer than :data:`DRAFT_RETENTION`; return how many."""
    cutoff = (now or utcnow()) - DRAFT_RETENTION
    result = await session.execute(
        update(ConversationState)
        .where(ConversationState.flow == REPORT_FLOW, ConversationState.updated_at < cutoff)
        .values(flow=None, step=None, data={})
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def anonymise_old_events(
    session: AsyncSession, retention_days: int, now: datetime | None = None
) -> int:
    """Anonymise up to :data:`ANONYMISE_BATCH` log rows older than the retention period."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    rows = (
        await session.execute(
            select(EngagementEvent.id, EngagementEvent.properties)
            .where(EngagementEvent.user_id.is_not(None), EngagementEvent.created_at < cutoff)
            .limit(ANONYMISE_BATCH)
        )
    ).all()
    return await anonymise_rows(session, rows)


class Housekeeping(PeriodicService):
    """Prunes once at start and then every ``interval`` seconds."""

    name = "housekeeping"
    singleton = "housekeeping"

    def __init__(self, runtime: Runtime, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.runtime = runtime
        self.db = runtime.db

    async def run_once(self) -> int:
        from bot.core.questions import prune as prune_questions
        from bot.reports.shared import expire_shared

        retention = self.runtime.settings.log_retention_days
        async with self.runtime.db.transaction() as session:
            deleted = await prune_processed(session)
            questions, watchers = await prune_questions(session)
            drafts = await expire_drafts(session)
            shared = await expire_shared(session, utcnow().astimezone(WIB).date())
            anonymised = await anonymise_old_events(session, retention)
            await forget_expired(session)
        if deleted:
            log.info("housekeeping: forgot %d old inbound message ids", deleted)
        if questions or watchers:
            log.info(
                "housekeeping: deleted %d queued questions (90 days) and %d requests to be told "
                "(30 days)",
                questions,
                watchers,
            )
        if drafts:
            log.info("housekeeping: wiped %d abandoned report drafts", drafts)
        if shared:
            log.info("housekeeping: stripped %d shared reports past 180 days", shared)
        if anonymised:
            log.info("housekeeping: anonymised %d log rows past the retention", anonymised)
        return deleted + questions + watchers + drafts + shared + anonymised


def create(runtime: Runtime, channels: Sequence[object]) -> Housekeeping:
    return Housekeeping(runtime)
