"""The unanswered-questions queue: queue, list grouped, check against new FAQ entries, notify once.

What the bot could not answer, and answers people marked 👎, reach the team privately:
:func:`queue_question` keeps the question scrubbed (:func:`bot.core.privacy.scrub`), its locale,
the asker's kabupaten/kota if saved, the day and the reason, and no user id. Only a person who
taps "Tell me when there's an answer" is linked to it (:func:`watch`), until
:func:`notify_answers` has queued the answer for them, once, as a one-recipient broadcast (so it
follows rate limits, quiet hours, opt-outs and WhatsApp's 24-hour window), or 30 days pass.

Grouping and checking use the understanding layer, so a new FAQ entry is found without any
bookkeeping: a queued question is *answered* when :func:`bot.core.understanding.understand` now
matches an FAQ entry with high confidence (for a 👎 row: a different entry than the one that did
not help).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.broadcasts import format_sources
from bot.core.calendar import today_in_wib
from bot.core.content import ContentStore
from bot.core.direct import create_direct
from bot.core.i18n import Translator
from bot.core.picker import kabupaten_of
from bot.core.privacy import scrub
from bot.core.understanding import normalise, understand
from bot.core.understanding.content import knowledge
from bot.core.understanding.replywords import fold
from bot.db import repo
from bot.db.models import EngagementEvent, Region, User, utcnow
from bot.db.models_questions import (
    MAX_TEXT,
    THUMBS_DOWN,
    UNANSWERED,
    QuestionWatcher,
    UnansweredQuestion,
)

#: Queue rows are deleted after this many days; a watcher after WATCH_DAYS.
KEEP_DAYS = 90
WATCH_DAYS = 30
#: Example texts shown per group.
EXAMPLES = 3


async def queue_question(
    session: AsyncSession,
    *,
    text: str,
    locale: str,
    region_id: int | None,
    reason: str,
    answer_id: str | None = None,
    now: datetime | None = None,
) -> UnansweredQuestion | None:
    """Queue ``text`` scrubbed (see the module doc); None when nothing is left to keep."""
    scrubbed = scrub(text)[:MAX_TEXT]
    if not scrubbed and reason == UNANSWERED:
        return None
    kabupaten = await kabupaten_of(session, region_id)
    row = UnansweredQuestion(
        text=scrubbed,
        locale=locale[:16],
        kabupaten_id=kabupaten.id if kabupaten is not None else None,
        asked_on=today_in_wib(now or utcnow()),
        reason=reason,
        answer_id=answer_id[:64] if answer_id else None,
    )
    session.add(row)
    await session.flush()
    return row


async def watch(session: AsyncSession, question_id: int, user_id: int) -> bool:
    """Link ``user_id`` to the question (they asked to be told); False if already linked."""
    found = await session.scalar(
        select(QuestionWatcher.id).where(
            QuestionWatcher.question_id == question_id, QuestionWatcher.user_id == user_id
        )
    )
    if found is not None:
        return False
    session.add(QuestionWatcher(question_id=question_id, user_id=user_id, created_at=utcnow()))
    return True


async def prune(session: AsyncSession, now: datetime | None = None) -> tuple[int, int]:
    """Delete queue rows older than 90 days and watchers older than 30; return both counts."""
    now = now or utcnow()
    watchers = await session.execute(
        delete(QuestionWatcher).where(QuestionWatcher.created_at < now - timedelta(WATCH_DAYS))
    )
    rows = await session.execute(
        delete(UnansweredQuestion).where(
            UnansweredQuestion.asked_on < today_in_wib(now) - timedelta(KEEP_DAYS)
        )
    )
    return int(getattr(rows, "rowcount", 0) or 0), int(getattr(watchers, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- answered now?


def answering_faq(store: ContentStore, question: UnansweredQuestion) -> str | None:
    """The FAQ entry that now answers ``question`` with high confidence, if any."""
    if not question.text:
        return None
    u = understand(question.text, question.locale, store=store)
    best = u.best
    if u.confidence != "high" or best is None or best.kind != "faq":
        return None
    if question.reason == THUMBS_DOWN and best.target == question.answer_id:
        return None
    return best.target


def nearest_faq(store: ContentStore, question: UnansweredQuestion) -> str | None:
    """The FAQ entry the question is closest to (any confidence), for grouping."""
    if question.answer_id:
        return question.answer_id
    if not question.text:
        return None
    u = understand(question.text, question.locale, store=store)
    return next((m.target for m in u.candidates if m.kind == "faq"), None)


def group_key(store: ContentStore, question: UnansweredQuestion) -> tuple[str | None, str]:
    """(nearest FAQ id or None, the key questions are grouped by)."""
    faq = nearest_faq(store, question)
    if faq is not None:
        return faq, f"faq:{faq}"
    try:
        text = normalise(question.text, question.locale, store=store)
    except Exception:  # a locale the understanding layer does not know
        text = fold(question.text)
    return None, f"text:{text or fold(question.text)}"


# --------------------------------------------------------------------------- the list


@dataclass
class Group:
    """Queued questions that read the same or are closest to the same FAQ entry."""

    key: str
    faq: str | None
    faq_title: str | None
    count: int = 0
    unanswered: int = 0
    thumbs_down: int = 0
    examples: list[str] = field(default_factory=list)
    locales: Counter[str] = field(default_factory=Counter)
    kabupaten: Counter[str] = field(default_factory=Counter)
    first: date | None = None
    last: date | None = None
    watchers: int = 0
    #: The FAQ entry's 👍 and 👎 in the period (from the engagement log).
    helpful: int = 0
    not_helpful: int = 0
    #: The FAQ entry that would answer these questions now (see :func:`answering_faq`).
    answered_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.key,
            "faq": self.faq,
            "faq_title": self.faq_title,
            "count": self.count,
            "unanswered": self.unanswered,
            "thumbs_down": self.thumbs_down,
            "examples": self.examples,
            "locales": dict(self.locales),
            "kabupaten": dict(self.kabupaten),
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "waiting_to_be_told": self.watchers,
            "faq_helpful": self.helpful,
            "faq_not_helpful": self.not_helpful,
            "answered_by": self.answered_by,
        }


def faq_title(store: ContentStore, faq: str | None, locale: str) -> str | None:
    if faq is None:
        return None
    entry = knowledge(store).faq(faq, locale)
    return entry.meta.title if entry is not None else None


async def faq_feedback(session: AsyncSession, since: date | None) -> dict[str, Counter[str]]:
    """FAQ id → counts of ``helpful`` / ``not_helpful`` taps (the engagement log)."""
    faq = EngagementEvent.properties["faq"].as_string()
    stmt = (
        select(faq, EngagementEvent.name, func.count())
        .where(
            EngagementEvent.event_type == "faq",
            EngagementEvent.name.in_(["helpful", "not_helpful"]),
        )
        .group_by(faq, EngagementEvent.name)
    )
    if since is not None:
        start = datetime.combine(since, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
        stmt = stmt.where(EngagementEvent.created_at >= start)
    out: dict[str, Counter[str]] = {}
    for faq_id, name, n in (await session.execute(stmt)).all():
        if faq_id:
            out.setdefault(str(faq_id), Counter())[name] += int(n)
    return out


async def question_groups(
    session: AsyncSession, store: ContentStore, *, since: date | None = None, locale: str = "id"
) -> list[Group]:
    """The queue grouped, most asked first (ties: the latest first)."""
    stmt = select(UnansweredQuestion, Region.name).outerjoin(
        Region, Region.id == UnansweredQuestion.kabupaten_id
    )
    if since is not None:
        stmt = stmt.where(UnansweredQuestion.asked_on >= since)
    watchers = dict(
        (
            await session.execute(
                select(QuestionWatcher.question_id, func.count()).group_by(
                    QuestionWatcher.question_id
                )
            )
        ).all()
    )
    groups: dict[str, Group] = {}
    for question, kabupaten in (await session.execute(stmt.order_by(UnansweredQuestion.id))).all():
        faq, key = group_key(store, question)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, faq, faq_title(store, faq, locale))
        group.count += 1
        group.unanswered += question.reason == UNANSWERED
        group.thumbs_down += question.reason == THUMBS_DOWN
        fresh = question.text and question.text not in group.examples
        if fresh and len(group.examples) < EXAMPLES:
            group.examples.append(question.text)
        group.locales[question.locale] += 1
        if kabupaten:
            group.kabupaten[kabupaten] += 1
        group.first = min(group.first or question.asked_on, question.asked_on)
        group.last = max(group.last or question.asked_on, question.asked_on)
        group.watchers += int(watchers.get(question.id, 0))
        if group.answered_by is None:
            group.answered_by = answering_faq(store, question)
    feedback = await faq_feedback(session, since)
    for group in groups.values():
        if group.faq is not None:
            counts = feedback.get(group.faq, Counter())
            group.helpful, group.not_helpful = counts["helpful"], counts["not_helpful"]
    return sorted(
        groups.values(), key=lambda g: (-g.count, -(g.last or date.min).toordinal(), g.key)
    )


# --------------------------------------------------------------------------- check & notify


@dataclass
class Answerable:
    """Queued questions a FAQ entry now answers."""

    faq: str
    title: str | None
    questions: list[str] = field(default_factory=list)
    count: int = 0
    watchers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "faq": self.faq,
            "faq_title": self.title,
            "count": self.count,
            "examples": self.questions[:EXAMPLES],
            "waiting_to_be_told": self.watchers,
        }


async def answerable(
    session: AsyncSession, store: ContentStore, *, locale: str = "id"
) -> list[Answerable]:
    """Which queued questions an FAQ entry (e.g. one just added) now answers, by entry."""
    counts = dict(
        (
            await session.execute(
                select(QuestionWatcher.question_id, func.count()).group_by(
                    QuestionWatcher.question_id
                )
            )
        ).all()
    )
    found: dict[str, Answerable] = {}
    for question in (await session.scalars(select(UnansweredQuestion))).all():
        faq = answering_faq(store, question)
        if faq is None:
            continue
        item = found.get(faq)
        if item is None:
            item = found[faq] = Answerable(faq, faq_title(store, faq, locale))
        item.count += 1
        item.watchers += int(counts.get(question.id, 0))
        if question.text not in item.questions:
            item.questions.append(question.text)
    return sorted(found.values(), key=lambda a: (-a.count, a.faq))


def answer_text(store: ContentStore, t: Translator, faq: str) -> str | None:
    """The message that tells someone their question has an answer now (no question text)."""
    entry = knowledge(store).faq(faq, t.locale)
    if entry is None:
        return None
    intro = t.gettext(
        "🔔 A while ago you asked me something I couldn't answer yet. Now I can! Here's the answer:"
    )
    sources = format_sources(t, entry.meta.sources)
    return f"{intro}\n\n**{entry.meta.title}**\n\n{entry.answer}\n\n{sources}"


async def notify_answers(
    session: AsyncSession,
    store: ContentStore,
    translator: Callable[[User], Translator],
    now: datetime | None = None,
) -> int:
    """Queue the answer for everyone waiting on a question that has one now; return how many.

    Each watcher row is deleted in the same transaction that queues its message, and only the
    worker whose ``DELETE`` removed it queues one, so nobody is told twice.
    """
    now = now or utcnow()
    rows = (
        await session.execute(
            select(QuestionWatcher, UnansweredQuestion)
            .join(UnansweredQuestion, UnansweredQuestion.id == QuestionWatcher.question_id)
            .order_by(QuestionWatcher.id)
        )
    ).all()
    answers: dict[int, str | None] = {}
    queued = 0
    for watcher, question in rows:
        if question.id not in answers:
            answers[question.id] = answering_faq(store, question)
        faq = answers[question.id]
        if faq is None:
            continue
        taken = await session.execute(
            delete(QuestionWatcher).where(QuestionWatcher.id == watcher.id)
        )
        if not getattr(taken, "rowcount", 0):
            continue  # another worker told them
        user = await session.get(User, watcher.user_id)
        if user is None:
            continue
        t = translator(user)
        text = answer_text(store, t, faq)
        if text is None:
            continue
        await create_direct(
            session,
            user=user,
            texts={t.locale: text},
            title=f"Answer to a queued question: {faq}",
            content_id=f"answer-{faq}"[:64],
            now=now,
        )
        await repo.log_event(
            session,
            user_id=None,
            channel="system",
            event_type="questions",
            name="answer_queued",
            properties={"faq": faq},
        )
        queued += 1
    return queued
