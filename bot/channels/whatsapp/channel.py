"""The WhatsApp channel: the Cloud API webhook in, Graph API messages out, around the core.

Inbound: ``GET /whatsapp`` answers Meta's verification handshake; ``POST /whatsapp`` checks the
``X-Hub-Signature-256`` HMAC of the raw body, answers 200 at once and handles the update in a
background task (drained on :meth:`WhatsAppChannel.stop`). Message ids are claimed in the
database first, so Meta's redeliveries are handled once. ``statuses`` update
``whatsapp_messages``.

Outbound: :mod:`bot.channels.whatsapp.render` turns replies into messages. In a conversation,
rate limits and network errors are retried with capped backoff and every other error is logged
with its code. :meth:`WhatsAppChannel.send` (broadcasts, notifications) raises the
:class:`~bot.channels.base.DeliveryError` subclasses instead, and respects the 24-hour window:
outside it only an approved template (:meth:`WhatsAppChannel.send_template`) may be sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import mimetypes
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import retry as retry_policy
from bot.broadcast import budget as reply_budget
from bot.channels.base import (
    Channel,
    DeliveryError,
    PermanentError,
    RetryLater,
    TransientError,
    Unreachable,
)
from bot.channels.whatsapp import render as wa_render
from bot.channels.whatsapp.api import REENGAGEMENT, UNDELIVERABLE, GraphAPI, GraphError
from bot.channels.whatsapp.templates import KIND as TEMPLATE_KIND
from bot.channels.whatsapp.templates import Template
from bot.config import ConfigError, Settings
from bot.core.events import (
    ButtonEvent,
    InboundEvent,
    LocationEvent,
    TextEvent,
    UnsupportedEvent,
    UserRef,
)
from bot.core.formatting import to_plain
from bot.core.replies import Reply
from bot.db import repo
from bot.db.models import User, utcnow
from bot.db.models_whatsapp import WhatsAppMessage, WhatsAppOptionPage
from bot.logs import register_secret
from bot.runtime import Runtime
from bot.web.app import MAX_BODY_BYTES

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: The template (content id) that carries a broadcast outside the 24-hour window.
BROADCAST_TEMPLATE = "update"
#: Longest text put into one template parameter.
TEMPLATE_PARAM_MAX = 1000
#: Free-form messages are allowed for this long after the user's last message.
WINDOW = timedelta(hours=24)
#: Largest photo downloaded for a flow (WhatsApp's own image limit is 5 MB).
MAX_MEDIA_BYTES = 5 * 1024 * 1024
#: WhatsApp message types the core cannot read, by the ``kind`` the core knows them as.
MEDIA_KINDS = {
    "image": "photo",
    "sticker": "sticker",
    "audio": "voice",
    "video": "video",
    "document": "document",
    "contacts": "contact",
    "reaction": "reaction",
}
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
REQUIRED = {
    "whatsapp_token": "WHATSAPP_TOKEN",
    "whatsapp_phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "whatsapp_app_secret": "WHATSAPP_APP_SECRET",
    "whatsapp_verify_token": "WHATSAPP_VERIFY_TOKEN",
}


class OutsideWindow(PermanentError):
    """The user last wrote more than 24 hours ago (or never): only a template may be sent."""


def _secret(value: Any) -> str:
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)


def masked(wa_id: str) -> str:
    """A WhatsApp id as logs show it: the phone number is personal data."""
    return "…" + wa_id[-4:]


def signature_for(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _upsert(
    session: AsyncSession,
    model: Any,
    key: list[str],
    values: dict[str, Any],
    update_cols: list[str],
) -> Any:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=key, set_={c: getattr(stmt.excluded, c) for c in update_cols}
    )


@dataclass(frozen=True)
class Recipient:
    """What sending needs to know about a user: their language and their window."""

    locale: str
    last_seen_at: datetime | None
    reachable: bool

    def in_window(self, now: datetime) -> bool:
        return self.last_seen_at is not None and now - self.last_seen_at < WINDOW


class WhatsAppChannel(Channel):
    name = CHANNEL

    #: Attempts per message in a conversation (rate limits and network errors are retried).
    max_attempts = 3
    #: First backoff in seconds (doubles per attempt) and the cap on any single wait.
    retry_base = 1.0
    max_backoff = 30.0

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """True when all four WhatsApp variables are set; a partial set is a configuration error."""
        missing = [env for field, env in REQUIRED.items() if getattr(settings, field) is None]
        if len(missing) == len(REQUIRED):
            return False
        if missing:
            raise ConfigError(
                f"{', '.join(missing)}: WhatsApp is only partly configured; set "
                f"{' and '.join(missing)} too (or unset every WHATSAPP_* variable)"
            )
        return True

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        settings = runtime.settings
        if not self.configured(settings):
            raise ConfigError("WHATSAPP_TOKEN: WhatsApp is not configured")
        token = _secret(settings.whatsapp_token)
        self._app_secret = _secret(settings.whatsapp_app_secret)
        self._verify_token = _secret(settings.whatsapp_verify_token)
        for secret in (token, self._app_secret, self._verify_token):
            register_secret(secret)
        self.phone_number_id = str(settings.whatsapp_phone_number_id)
        self.api = GraphAPI(settings.whatsapp_api_url, self.phone_number_id, token)
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._accepting = True
        #: Awaitable sleep, replaceable in tests that count backoffs.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    # ------------------------------------------------------------------ lifecycle

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_get("/whatsapp", self.verify)
        app.router.add_post("/whatsapp", self.webhook)

    async def start(self) -> None:
        self._accepting = True
        self.runtime.core.senders[self.name] = self.send

    async def stop(self) -> None:
        self._accepting = False
        if self.runtime.core.senders.get(self.name) == self.send:
            del self.runtime.core.senders[self.name]
        await self.drain()
        await self.api.close()

    async def drain(self) -> None:
        """Wait until every update accepted so far has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _lock(self, wa_id: str) -> asyncio.Lock:
        lock = self._locks.get(wa_id)
        if lock is None:
            lock = self._locks.setdefault(wa_id, asyncio.Lock())
        return lock

    # ------------------------------------------------------------------ webhook

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo ``hub.challenge`` when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        challenge = query.get("hub.challenge", "")
        if (
            query.get("hub.mode") == "subscribe"
            and challenge
            and hmac.compare_digest(token.encode(), self._verify_token.encode())
        ):
            log.info("WhatsApp webhook verified")
            return web.Response(text=challenge)
        log.warning("WhatsApp webhook verification refused (wrong mode or verify token)")
        return web.Response(status=403, text="verification failed")

    def valid_signature(self, body: bytes, header: str | None) -> bool:
        if not header or not header.startswith("sha256="):
            return False
        expected = signature_for(self._app_secret, body)
        return hmac.compare_digest(expected.encode(), header.strip().encode())

    async def webhook(self, request: web.Request) -> web.Response:
        if not self._accepting:
            return web.Response(status=503, text="shutting down")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="request too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="request too large")
        if not self.valid_signature(body, request.headers.get("X-Hub-Signature-256")):
            log.warning("WhatsApp webhook: missing or wrong X-Hub-Signature-256, ignored")
            return web.Response(status=401, text="bad signature")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="malformed JSON")
        if not isinstance(data, dict):
            return web.Response(status=400, text="expected a JSON object")
        self._spawn(self.process(data))
        return web.Response(text="ok")

    async def process(self, data: Mapping[str, Any]) -> None:
        """Handle one webhook body: statuses first, then each message in order."""
        for entry in _items(data.get("entry")):
            for change in _items(entry.get("changes")):
                if change.get("field") != "messages":
                    continue
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                metadata = value.get("metadata")
                metadata = metadata if isinstance(metadata, dict) else {}
                number = str(metadata.get("phone_number_id", self.phone_number_id))
                if number != self.phone_number_id:
                    log.warning("WhatsApp update for another phone number id ignored")
                    continue
                names = {
                    str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                    for c in _items(value.get("contacts"))
                }
                for status in _items(value.get("statuses")):
                    try:
                        await self.record_status(status)
                    except Exception:
                        log.exception("could not record a WhatsApp status")
                for message in _items(value.get("messages")):
                    try:
                        await self.handle_message(message, names)
                    except Exception:
                        log.exception("could not handle a WhatsApp message")

    # ------------------------------------------------------------------ inbound

    async def handle_message(self, message: Mapping[str, Any], names: Mapping[str, Any]) -> None:
        wa_id, message_id = str(message.get("from") or ""), str(message.get("id") or "")
        if not wa_id or not message_id:
            log.warning("WhatsApp message without sender or id ignored")
            return
        async with self._lock(wa_id):
            async with self.runtime.db.transaction() as session:
                fresh = await repo.claim_message(session, CHANNEL, message_id)
                if fresh:
                    # Someone who writes to us can be reached again.
                    await session.execute(
                        update(User)
                        .where(
                            User.channel == CHANNEL,
                            User.external_id == wa_id,
                            User.reachable.is_(False),
                        )
                        .values(reachable=True)
                    )
            if not fresh:
                log.info("WhatsApp message redelivered, already handled (%s)", masked(wa_id))
                return
            name = names.get(wa_id)
            event = await self.to_event(wa_id, message, name if isinstance(name, str) else None)
            if event is None:
                return
            replies = await self.runtime.core.handle(event)
            await self.converse(wa_id, replies)

    async def to_event(
        self, wa_id: str, message: Mapping[str, Any], first_name: str | None
    ) -> InboundEvent | None:
        """The core event for a WhatsApp message (``None`` when the channel answered itself)."""
        user = UserRef(CHANNEL, wa_id)
        kind = str(message.get("type") or "unknown")
        raw = message.get(kind)
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if kind == "text":
            return TextEvent(user=user, first_name=first_name, text=str(body.get("body", "")))
        if kind == "interactive":
            itype = str(body.get("type", ""))
            choice = body.get(itype) if itype in ("button_reply", "list_reply") else None
            if isinstance(choice, dict) and choice.get("id"):
                payload = str(choice["id"])
                if wa_render.parse_more(payload) and await self.show_more(wa_id, payload):
                    return None
                return ButtonEvent(user=user, first_name=first_name, payload=payload)
            return UnsupportedEvent(user=user, first_name=first_name, kind="interactive")
        if kind == "button":
            # A quick-reply button of a template: its text reads like what the user would type.
            return TextEvent(user=user, first_name=first_name, text=str(body.get("text", "")))
        if kind == "location":
            try:
                lat, lon = float(body["latitude"]), float(body["longitude"])
            except (KeyError, TypeError, ValueError):
                lat = lon = float("nan")
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return LocationEvent(user=user, first_name=first_name, latitude=lat, longitude=lon)
            return UnsupportedEvent(user=user, first_name=first_name, kind="location")
        data = None
        if kind == "image":
            data = await self.download_photo(str(body.get("id", "")))
        return UnsupportedEvent(
            user=user, first_name=first_name, kind=MEDIA_KINDS.get(kind, kind[:32]), data=data
        )

    async def download_photo(self, media_id: str) -> bytes | None:
        if not media_id.isdigit():
            return None
        try:
            data = await self.api.download_media(media_id, MAX_MEDIA_BYTES)
        except GraphError as exc:
            log.warning("could not download a WhatsApp photo: error %s", exc.code or exc.status)
            return None
        if data is None:
            log.info("a WhatsApp photo over %d bytes was not downloaded", MAX_MEDIA_BYTES)
        return data

    async def show_more(self, wa_id: str, row_id: str) -> bool:
        """Send the next page of a long list; False if the list is stale (the core says so)."""
        parsed = wa_render.parse_more(row_id)
        if parsed is None:
            return False
        token, page = parsed
        async with self.runtime.db.transaction() as session:
            row = await session.get(WhatsAppOptionPage, wa_id)
            await session.execute(
                update(User)
                .where(User.channel == CHANNEL, User.external_id == wa_id)
                .values(last_seen_at=utcnow())
            )
        if row is None or row.token != token:
            return False
        pages = wa_render.OptionPages(
            row.token, row.text, [(str(a), str(b)) for a, b in row.options]
        )
        recipient = await self.recipient(wa_id)
        _ = self.runtime.core.translator(recipient.locale).gettext
        message = wa_render.page_message(pages, page, _)
        if message is None:
            return False
        await self._converse_messages(wa_id, [wa_render.Outgoing(message)])
        return True

    async def record_status(self, status: Mapping[str, Any]) -> None:
        """Follow a sent message through sent → delivered → read (or failed, with its code)."""
        message_id, state = str(status.get("id") or ""), str(status.get("status") or "")
        wa_id = str(status.get("recipient_id") or "")
        if not message_id or state not in STATUS_RANK or state == "accepted":
            return
        errors = _items(status.get("errors"))
        code = errors[0].get("code") if errors else None
        code = code if isinstance(code, int) else None
        title = (
            str(errors[0].get("title") or errors[0].get("message") or "")[:128] if errors else None
        )
        now = utcnow()
        async with self.runtime.db.transaction() as session:
            await session.execute(
                repo.insert_ignore(session, WhatsAppMessage, ["message_id"]).values(
                    message_id=message_id[:128],
                    wa_id=wa_id[:64],
                    kind="unknown",
                    status=state,
                    error_code=code,
                    error_title=title,
                    created_at=now,
                    updated_at=now,
                )
            )
            row = await session.get(WhatsAppMessage, message_id[:128], with_for_update=True)
            if row is not None and STATUS_RANK[state] > STATUS_RANK.get(row.status, 0):
                row.status, row.updated_at = state, now
                if state == "failed":
                    row.error_code, row.error_title = code, title
                # The engagement log keeps delivery figures for reports (no ids, no text).
                user = await repo.get_user(session, UserRef(CHANNEL, wa_id)) if wa_id else None
                await repo.log_event(
                    session,
                    user_id=user.id if user else None,
                    channel=CHANNEL,
                    event_type="whatsapp",
                    name="status",
                    properties={"status": state, **({"error_code": code} if code else {})},
                )
            if state == "failed":
                log.warning(
                    "WhatsApp message to %s failed: error %s %s", masked(wa_id), code, title
                )
                if code == UNDELIVERABLE and wa_id:
                    await repo.mark_unreachable(
                        session, UserRef(CHANNEL, wa_id), f"whatsapp {code}"
                    )

    # ------------------------------------------------------------------ outbound

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

    async def converse(self, wa_id: str, replies: Sequence[Reply]) -> None:
        """Deliver the core's answer to an inbound message; never raises."""
        if not replies:
            return
        recipient = await self.recipient(wa_id)
        _ = self.runtime.core.translator(recipient.locale).gettext
        await self._converse_messages(wa_id, wa_render.render(replies, _))

    async def _converse_messages(self, wa_id: str, messages: Sequence[wa_render.Outgoing]) -> None:
        for out in messages:
            try:
                await reply_budget.acquire(self.runtime, CHANNEL, wa_id)
                await self._send_one(wa_id, out, retry=True)
            except DeliveryError as exc:
                log.warning(
                    "WhatsApp reply to %s not delivered (%s): %s",
                    masked(wa_id),
                    type(exc).__name__,
                    exc.reason,
                )
                return
            except Exception:
                log.exception("unexpected error sending a WhatsApp reply")
                return

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
        self, wa_id: str, out: wa_render.Outgoing, *, retry: bool, template: str | None = None
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
            return await self.api.send_message(wa_id, message)

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
        try:
            await self._remember_sent(wa_id, out, message_id, template)
        except Exception as exc:
            log.warning(
                "WhatsApp message %s was sent, but its bookkeeping was not saved (%s)",
                masked(message_id),
                type(exc).__name__,
            )
        return message_id

    async def _remember_sent(
        self, wa_id: str, out: wa_render.Outgoing, message_id: str, template: str | None
    ) -> None:
        now = utcnow()
        async with self.runtime.db.transaction() as session:
            await session.execute(
                _upsert(
                    session,
                    WhatsAppMessage,
                    ["message_id"],
                    {
                        "message_id": message_id[:128],
                        "wa_id": wa_id[:64],
                        "kind": out.kind[:16],
                        "template": template,
                        "status": "accepted",
                        "created_at": now,
                        "updated_at": now,
                    },
                    ["kind", "template"],
                )
            )
            if out.pages is not None:
                await session.execute(
                    _upsert(
                        session,
                        WhatsAppOptionPage,
                        ["wa_id"],
                        {
                            "wa_id": wa_id[:64],
                            "token": out.pages.token,
                            "text": out.pages.text,
                            "options": [list(o) for o in out.pages.options],
                            "created_at": now,
                        },
                        ["token", "text", "options", "created_at"],
                    )
                )

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


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
