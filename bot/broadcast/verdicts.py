"""Tell the people who asked "kabari aku" about verdicts published from the command line.

A verdict published in chat (``/periksa``) tells its followers in the same event. One published
with ``votebot claims publish`` has no channel at hand, so this service of ``votebot serve``
picks up published claims that still have followers, deletes their links (each person is told
once) and sends the notice through the channel's sender after the commit. It also deletes links
older than 30 days, answered or not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.events import UserRef
from bot.core.factcheck.checker import notice
from bot.core.factcheck.library import from_published
from bot.core.factcheck.queue import prune_followers, published_waiting, take_followers
from bot.core.replies import Reply
from bot.db.models_claims import ClaimReport, PublishedClaim
from bot.periodic import PeriodicService
from bot.runtime import Runtime

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


class ClaimNotifier(PeriodicService):
    name = "claim-notifier"

    def __init__(self, runtime: Runtime, interval: float = INTERVAL_SECONDS) -> None:
        super().__init__(interval)
        self.runtime = runtime

    async def run_once(self) -> int:
        core = self.runtime.core
        notes: list[tuple[UserRef, list[Reply]]] = []
        async with self.runtime.db.transaction() as session:
            await prune_followers(session)
            for report_id in await published_waiting(session):
                report = await session.get(ClaimReport, report_id)
                claim = (
                    await session.get(PublishedClaim, report.claim_id)
                    if report and report.claim_id
                    else None
                )
                if claim is None:
                    continue
                view = from_published(claim)
                for user in await take_followers(session, report_id):
                    t = core.translator(core.user_locale(user.locale, user.language_code))
                    notes.append((UserRef(user.channel, user.external_id), notice(t, view)))
        for ref, replies in notes:
            sender = core.senders.get(ref.channel)
            if sender is None:
                log.warning("no sender for %s: a verdict notice was not delivered", ref.channel)
                continue
            try:
                await sender(ref.external_id, replies)
            except Exception as exc:
                log.warning("verdict notice to a %s user failed: %s", ref.channel, exc)
        return len(notes)


def create_service(runtime: Runtime, channels: Sequence[object]) -> ClaimNotifier:
    return ClaimNotifier(runtime)
