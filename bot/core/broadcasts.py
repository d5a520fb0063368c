"""Broadcasts: the Markdown file format, creating one for a segment, its lifecycle and its figures.

Delivery itself lives in :mod:`bot.broadcast.dispatcher` (it needs the channels); this module is
plain core code shared by the CLI and the ``/siaran`` chat flow.

A broadcast file (``content/broadcasts/<id>.md``) has front matter with ``id``, ``title`` and
``sources``, then one section per locale, each opened by a ``# <locale>`` line::

    ---
    id: cek-dpt
    title: Reminder to check the voter list
    sources:
      - id: kpu
        title: Komisi Pemilihan Umum (KPU RI)
        url: https://cekdptonline.kpu.go.id
    ---
    # id
    Sudah cek namamu di DPT? ...
    # en
    Have you checked ...

Each section may state facts from the ledger (``{{fact:ID}}``, filled in that section's language);
the broadcast then cites the facts' sources too.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import consent as consents
from bot.core.content import Cited, ContentError, ContentErrors, Source, parse_document
from bot.core.facts import FactLedger, check_references, load_facts
from bot.core.formatting import escape, unwrap_soft_breaks
from bot.core.i18n import Translator
from bot.core.replies import Button, Reply
from bot.core.roles import ADMIN, actor_of, audit, can_broadcast
from bot.core.segments import Segment, audience_query
from bot.core.timezones import from_wall_clock, zone
from bot.db import repo
from bot.db.models import User, UTCDateTime, utcnow
from bot.db.models_broadcast import (
    AWAITING_APPROVAL,
    CANCELLED,
    FINISHED,
    PAUSED,
    PENDING,
    QUEUED,
    SENDING,
    SKIPPED,
    Broadcast,
    OutboxRow,
)

BROADCASTS_DIR = "broadcasts"
_LOCALE_HEADING = re.compile(r"^#\s+(\S+)\s*$")

#: Reasons a pending row is held (it is retried later, never dropped).
HELD_REASONS = ("quiet_hours", "quiet_period")
BLOCKED = "blocked"
#: Why a row was not sent because its broadcast had expired for the recipient.
EXPIRED = "expired"


class BroadcastError(ValueError):
    """An action that is not possible now (wrong state, not allowed); the message says why."""


# --------------------------------------------------------------------------- the file format


class BroadcastMeta(Cited):
    """Front matter of a broadcast file: ``id`` (the file name), ``title`` and ``sources``."""


@dataclass(frozen=True)
class BroadcastFile:
    meta: BroadcastMeta
    #: locale → Markdown body
    bodies: dict[str, str]
    path: Path

    def texts(self, translator: Callable[[str], Translator]) -> dict[str, str]:
        """locale → the text as sent: the body and its sources."""
        return {
            locale: body + "\n\n" + format_sources(translator(locale), self.meta.sources)
            for locale, body in self.bodies.items()
        }


def format_sources(t: Translator, sources: Iterable[Source]) -> str:
    parts = [f"[{escape(s.title)}]({s.url})" if s.url else escape(s.title) for s in sources]
    return "_" + t.gettext("Sources:") + "_ " + "; ".join(parts)


def parse_broadcast_file(
    path: Path, locales: Iterable[str], default_locale: str, facts: FactLedger | None = None
) -> BroadcastFile:
    """Parse and check a broadcast file; raise :class:`ContentErrors` with file and line.

    ``facts`` defaults to the ledger of the content directory the file is in
    (``content/broadcasts/x.md`` → ``content/facts.yaml``).
    """
    locales = set(locales)
    errors: list[ContentError] = []
    if facts is None:
        facts, fact_errors = load_facts(path.parent.parent, sorted(locales), default_locale)
        errors.extend(fact_errors)
    doc = parse_document(path, default_locale, facts=facts)
    try:
        meta = doc.validate(BroadcastMeta)
    except ContentErrors as exc:
        errors.extend(exc.errors)
        meta = None
    if meta is not None and meta.id != path.stem:
        errors.append(doc.error(f"id '{meta.id}' must match the file name", doc.line_of(["id"])))
    bodies: dict[str, list[str]] = {}
    starts: dict[str, int] = {}
    current: str | None = None
    errors.extend(check_references(path, facts))
    lines = path.read_text(encoding="utf-8").splitlines()
    for number in range(doc.body_line, len(lines) + 1):
        line = lines[number - 1]
        match = _LOCALE_HEADING.match(line)
        if match:
            locale = match.group(1)
            if locale not in locales:
                errors.append(
                    doc.error(
                        f"unknown locale '{locale}' (available: {', '.join(sorted(locales))})",
                        number,
                    )
                )
                current = None
                continue
            if locale in bodies:
                errors.append(doc.error(f"locale '{locale}' appears twice", number))
            current = locale
            bodies[locale], starts[locale] = [], number
        elif current is not None:
            bodies[current].append(line)
        elif line.strip():
            errors.append(
                doc.error("text before the first '# <locale>' line (e.g. '# id')", number)
            )
            break
    texts = {
        locale: doc.fill(unwrap_soft_breaks("\n".join(body).strip()), locale)
        for locale, body in bodies.items()
    }
    for locale, text in texts.items():
        if not text:
            errors.append(doc.error(f"the '{locale}' section is empty", starts[locale]))
    if default_locale not in bodies:
        errors.append(
            doc.error(
                f"no '# {default_locale}' section: the default locale's text is required",
                doc.body_line,
            )
        )
    if errors or meta is None:
        raise ContentErrors(sorted(set(errors)))
    return BroadcastFile(meta, texts, path)


def broadcast_files(
    content_dir: Path, locales: Iterable[str], default_locale: str
) -> tuple[list[BroadcastFile], list[ContentError]]:
    """Every broadcast file under ``content/broadcasts`` and every error found."""
    files, errors = [], []
    locales = list(locales)
    facts, _ = load_facts(content_dir, locales, default_locale)  # load_content reports its errors
    for path in sorted((content_dir / BROADCASTS_DIR).glob("*.md")):
        try:
            files.append(parse_broadcast_file(path, locales, default_locale, facts))
        except ContentErrors as exc:
            errors.extend(exc.errors)
    return files, errors


# --------------------------------------------------------------------------- quiet hours


def quiet_until(now: datetime, tz: str | None, hours: tuple[int, int] | None) -> datetime | None:
    """When quiet hours end for someone in ``tz`` if they are on at ``now`` (UTC), else None."""
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(zone(tz))
    h = local.hour
    quiet = (h >= start or h < end) if start > end else (start <= h < end)
    if not quiet:
        return None
    end_local = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if end_local <= local:
        end_local += timedelta(days=1)
    return end_local.astimezone(UTC)


def expires_for(broadcast: Broadcast, tz: str | None) -> datetime | None:
    """The instant the broadcast expires for a recipient in ``tz`` (None: never)."""
    if broadcast.expires_at is None:
        return None
    if broadcast.expires_local:
        return from_wall_clock(broadcast.expires_at, tz)
    return broadcast.expires_at


#: Extra holds, e.g. an election's quiet period (masa tenang) from a calendar: each gets the
#: session, the recipient's region id and the time, and returns when the hold ends (or None).
HoldRule = Callable[[AsyncSession, int | None, datetime], Awaitable[datetime | None]]
HOLD_RULES: list[HoldRule] = []

#: Voting-day reminders' content ids start with this; hold rules never apply to them (the
#: evening reminder falls inside the quiet period by design).
REMINDER_PREFIX = "reminder-"


def is_reminder(content_id: str | None) -> bool:
    return bool(content_id) and str(content_id).startswith(REMINDER_PREFIX)


# --------------------------------------------------------------------------- creating


#: Extra buttons above "Menu" for some broadcasts (e.g. a poll invitation's "Answer the poll").
BUTTON_HOOKS: list[Callable[[Broadcast, Translator], list[Button]]] = []


def render_for(broadcast: Broadcast, t: Translator, default_locale: str) -> list[Reply]:
    """What a recipient with translator ``t`` receives."""
    texts = broadcast.texts or {}
    text = texts.get(t.locale) or texts.get(default_locale) or next(iter(texts.values()), "")
    footer = t.gettext("_Don't want these messages? Send /stop._")
    extra = [[b] for hook in BUTTON_HOOKS for b in hook(broadcast, t)]
    menu = [Button(t.gettext("🏠 Menu"), payload="menu")]
    return [Reply(f"{text}\n\n{footer}", [*extra, menu])]


async def create_broadcast(
    session: AsyncSession,
    settings: Settings,
    *,
    title: str,
    texts: dict[str, str],
    segment: Segment,
    creator: User | None,
    content_id: str | None = None,
    scheduled_at: datetime | None = None,
    via: str = "cli",
    now: datetime | None = None,
    consent: str = consents.BROADCASTS,
    expires_at: datetime | None = None,
    expires_local: bool = False,
    only: Select[Any] | None = None,
) -> Broadcast:
    """Create a broadcast and queue one outbox row per recipient (the caller commits).

    ``only`` (a select of user ids) narrows the segment further, e.g. to one experiment arm.

    ``creator`` None means the command line (an operator with database access, like an admin).
    With ``VOTEBOT_BROADCAST_APPROVAL`` a volunteer's broadcast waits for an admin's approval.
    Recipients must hold ``consent`` (now, and again when their row is sent). Without
    ``expires_at`` it expires ``VOTEBOT_BROADCAST_TTL_HOURS`` after its start.
    """
    if creator is not None and not can_broadcast(creator):
        raise BroadcastError("only volunteers and admins can create broadcasts")
    if not any(t.strip() for t in texts.values()):
        raise BroadcastError("the message is empty")
    now = now or utcnow()
    if expires_at is None:
        expires_at = (scheduled_at or now) + timedelta(hours=settings.broadcast_ttl_hours)
        expires_local = False
    needs_approval = settings.broadcast_approval and creator is not None and creator.role != ADMIN
    broadcast = Broadcast(
        content_id=content_id,
        title=title[:120],
        texts=texts,
        segment=segment.describe()[:500],
        status=AWAITING_APPROVAL if needs_approval else QUEUED,
        audience=0,
        created_by_id=creator.id if creator else None,
        created_by=actor_of(creator),
        scheduled_at=scheduled_at,
        created_at=now,
        notified_pct=0,
        consent=consent,
        expires_at=expires_at,
        expires_local=expires_local,
    )
    session.add(broadcast)
    await session.flush()
    query = await audience_query(
        session,
        segment,
        default_locale=settings.default_locale,
        now=now,
        consent_kind=consent,
        sandbox=settings.sandbox,
    )
    if only is not None:
        query = query.where(User.id.in_(only))
    audience = query.subquery()
    rows = select(
        literal(broadcast.id),
        audience.c.id,
        audience.c.channel,
        literal(PENDING),
        literal(0),
        literal(now, UTCDateTime()),
    )
    await session.execute(
        insert(OutboxRow).from_select(
            ["broadcast_id", "user_id", "channel", "status", "attempts", "next_attempt_at"], rows
        )
    )
    broadcast.audience = int(
        await session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.broadcast_id == broadcast.id)
        )
        or 0
    )
    await repo.log_event(
        session,
        user_id=creator.id if creator else None,
        channel=creator.channel if creator else "cli",
        event_type="broadcast",
        name="broadcast_created",
        properties={"broadcast_id": broadcast.id, "audience": broadcast.audience},
    )
    await audit(
        session,
        broadcast.created_by,
        "broadcast_create",
        f"broadcast:{broadcast.id}",
        title=broadcast.title,
        segment=broadcast.segment,
        audience=broadcast.audience,
        status=broadcast.status,
        via=via,
        scheduled_at=scheduled_at.isoformat() if scheduled_at else None,
        expires_at=expires_at.isoformat(),
    )
    return broadcast


# --------------------------------------------------------------------------- lifecycle


async def get_broadcast(
    session: AsyncSession, broadcast_id: int, *, lock: bool = False
) -> Broadcast:
    stmt = select(Broadcast).where(Broadcast.id == broadcast_id)
    found = await session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise BroadcastError(f"no broadcast #{broadcast_id}")
    return found


async def approve(session: AsyncSession, broadcast_id: int, actor: User | None) -> Broadcast:
    b = await get_broadcast(session, broadcast_id, lock=True)
    if actor is not None and actor.role != ADMIN:
        raise BroadcastError("only an admin can approve a broadcast")
    if b.status != AWAITING_APPROVAL:
        raise BroadcastError(f"broadcast #{b.id} is {b.status}, not awaiting approval")
    if actor is not None and b.created_by_id == actor.id:
        raise BroadcastError("a broadcast needs a second person's approval")
    b.status, b.approved_by = QUEUED, actor_of(actor)
    await audit(session, actor_of(actor), "broadcast_approve", f"broadcast:{b.id}")
    return b


async def cancel(session: AsyncSession, broadcast_id: int, actor: User | None) -> int:
    """Cancel; rows not yet sent are skipped. Returns how many were still waiting."""
    b = await get_broadcast(session, broadcast_id, lock=True)
    if b.status in (CANCELLED, FINISHED):
        raise BroadcastError(f"broadcast #{b.id} is already {b.status}")
    b.status, b.finished_at = CANCELLED, utcnow()
    result = await session.execute(
        update(OutboxRow)
        .where(OutboxRow.broadcast_id == b.id, OutboxRow.status == PENDING)
        .values(status=SKIPPED, error="cancelled")
    )
    waiting = int(getattr(result, "rowcount", 0) or 0)
    await audit(session, actor_of(actor), "broadcast_cancel", f"broadcast:{b.id}", skipped=waiting)
    return waiting


async def pause(session: AsyncSession, broadcast_id: int, actor: User | None) -> Broadcast:
    b = await get_broadcast(session, broadcast_id, lock=True)
    if b.status not in (QUEUED, SENDING):
        raise BroadcastError(
            f"broadcast #{b.id} is {b.status}: only a queued or sending one pauses"
        )
    b.status = PAUSED
    await audit(session, actor_of(actor), "broadcast_pause", f"broadcast:{b.id}")
    return b


async def resume(session: AsyncSession, broadcast_id: int, actor: User | None) -> Broadcast:
    b = await get_broadcast(session, broadcast_id, lock=True)
    if b.status != PAUSED:
        raise BroadcastError(f"broadcast #{b.id} is {b.status}, not paused")
    b.status = SENDING if b.started_at is not None else QUEUED
    await audit(session, actor_of(actor), "broadcast_resume", f"broadcast:{b.id}")
    return b


async def list_broadcasts(session: AsyncSession, limit: int = 50) -> list[Broadcast]:
    stmt = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())
