"""Tell people who asked to be told: queue the answer once an FAQ entry answers their question.

A background service of ``votebot serve`` (``SERVICES`` in bot/server.py); ``votebot questions
check --notify`` does one round by hand. Content is loaded at start, so a new FAQ entry counts
after a restart (or a deploy), and the next round finds the questions it answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.i18n import Translator
from bot.core.questions import notify_answers
from bot.db.models import User
from bot.periodic import PeriodicService
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHECK_SECONDS = 600.0


async def notify_round(runtime: Runtime) -> int:
    """One round: queue every answer now due; return how many were queued."""
    core = runtime.core

    def translator(user: User) -> Translator:
        return core.translator(core.user_locale(user.locale, user.language_code))

    async with runtime.db.transaction() as session:
        queued = await notify_answers(session, runtime.content, translator)
    if queued:
        log.info("answers queued for %d people who asked to be told", queued)
    return queued


class AnswerNotifier(PeriodicService):
    name = "answers to queued questions"

    def __init__(self, runtime: Runtime, interval: float = CHECK_SECONDS) -> None:
        super().__init__(interval)
        self.runtime = runtime

    async def run_once(self) -> int:
        return await notify_round(self.runtime)


def create_service(runtime: Runtime, channels: Sequence[object]) -> AnswerNotifier | None:
    return AnswerNotifier(runtime) if channels else None
