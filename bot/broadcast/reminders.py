"""Voting-day reminders for pledge signers who asked for them, sent by the broadcast engine.

For the next voting day in ``content/calendar.md`` two broadcasts go to the ``reminder`` segment
(signers holding the voting-day reminder consent, reachable): one the evening before and one the
morning of. Each is created when it is due, so people who opt in until then are included. They
are created at times in WIB chosen so that quiet hours spread them over Indonesia's time zones:
the evening one at 18:00 WIB (19:00 WITA, 20:00 WIT); the morning one at 04:00 WIB, which quiet
hours (until 06:00 local) release at 06:00 in each zone, before the TPS open at 07:00.

Each expires at a wall-clock time in the recipient's own zone (the evening one at midnight before
voting day, the morning one at 12:00), and a row not sent by then is skipped as ``expired``.

It runs once per fleet (the ``reminders`` lease), and a claim row in ``app_meta`` makes sure each
reminder is created once even so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import consent
from bot.core.broadcasts import REMINDER_PREFIX, HoldRule, create_broadcast
from bot.core.calendar import CALENDAR_ID, WIB, Calendar, Election, today_in_wib
from bot.core.i18n import N_, Translator
from bot.core.segments import parse_segment
from bot.core.timezones import from_wall_clock
from bot.db import repo
from bot.db.models import utcnow
from bot.periodic import PeriodicService
from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: Each reminder: when it is created (days from voting day, a time in WIB) and when it expires
#: (days from voting day, a wall-clock time in each recipient's own zone). The evening one says
#: "tomorrow", so it expires at midnight before voting day wherever the recipient lives; the
#: morning one an hour before the TPS close.
SCHEDULE = {
    "evening": (dt.timedelta(days=-1), dt.time(18, 0), dt.timedelta(days=0), dt.time(0, 0)),
    "morning": (dt.timedelta(days=0), dt.time(4, 0), dt.timedelta(days=0), dt.time(12, 0)),
}
CHECK_SECONDS = 300.0

TEXTS = {
    "evening": N_(
        "🗳️ **Tomorrow is voting day: {election}!**\n\n"
        "The TPS are open 07.00–13.00 local time. Bring your KTP-el, and the Formulir Model C "
        "Pemberitahuan if you received one. Remember your pledge: no money, no gifts for your "
        "vote. See you at the TPS! /tps finds yours."
    ),
    "morning": N_(
        "🗳️ **Today is voting day: {election}!**\n\n"
        "The TPS are open until 13.00 local time. Bring your KTP-el. Your vote is yours: "
        "not for sale. /tps shows where to go."
    ),
}


def due_reminders(calendar: Calendar, now: dt.datetime) -> list[tuple[Election, str, dt.datetime]]:
    """The reminders that should exist by ``now`` and are still useful everywhere: (election,
    kind, expiry as a wall-clock time). None is created once it has expired in the zone where
    the day starts first (WIT), so "tomorrow is voting day" is never queued on voting day."""
    out = []
    for election in calendar.elections:
        day = election.voting_day
        for kind, (offset, at, expiry_offset, expiry_at) in SCHEDULE.items():
            due = dt.datetime.combine(day + offset, at, WIB)
            expires = dt.datetime.combine(day + expiry_offset, expiry_at, dt.UTC)
            if due <= now < from_wall_clock(expires, "WIT"):
                out.append((election, kind, expires))
    return out


async def create_due_reminders(runtime: Runtime, now: dt.datetime | None = None) -> list[int]:
    """Create every due, not yet created reminder broadcast; return their ids."""
    calendar = runtime.content.get("calendar", CALENDAR_ID, runtime.settings.default_locale)
    if not isinstance(calendar, Calendar):
        return []
    now = now or utcnow()
    created = []
    for election, kind, expires in due_reminders(calendar, now):
        async with runtime.db.transaction() as session:
            claimed = await repo.claim_meta(
                session, f"reminder:{election.id}:{kind}", utcnow().isoformat()
            )
            if not claimed:
                continue
            texts = {
                locale: Translator(locale, runtime.settings.locales_dir)(TEXTS[kind]).format(
                    election=election.display_name(locale, runtime.settings.default_locale)
                )
                for locale in runtime.core.locales
            }
            broadcast = await create_broadcast(
                session,
                runtime.settings,
                title=f"Voting-day reminder ({kind}): {election.id}"[:120],
                texts=texts,
                segment=parse_segment("reminder"),
                creator=None,
                content_id=f"{REMINDER_PREFIX}{kind}",
                via="reminders",
                now=now,
                consent=consent.VOTING_DAY,
                expires_at=expires,
                expires_local=True,
            )
            created.append(broadcast.id)
            log.info(
                "voting-day reminder (%s) for %s queued for %d signers",
                kind,
                election.id,
                broadcast.audience,
            )
    return created


def quiet_period_rule(runtime: Runtime) -> HoldRule:
    """A hold rule: during a ``quiet-period`` stage of the calendar, hold until it is over.

    Quiet periods are set nationwide (the 2024 Pilkada was simultaneous), so the recipient's
    region does not matter; the hold ends at 00:00 WIB after the stage's last day.
    """

    async def rule(
        session: AsyncSession, region_id: int | None, now: dt.datetime
    ) -> dt.datetime | None:
        calendar = runtime.content.get("calendar", CALENDAR_ID, runtime.settings.default_locale)
        if not isinstance(calendar, Calendar):
            return None
        today = today_in_wib(now)
        for election in calendar.elections:
            for stage in election.stages:
                last = stage.end or stage.date
                if stage.kind == "quiet-period" and stage.date <= today <= last:
                    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), WIB)
        return None

    return rule


class ElectionReminders(PeriodicService):
    """Checks every few minutes whether a reminder is due (cheap when none is)."""

    name = "voting-day reminders"
    singleton = "reminders"

    def __init__(self, runtime: Runtime, clock: Callable[[], dt.datetime] = utcnow) -> None:
        super().__init__(CHECK_SECONDS)
        self.runtime, self.clock = runtime, clock
        self.db = runtime.db

    async def run_once(self) -> list[int]:
        return await create_due_reminders(self.runtime, self.clock())


def create_service(runtime: Runtime, channels: Sequence[object]) -> ElectionReminders | None:
    return ElectionReminders(runtime) if channels else None
