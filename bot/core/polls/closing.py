"""Opening and closing polls, and closing the loop.

When a poll opens, its invitation goes to its segment as a broadcast through the outbox (rate
limits, quiet hours, WhatsApp's window and template, consent, expiry at the poll's close). When it
closes, open answers are scrubbed again and unlinked from the people who wrote them, and each
respondent who asked to hear the results gets ONE message through the outbox (consent
``poll_results``, re-checked when it is sent; outside WhatsApp's window the approved
``poll-result`` template): their kabupaten/kota's result next to the province and the nation (or
"too few answers in your area yet"), a small chart and a link to the public page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import broadcasts as bc
from bot.core import consent, notifications
from bot.core.formatting import escape
from bot.core.i18n import Translator
from bot.core.polls import store
from bot.core.polls.chart import bar_chart, percent
from bot.core.polls.links import results_link
from bot.core.polls.render import localized, option_labels
from bot.core.polls.results import PollResults, compute
from bot.core.polls.scrub import scrub
from bot.core.polls.spec import OPEN
from bot.core.polls.suppress import Row
from bot.core.replies import Button, Image, Reply
from bot.core.segments import parse_segment
from bot.db.models import Region, User
from bot.db.models_broadcast import PENDING, Notification
from bot.db.models_poll import APPROVED, CLOSED, Poll, PollOpenAnswer, PollRespondent

#: Content ids of poll invitations start with this (bot.core.broadcasts).
INVITE_PREFIX = "poll:"
#: The WhatsApp template carrying a result outside the 24-hour window.
RESULT_TEMPLATE = "poll-result"
#: The longest caption of the result's chart (Telegram and WhatsApp allow 1,024 characters, and
#: Telegram counts its HTML tags).
CAPTION_MAX = 900
#: A result message not sent within this long is dropped as stale.
RESULT_TTL = timedelta(days=7)

Translators = Callable[[str], Translator]


def invite_button(broadcast: object, t: Translator) -> list[Button]:
    """The "Answer the poll" button under a poll's invitation."""
    content_id = str(getattr(broadcast, "content_id", "") or "")
    if not content_id.startswith(INVITE_PREFIX):
        return []
    poll_id = content_id.removeprefix(INVITE_PREFIX)
    return [Button(t.gettext("🗳️ Answer the poll"), payload=f"poll:{poll_id}")]


bc.BUTTON_HOOKS.append(invite_button)


async def invite_due(session: AsyncSession, settings: Settings, now: datetime) -> list[str]:
    """Queue the invitation of every approved poll that has opened and not been sent."""
    stmt = select(Poll).where(
        Poll.status == APPROVED,
        Poll.opens_at <= now,
        Poll.closes_at > now,
        Poll.broadcast_id.is_(None),
    )
    done = []
    for poll in (await session.scalars(stmt.with_for_update())).all():
        texts = dict(poll.spec.get("intros", {}))
        broadcast = await bc.create_broadcast(
            session,
            settings,
            title=poll.title,
            texts=texts,
            segment=parse_segment(poll.segment),
            creator=None,
            content_id=f"{INVITE_PREFIX}{poll.id}",
            via="poll",
            now=now,
            expires_at=poll.closes_at,
        )
        poll.broadcast_id = broadcast.id
        done.append(poll.id)
    return done


async def due_to_close(session: AsyncSession, now: datetime) -> list[str]:
    stmt = select(Poll.id).where(Poll.status == APPROVED, Poll.closes_at <= now)
    return list((await session.scalars(stmt)).all())


async def unlink_open_answers(session: AsyncSession, poll_id: str) -> int:
    rows = (
        await session.execute(
            select(PollOpenAnswer.id, PollOpenAnswer.text).where(PollOpenAnswer.poll_id == poll_id)
        )
    ).all()
    if rows:
        await session.execute(
            update(PollOpenAnswer),
            [{"id": i, "text": scrub(text), "respondent_id": None} for i, text in rows],
        )
    return len(rows)


async def close_poll(
    session: AsyncSession,
    settings: Settings,
    poll_id: str,
    now: datetime,
    translators: Translators,
) -> int:
    """Close the poll and queue the result messages; return how many were queued."""
    poll = await store.get_poll(session, poll_id, lock=True)
    if poll.status != APPROVED:
        raise store.PollError(f"poll '{poll.id}' is {poll.status}, not open")
    poll.status, poll.closed_at = CLOSED, now
    if poll.closes_at > now:
        poll.closes_at = now
    await unlink_open_answers(session, poll.id)
    results = await compute(session, poll)
    queued = await queue_results(session, settings, poll, results, now, translators)
    poll.results_queued = queued
    return queued


