"""The last look before sending: is this row still to be sent, now, to this person?

Read in one query for a chunk of rows (a tenth of a second of sending): the broadcast is still
sending and not expired for the recipient, the recipient still holds the broadcast's consent and
is reachable, and it is not quiet hours (or a hold such as an election's quiet period) where
they live. Held rows go back to pending until the hold ends, unless the broadcast expires first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.core import broadcasts as bc
from bot.core import consent
from bot.core.i18n import Translator
from bot.core.replies import Reply
from bot.db import outbox_repo
from bot.db.models_broadcast import CANCELLED, PENDING, SENDING, SKIPPED
from bot.db.outbox_repo import Claimed
from bot.experiments.links import tracked_links, with_link
from bot.runtime import Runtime

from .outcomes import Outcome


@dataclass
class Verdicts:
    #: rows to send now: (row, external id, replies)
    send: list[tuple[Claimed, str, list[Reply]]] = field(default_factory=list)
    #: rows settled without a send (skipped, held, expired): recorded by the writer
    outcomes: list[Outcome] = field(default_factory=list)
    #: rows to give back as they are (their broadcast is paused)
    release: list[Claimed] = field(default_factory=list)


class Rechecker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self._translators: dict[str, Translator] = {}

    def translator(self, locale: str) -> Translator:
        t = self._translators.get(locale)
        if t is None:
            t = self._translators[locale] = self.runtime.core.translator(locale)
        return t

    async def check(self, channel: str, rows: Sequence[Claimed], now: datetime) -> Verdicts:
        out = Verdicts()
        holds: dict[int, tuple[str, datetime]] = {}
        async with self.runtime.db.sessions() as session:
            found = await outbox_repo.recheck_rows(session, [r.id for r in rows])
            # An experiment's tracked link button, per recipient (bot.experiments.links).
            links = await tracked_links(
                session, self.settings.public_url, [(r.broadcast_id, r.user_id) for r in rows]
            )
            if bc.HOLD_RULES:
                for row_id, (b, _e, ok, reachable, _l, _c, region_id, *_tz) in found.items():
                    if b.status != SENDING or not ok or not reachable:
                        continue
                    if b.consent == consent.VOTING_DAY or bc.is_reminder(b.content_id):
                        continue
                    for rule in bc.HOLD_RULES:
                        until = await rule(session, region_id, now)
                        if until is not None and until > now:
                            holds[row_id] = ("quiet_period", until)
                            break
        for row in rows:
            if row.id not in found:  # the user deleted their data meanwhile
                continue
            b, external_id, ok, reachable, locale, lang, _r, level, tz, ptz = found[row.id]
            zone_name = tz if level == "province" else ptz
            expires = bc.expires_for(b, zone_name)

            def settle(
                values: dict[str, object], row: Claimed = row, ext: str = external_id
            ) -> None:
                out.outcomes.append(Outcome(row, channel, ext, dict(values)))

            if b.status != SENDING:
                if b.status == CANCELLED:
                    settle({"status": SKIPPED, "error": "cancelled"})
                else:
                    out.release.append(row)
            elif expires is not None and now >= expires:
                settle({"status": SKIPPED, "error": bc.EXPIRED})
            elif not ok:
                settle({"status": SKIPPED, "error": "opted_out"})
            elif not reachable:
                settle({"status": SKIPPED, "error": "unreachable"})
            else:
                until = bc.quiet_until(now, zone_name, self.settings.quiet_hours_range)
                hold = ("quiet_hours", until) if until is not None else holds.get(row.id)
                if hold is not None and expires is not None and hold[1] >= expires:
                    settle({"status": SKIPPED, "error": bc.EXPIRED})
                elif hold is not None:
                    settle({"status": PENDING, "next_attempt_at": hold[1], "error": hold[0]})
                else:
                    core = self.runtime.core
                    t = self.translator(core.user_locale(locale, lang))
                    replies = bc.render_for(b, t, self.settings.default_locale)
                    link = links.get((row.broadcast_id, row.user_id))
                    if link is not None:
                        replies = with_link(replies, t, link)
                    out.send.append((row, external_id, replies))
        return out
