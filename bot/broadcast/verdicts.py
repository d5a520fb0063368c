"""Tell the people who asked "kabari aku" about verdicts published from the command line.

A verdict published in chat (``/periksa``) tells its followers in the same event. One published
with ``votebot claims publish`` has no channel at hand, so this service of ``votebot serve``
picks up published claims that still have followers, deletes their links (each person is told
once) and queues the notice in the outbox in the same transaction (so the dispatcher sends it at
the channel's rate, and a crash never loses or repeats it). It also deletes links older than 30
days, answered or not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core import notifications
from bot.core.events import UserRef
from bot.core.factcheck.checker import notice
from bot.core.factcheck.library import from_published
from bot.core.factcheck.queue import prune_followers, published_waiting, take_followers
from bot.db.models import utcnow
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
        told = 0
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
                    ref = UserRef(user.channel, user.external_id)
                    await notifications.enqueue(session, ref, notice(t, view), utcnow())
                    told += 1
        return told


def create_service(runtime: Runtime, channels: Sequence[object]) -> ClaimNotifier:
    return ClaimNotifier(runtime)