async def queue_results(
    session: AsyncSession,
    settings: Settings,
    poll: Poll,
    results: PollResults,
    now: datetime,
    translators: Translators,
) -> int:
    """One message per respondent who asked for it and still holds the consent."""
    r = PollRespondent
    stmt = (
        select(
            r.id,
            r.province_id,
            r.kabupaten_id,
            r.locale,
            User.channel,
            User.external_id,
            Region.timezone,
        )
        .join(User, User.id == r.user_id)
        .outerjoin(Region, Region.id == r.province_id)
        .where(
            r.poll_id == poll.id,
            r.notify.is_(True),
            r.notified_at.is_(None),
            consent.sendable(consent.POLL_RESULTS),
        )
    )
    recipients = (await session.execute(stmt)).all()
    # Areas whose figures are all hidden share their province's (or the nation's) message.
    messages: dict[tuple[str | None, str | None, str], list[dict[str, object]]] = {}
    rows = []
    for _rid, prov, kab, locale, channel, external_id, tz in recipients:
        key = (*_visible_area(results, _k(prov), _k(kab)), locale)
        if key not in messages:
            replies, summary = await asyncio.to_thread(
                result_message, settings, poll, results, translators(locale), key[0], key[1]
            )
            data = notifications.dump_replies(replies)
            params = {"poll": poll.title, "message": summary}
            data.append({notifications.TEMPLATE_KEY: RESULT_TEMPLATE, "params": params})
            messages[key] = data
        hold = bc.quiet_until(now, tz, settings.quiet_hours_range)
        rows.append(
            {
                "channel": channel,
                "external_id": external_id,
                "replies": messages[key],
                "consent": consent.POLL_RESULTS,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": hold or now,
                "created_at": now,
                "expires_at": now + RESULT_TTL,
            }
        )
    for i in range(0, len(rows), 1000):
        await session.execute(insert(Notification), rows[i : i + 1000])
    ids = [rid for rid, *_ in recipients]
    for i in range(0, len(ids), 1000):
        await session.execute(update(r).where(r.id.in_(ids[i : i + 1000])).values(notified_at=now))
    return len(rows)


def _k(value: int | None) -> str | None:
    return None if value is None else str(value)


def _visible_area(
    results: PollResults, province: str | None, kabupaten: str | None
) -> tuple[str | None, str | None]:
    """The (province, kabupaten) whose rows show anywhere (hidden ones left out)."""
    for qi, qr in enumerate(results.questions):
        if qr.question.kind == OPEN:
            continue
        _national, prov, kab = results.row(qi, province, kabupaten)
        if kab is not None and not kab.hidden:
            return province, kabupaten
    for qi, qr in enumerate(results.questions):
        if qr.question.kind == OPEN:
            continue
        _national, prov, _kab = results.row(qi, province, None)
        if prov is not None and not prov.hidden:
            return province, None
    return None, None


def _line(t: Translator, name: str, row: Row | None, labels: list[str]) -> str | None:
    if row is None or row.hidden:
        return None
    parts = []
    for label, count in zip(labels, row.counts, strict=True):
        p = percent(count.shown, row.n.shown)
        parts.append(f"{escape(label)} {'–' if p is None else t.percent(p / 100)}")
    return f"**{escape(name)}** ({t.number(row.n.value)}): " + " · ".join(parts)


def result_message(
    settings: Settings,
    poll: Poll,
    results: PollResults,
    t: Translator,
    province: str | None,
    kabupaten: str | None,
) -> tuple[list[Reply], str]:
    """The replies for one area and locale, and a one-line summary (for the template)."""
    _ = t.gettext
    default = settings.default_locale
    link = results_link(settings, poll.id)
    blocks = [
        _("📊 The results of “{title}” are in. Thank you for answering!").format(
            title=escape(poll.title)
        )
    ]
    chart: bytes | None = None
    summary = ""
    few = False
    for qi, qr in enumerate(results.questions):
        q = qr.question
        if q.kind == OPEN:
            continue
        labels = option_labels(q, t.locale, default, _)
        national, prov, kab = results.row(qi, province, kabupaten)
        names = results.names
        lines = [f"**{escape(localized(q.text, t.locale, default))}**"]
        area_line = _line(t, names.get(kabupaten or "", ""), kab, labels) if kabupaten else None
        few = few or area_line is None
        prov_line = _line(t, names.get(province or "", ""), prov, labels) if province else None
        nat_line = _line(t, _("Indonesia"), national, labels)
        lines += [x for x in (area_line, prov_line, nat_line) if x]
        if nat_line is None:
            lines.append(_("Too few answers to show yet."))
        blocks.append("\n".join(lines))
        if chart is None and nat_line is not None:
            series = []
            for name, row in (
                (names.get(kabupaten or ""), kab),
                (names.get(province or ""), prov),
                (_("Indonesia"), national),
            ):
                if name and row is not None and not row.hidden:
                    series.append((name, [percent(c.shown, row.n.shown) for c in row.counts]))
            short = [label.split(" · ")[-1] for label in labels]
            chart = bar_chart(localized(q.text, t.locale, default), short, series)
            summary = nat_line.replace("**", "")
    if few:
        blocks.insert(
            1,
            _("Too few answers in your area yet, so here are your province and the whole country."),
        )
    tail = [_("All results: {link}").format(link=link)] if link else []
    text = "\n\n".join(blocks + tail)
    if len(text) > CAPTION_MAX:  # one message: the chart's question only
        text = "\n\n".join(blocks[: 3 if few else 2] + tail)
    rows = [[Button(_("📊 All results"), url=link)]] if link else []
    rows.append([Button(_("🏠 Menu"), payload="menu")])
    if chart is None:
        replies = [Reply(text, rows)]
    else:
        image = Image(chart, filename="hasil.png", caption=text[:CAPTION_MAX])
        replies = [Reply("", rows, image=image)]
    one_line = " ".join((summary + (" " + link if link else "")).split())
    return replies, one_line[:900] or poll.title
