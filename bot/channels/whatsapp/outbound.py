"""WhatsApp outbound: replies in a conversation, and sends outside one (broadcasts, notices).

:mod:`bot.channels.whatsapp.render` turns replies into messages. In a conversation, rate limits
and network errors are retried with capped backoff and every other error is logged with its
code. :meth:`WhatsAppOutbound.send` (broadcasts, notifications) raises the
:class:`~bot.channels.base.DeliveryError` subclasses instead, and respects the 24-hour window:
outside it only an approved template (:meth:`WhatsAppOutbound.send_template`) may be sent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import retry as retry_policy
from bot.broadcast import budget as reply_budget
from bot.channels.base import (
    DeliveryError,
    PermanentError,
    RetryLater,
    TransientError,
    Unreachable,
)
from bot.channels.batching import Batcher
from bot.channels.whatsapp import render as wa_render
from bot.channels.whatsapp.api import REENGAGEMENT, UNDELIVERABLE, GraphAPI, GraphError
from bot.core.events import UserRef
from bot.core.formatting import to_plain
from bot.core.message_templates import KIND as TEMPLATE_KIND
from bot.core.message_templates import Template
from bot.core.replies import Reply
from bot.db import repo
from bot.db.models import User, utcnow
from bot.db.models_whatsapp import WhatsAppMessage, WhatsAppOptionPage
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: The template (content id) that carries a broadcast outside the 24-hour window.
BROADCAST_TEMPLATE = "update"
#: Longest text put into one template parameter.
TEMPLATE_PARAM_MAX = 1000
#: Free-form messages are allowed for this long after the user's last message.
WINDOW = timedelta(hours=24)


class OutsideWindow(PermanentError):
    """The user last wrote more than 24 hours ago (or never): only a template may be sent."""


#: A message WhatsApp accepted: what was sent, its id and its template (if any).
Sent = tuple[wa_render.Outgoing, str, str | None]


def masked(wa_id: str) -> str:
    """A WhatsApp id as logs show it: the phone number is personal data."""
    return "…" + wa_id[-4:]


@functools.cache
def _upsert(dialect: str, table: Table, key: str, update_cols: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` of ``update_cols``, built once per dialect.

    Rows go in as execution parameters (one dict, or a list for an executemany), so the
    statement object and its cache key are reused on every message.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={c: stmt.excluded[c] for c in update_cols}
    )


_MESSAGES = cast(Table, WhatsAppMessage.__table__)
_PAGES = cast(Table, WhatsAppOptionPage.__table__)


def _message_row(
    wa_id: str, out: wa_render.Outgoing, message_id: str, template: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": message_id[:128],
        "wa_id": wa_id[:64],
        "kind": out.kind[:16],
        "template": template,
        "status": "accepted",
        "created_at": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class Recipient:
    """What sending needs to know about a user: their language and their window."""

    locale: str
    last_seen_at: datetime | None
    reachable: bool

    def in_window(self, now: datetime) -> bool:
        return self.last_seen_at is not None and now - self.last_seen_at < WINDOW


class WhatsAppOutbound:
    """The sending half of :class:`~bot.channels.whatsapp.channel.WhatsAppChannel`."""

    runtime: Runtime
    api: GraphAPI
    #: Awaitable sleep, replaceable in tests that count backoffs.
    sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)
    #: Attempts per message in a conversation (rate limits and network errors are retried).
    max_attempts = 3
    #: First backoff in seconds (doubles per attempt) and the cap on any single wait.
    retry_base = 1.0
    max_backoff = 30.0

    async def recipient(self, wa_id: str) -> Recipient:
        core = self.runtime.core
        async with self.runtime.db.transaction() as session:
            row = (
                await session.execute(
                    select(
                        User.locale, User.language_code, User.last_seen_at, User.reachable
                    ).where(User.channel == CHANNEL, User.external_id == wa_id)
                )
            ).first()
        if row is None:
            return Recipient(core.user_locale(None, None), None, True)
        return Recipient(
            core.user_locale(row.locale, row.language_code), row.last_seen_at, row.reachable
        )

    async def in_window(self, external_id: str) -> bool:
        """May free-form messages be sent to this user now (they wrote in the last 24 hours)?"""
        return (await self.recipient(external_id)).in_window(utcnow())

    async def converse(
        self, wa_id: str, replies: Sequence[Reply], locale: str | None = None
    ) -> None:
        """Deliver the core's answer to an inbound message; never raises.

        ``locale`` is the one the core answered in (else it is read from the database).
        """
        if not replies:
            return
        if locale is None:
            locale = (await self.recipient(wa_id)).locale
        _ = self.runtime.core.translator(locale).gettext
        await self._converse_messages(wa_id, wa_render.render(replies, _))

    async def _converse_messages(self, wa_id: str, messages: Sequence[wa_render.Outgoing]) -> None:
        # The bookkeeping of every message sent is saved once, after the last (one transaction).
        sent: list[Sent] = []
        try:
            for out in messages:
                await reply_budget.acquire(self.runtime, CHANNEL, wa_id)
                await self._send_one(wa_id, out, retry=True, sent=sent)
        except DeliveryError as exc:
            log.warning(
                "WhatsApp reply to %s not delivered (%s): %s",
                masked(wa_id),
                type(exc).__name__,
                exc.reason,
            )
        except Exception:
            log.exception("unexpected error sending a WhatsApp reply")
        finally:
            if sent and all(out.pages is None for out, _, _ in sent):
                self.sent_log.add((wa_id, sent))  # ids for statuses: written in batches
            else:
                # A long list's pages must be there before its "more" can be pressed.
                await self._remember_safely(wa_id, sent)

    @property
    def sent_log(self) -> Batcher[tuple[str, list[Sent]]]:
        """Conversation replies' message ids, saved in batches (:mod:`bot.channels.batching`)."""
        found: Batcher[tuple[str, list[Sent]]] | None = getattr(self, "_sent_log", None)
        if found is None:
            found = Batcher(self._remember_batch, what="WhatsApp sent-message record(s)")
            self._sent_log = found
        return found

    async def _remember_batch(self, batch: list[tuple[str, list[Sent]]]) -> None:
        now = utcnow()
        async with self.runtime.db.transaction() as session:
            known = set(
                await session.scalars(
                    select(User.external_id).where(
                        User.channel == CHANNEL,
                        User.external_id.in_({wa_id for wa_id, _ in batch}),
                    )
                )
            )
            rows = {
                message_id: _message_row(wa_id, out, message_id, template, now)
                for wa_id, sent in batch
                # Deleted their data meanwhile (the /hapus confirmation): keep nothing.
                if wa_id in known
                for out, message_id, template in sent
            }
            if rows:  # (replies with option pages are saved at once, not batched)
                await self._save_messages(session, list(rows.values()))

    async def send(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Deliver ``replies`` outside a conversation (broadcasts, notifications).

        Inside the 24-hour window they are sent as is. Outside it (or when WhatsApp answers
        131047) the approved ``template`` is sent instead with ``params``; without a template
        this raises :class:`OutsideWindow` (a PermanentError).
        """
        await self.send_messages(external_id, replies, template=template, params=params)

    async def send_broadcast(self, external_id: str, replies: Sequence[Reply]) -> str | None:
        """A broadcast: free-form inside the 24-hour window, else the approved update template.

        The template's one parameter carries the broadcast's text on one line (WhatsApp refuses
        newlines and tabs in template parameters).
        """
        text = " ".join(to_plain(r.text) for r in replies if r.text)
        message = " ".join(text.split())[:TEMPLATE_PARAM_MAX]
        ids = await self.send_messages(
            external_id, replies, template=BROADCAST_TEMPLATE, params={"message": message}
        )
        return ids[0] if ids else None

    async def send_messages(
        self,
        external_id: str,
        replies: Sequence[Reply],
        *,
        template: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Like :meth:`send`, returning the WhatsApp message ids (for delivery statistics)."""
        recipient = await self.recipient(external_id)
        if not recipient.reachable:
            raise Unreachable("the user was marked unreachable")
        if recipient.in_window(utcnow()):
            _ = self.runtime.core.translator(recipient.locale).gettext
            ids: list[str] = []
            try:
                for out in wa_render.render(replies, _):
                    ids.append(await self._send_one(external_id, out, retry=False))
            except OutsideWindow:
                if template is None or ids:
                    raise
            else:
                return ids
        if template is None:
            raise OutsideWindow("outside the 24-hour window and no template given")
        return [
            await self.send_template(external_id, template, params or {}, locale=recipient.locale)
        ]

    def template(self, template_id: str, locale: str) -> Template | None:
        item = self.runtime.content.get(TEMPLATE_KIND, template_id, locale)
        return item if isinstance(item, Template) else None

    async def send_template(
        self,
        external_id: str,
        template_id: str,
        params: Mapping[str, str],
        *,
        locale: str | None = None,
    ) -> str:
        """Send an approved template (allowed at any time); return its message id."""
        if locale is None:
            locale = (await self.recipient(external_id)).locale
        tpl = self.template(template_id, locale)
        if tpl is None:
            raise PermanentError(f"no WhatsApp template {template_id!r} in content")
        try:
            payload = tpl.payload(params)
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        out = wa_render.Outgoing({"type": "template", "template": payload})
        return await self._send_one(external_id, out, retry=False, template=template_id)

    async def _send_one(
        self,
        wa_id: str,
        out: wa_render.Outgoing,
        *,
        retry: bool,
        template: str | None = None,
        sent: list[Sent] | None = None,
    ) -> str:
        """Send one message (uploading its image, storing its pages); map failures to errors.

        Once WhatsApp accepted the message, a failure to store its bookkeeping (the id for
        delivery statistics, a list's pages) is logged and never raised: raising would make the
        caller send the message again.
        """
        message = dict(out.message)

        async def attempt() -> str:
            if out.image is not None and "id" not in message["image"]:
                mime = mimetypes.guess_type(out.image.filename)[0] or "image/png"
                media_id = await self.api.upload_media(out.image.data, out.image.filename, mime)
                message["image"] = {**message["image"], "id": media_id}
            try:
                return await self.api.send_message(wa_id, message)
            except GraphError as exc:
                if retry and exc.fleet_wide:
                    # The number as a whole is over its limit: the fleet's sender waits too.
                    await reply_budget.platform_paused(self.runtime, CHANNEL, exc.wait)
                raise

        def worth_retrying(exc: BaseException) -> bool:
            return retry and isinstance(exc, GraphError) and (exc.rate_limited or exc.transient)

        def platform_wait(exc: BaseException) -> float | None:
            if isinstance(exc, GraphError) and exc.rate_limited:
                return min(exc.wait, self.max_backoff)
            return None

        try:
            message_id = await retry_policy.calls(
                attempt,
                retry_on=worth_retrying,
                attempts=self.max_attempts if retry else 1,
                base=self.retry_base,
                cap=self.max_backoff,
                wait_for=platform_wait,
                sleep=lambda seconds: self.sleep(seconds),
                what=f"WhatsApp send to {masked(wa_id)}",
            )
        except GraphError as exc:
            raise await self._delivery_error(wa_id, exc) from None
        if sent is not None:
            sent.append((out, message_id, template))  # the caller saves it (with the others)
        else:
            await self._remember_safely(wa_id, [(out, message_id, template)])
        return message_id

    async def _remember_safely(self, wa_id: str, sent: list[Sent]) -> None:
        if not sent:
            return
        try:
            await self._remember_sent(wa_id, sent)
        except Exception as exc:
            log.warning(
                "WhatsApp message %s was sent, but its bookkeeping was not saved (%s)",
                masked(sent[-1][1]),
                type(exc).__name__,
            )

    async def _remember_sent(self, wa_id: str, sent: list[Sent]) -> None:
        now = utcnow()
        async with self.runtime.db.transaction() as session:
            if await repo.get_user(session, UserRef(CHANNEL, wa_id)) is None:
                # Someone who just deleted their data (the /hapus confirmation): keep nothing
                # keyed by their number, not even a delivery receipt.
                return
            await self._save_messages(
                session,
                [_message_row(wa_id, out, mid, template, now) for out, mid, template in sent],
            )
            for out, _message_id, _template in sent:
                if out.pages is not None:
                    await self._save_pages(session, wa_id, out.pages, now)

    @staticmethod
    async def _save_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        dialect = session.get_bind().dialect.name
        stmt = _upsert(dialect, _MESSAGES, "message_id", ("kind", "template"))
        await session.execute(stmt, rows)

    @staticmethod
    async def _save_pages(
        session: AsyncSession, wa_id: str, pages: wa_render.OptionPages, now: datetime
    ) -> None:
        dialect = session.get_bind().dialect.name
        stmt = _upsert(dialect, _PAGES, "wa_id", ("token", "text", "options", "created_at"))
        row = {
            "wa_id": wa_id[:64],
            "token": pages.token,
            "text": pages.text,
            "options": [list(o) for o in pages.options],
            "created_at": now,
        }
        await session.execute(stmt, row)

    async def _delivery_error(self, wa_id: str, exc: GraphError) -> DeliveryError:
        reason = f"WhatsApp error {exc.code or exc.status}: {exc.message}"
        log.warning("WhatsApp send to %s failed: %s", masked(wa_id), reason)
        if exc.rate_limited:
            return RetryLater(reason, exc.wait)
        if exc.code == UNDELIVERABLE:
            async with self.runtime.db.transaction() as session:
                await repo.mark_unreachable(
                    session, UserRef(CHANNEL, wa_id), f"whatsapp {exc.code}"
                )
            return Unreachable(reason)
        if exc.code == REENGAGEMENT:
            return OutsideWindow(f"outside the 24-hour window ({reason})")
        if exc.transient:
            return TransientError(reason)
        return PermanentError(reason)
