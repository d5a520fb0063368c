"""Broadcast segments: who a broadcast goes to.

A segment is a comma-separated list of terms that must all hold (AND); a term's alternatives are
separated by ``|`` (OR). Every segment is further limited to reachable users who hold the
broadcast's consent (:mod:`bot.core.consent`: general updates, or the voting-day reminder).

    all                         every opted-in user (alone, or the same as an empty segment)
    locale=id                   the user's language (users who never chose count as the default)
    province=<id or name>       the user's saved area lies in this province
    kabupaten=<id or name>      ... in this kabupaten/kota
    channel=telegram            telegram, whatsapp, ...
    pledged                     the pledge stands (signed, not withdrawn): the pledges table
    quiz_finished               finished at least one quiz
    reminder                    holds the voting-day reminder consent (reminder_opt_ins, pledge
                                standing)
    referral=CODE               arrived through this referral code (user_referrals)
    active_days=30              wrote to the bot in the last 30 days

e.g. ``locale=id,province=Jawa Tengah|DI Yogyakarta,pledged,active_days=30``.

Place aliases from ``content/places.yaml`` work too: ``province=Jateng|Jogja,kabupaten=Jaksel``
is read as Jawa Tengah, Daerah Istimewa Yogyakarta and Jakarta Selatan (see :func:`parse_segment`).

Simulator users (channel ``sim``) live only in the sandbox (``votebot chat``, ``--sandbox``): there
they count like anyone else; on real data they are left out, and ``channel=sim`` is refused.

Errors carry an English message id and its values, so each caller shows them in its own language
(:meth:`SegmentError.translate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import consent
from bot.core.i18n import N_, Explained
from bot.core.regions import name_key
from bot.core.understanding.places import Places
from bot.db.models import Region, User, utcnow
from bot.db.models_pledge import Pledge, ReferralCode, UserReferral
from bot.db.models_quiz import QuizAttempt

SIMULATOR_CHANNEL = "sim"
FLAGS = ("pledged", "quiz_finished", "reminder")
KEYS = ("locale", "province", "kabupaten", "channel", "referral", "active_days")


class SegmentError(Explained):
    """A segment expression that cannot be understood; the message says why.

    ``str(error)`` is English (the command line); :meth:`translate` gives the user's language.
    """


@dataclass(frozen=True)
class Segment:
    """A parsed segment: key → alternatives, plus flags."""

    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    @property
    def is_all(self) -> bool:
        return not self.terms and not self.flags

    def describe(self) -> str:
        """The canonical expression (parse(describe()) gives the same segment)."""
        parts = [f"{k}={'|'.join(v)}" for k, v in sorted(self.terms.items())]
        parts += sorted(self.flags)
        return ",".join(parts) or "all"


def parse_segment(text: str, places: Places | None = None) -> Segment:
    """Parse an expression; with ``places``, a province or kabupaten alias becomes its name."""
    terms: dict[str, tuple[str, ...]] = {}
    flags: set[str] = set()
    items = [t.strip() for t in text.split(",")]
    if not any(items) or [i.lower() for i in items if i] == ["all"]:
        return Segment()
    for item in items:
        if not item:
            raise SegmentError(N_("empty term (two commas in a row?)"))
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep:
            if key == "all":
                raise SegmentError(N_("“all” cannot be combined with other terms"))
            if key not in FLAGS:
                raise SegmentError(
                    N_("unknown term “{term}”; known: {known}"),
                    term=item,
                    known=", ".join([*FLAGS, *(k + "=…" for k in KEYS)]),
                )
            flags.add(key)
            continue
        if key not in KEYS:
            raise SegmentError(
                N_("unknown key “{key}”; known: {known}"), key=key, known=", ".join(KEYS)
            )
        if key in terms:
            raise SegmentError(
                N_("{key} given twice; use | for alternatives, e.g. {key}=a|b"), key=key
            )
        values = tuple(v.strip() for v in value.split("|"))
        if not all(values):
            raise SegmentError(N_("{key}= needs a value"), key=key)
        if key == "active_days" and (
            len(values) != 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= 3650
        ):
            raise SegmentError(N_("active_days must be a number of days from 1 to 3650"))
        if key in ("locale", "channel"):
            values = tuple(v.lower() for v in values)
        if key in ("province", "kabupaten") and places is not None:
            values = tuple(_place_name(places, key, v) for v in values)
        terms[key] = values
    return Segment(terms, frozenset(flags))


def _place_name(places: Places, level: str, value: str) -> str:
    """``Jateng`` → ``Jawa Tengah`` (title case, as admins write it); other values unchanged."""
    if value.isdigit():
        return value
    name = places.canonical(value, level)
    return name.title() if name is not None else value


async def _region_ids(session: AsyncSession, level: str, values: tuple[str, ...]) -> list[int]:
    ids: list[int] = []
    for value in values:
        if value.isdigit():
            stmt = select(Region.id).where(Region.level == level, Region.id == int(value))
        else:
            stmt = select(Region.id).where(
                Region.level == level, Region.name_key == name_key(value)
            )
        found = list((await session.scalars(stmt)).all())
        if not found:
            message = (
                N_("no province called “{name}” (give its name or region id)")
                if level == "province"
                else N_("no kabupaten/kota called “{name}” (give its name or region id)")
            )
            raise SegmentError(message, name=value)
        ids.extend(found)
    return ids


async def conditions(
    session: AsyncSession,
    segment: Segment,
    *,
    default_locale: str,
    now: datetime | None = None,
    consent_kind: str = consent.BROADCASTS,
    sandbox: bool = False,
) -> list[ColumnElement[bool]]:
    """SQL conditions on ``User`` for the segment, including the consent ``consent_kind`` and
    reachability (:func:`bot.core.consent.sendable`).

    ``pledged``, ``reminder`` and ``referral=`` read the pledge, reminder and referral tables,
    the same rows the conversation changes, never the engagement log. ``sandbox``: simulator
    users count (the simulator's database); otherwise they never do.
    """
    conds: list[ColumnElement[bool]] = [consent.sendable(consent_kind)]
    terms = segment.terms
    if not sandbox and SIMULATOR_CHANNEL in terms.get("channel", ()):
        raise SegmentError(
            N_("simulator users live in the sandbox: try it in the simulator or with --sandbox")
        )
    if "channel" in terms:
        conds.append(User.channel.in_(terms["channel"]))
    elif not sandbox:
        conds.append(User.channel != SIMULATOR_CHANNEL)
    if "locale" in terms:
        locales = list(terms["locale"])
        cond: ColumnElement[bool] = User.locale.in_(locales)
        if default_locale in locales:
            cond = or_(cond, User.locale.is_(None))
        conds.append(cond)
    for level in ("province", "kabupaten"):
        if level in terms:
            ids = await _region_ids(session, level, terms[level])
            column = Region.province_id if level == "province" else Region.kabupaten_id
            in_area = select(Region.id).where(or_(column.in_(ids), Region.id.in_(ids)))
            conds.append(User.region_id.in_(in_area))
    if "referral" in terms:
        codes = [c.strip().upper() for c in terms["referral"]]
        conds.append(
            exists().where(
                UserReferral.user_id == User.id,
                UserReferral.code_id == ReferralCode.id,
                ReferralCode.code.in_(codes),
            )
        )
    if "active_days" in terms:
        since = (now or utcnow()) - timedelta(days=int(terms["active_days"][0]))
        conds.append(User.last_seen_at >= since)
    if "pledged" in segment.flags:
        conds.append(exists().where(Pledge.user_id == User.id, Pledge.withdrawn_at.is_(None)))
    if "quiz_finished" in segment.flags:
        # The attempts table, not the event log: one source of truth, kept as the quiz goes.
        conds.append(
            exists().where(QuizAttempt.user_id == User.id, QuizAttempt.status == "completed")
        )
    if "reminder" in segment.flags:
        conds.append(consent.condition(consent.VOTING_DAY))
    return conds


async def audience_query(
    session: AsyncSession,
    segment: Segment,
    *,
    default_locale: str,
    now: datetime | None = None,
    consent_kind: str = consent.BROADCASTS,
    sandbox: bool = False,
) -> Select[Any, Any]:
    conds = await conditions(
        session,
        segment,
        default_locale=default_locale,
        now=now,
        consent_kind=consent_kind,
        sandbox=sandbox,
    )
    return select(User.id, User.channel).where(and_(*conds))


async def audience_size(
    session: AsyncSession,
    segment: Segment,
    *,
    default_locale: str,
    now: datetime | None = None,
    consent_kind: str = consent.BROADCASTS,
    sandbox: bool = False,
) -> dict[str, int]:
    """Recipients per channel."""
    conds = await conditions(
        session,
        segment,
        default_locale=default_locale,
        now=now,
        consent_kind=consent_kind,
        sandbox=sandbox,
    )
    stmt = select(User.channel, func.count()).where(and_(*conds)).group_by(User.channel)
    return {channel: int(n) for channel, n in (await session.execute(stmt)).all()}
