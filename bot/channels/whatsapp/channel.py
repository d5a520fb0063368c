"""The WhatsApp channel: the Cloud API webhook in, Graph API messages out, around the core.

Inbound: ``GET /whatsapp`` answers Meta's verification handshake; ``POST /whatsapp`` checks the
``X-Hub-Signature-256`` HMAC of the raw body and the body itself
(:mod:`bot.channels.whatsapp.inbound`), records ``statuses`` and runs each message through the
shared inbound pipeline (:mod:`bot.channels.inbound`). It answers 200 only once every message of
the body is handled and its replies delivered (or was handled before), and 503 otherwise, so
Meta delivers the body again: a crash or an overloaded worker loses nothing, and a redelivery is
handled once. Concurrency is bounded by the pipeline's slots, not by the number of posts.

Outbound: :mod:`bot.channels.whatsapp.outbound`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time

from aiohttp import web
from sqlalchemy import update

from bot.channels.base import Channel
from bot.channels.inbound import BadRequest, InboundPipeline, parse_json, read_body
from bot.channels.whatsapp import render as wa_render
from bot.channels.whatsapp.api import GraphAPI, GraphError
from bot.channels.whatsapp.inbound import Body, Message, parse_body, to_event
from bot.channels.whatsapp.outbound import (
    CHANNEL,
    OutsideWindow,
    Recipient,
    WhatsAppOutbound,
    masked,
)
from bot.channels.whatsapp.statuses import record_status
from bot.config import ConfigError, Settings
from bot.core.events import InboundEvent, UserRef
from bot.core.replies import Reply
from bot.db.engine import unavailable
from bot.db.models import User, utcnow
from bot.db.models_whatsapp import WhatsAppOptionPage
from bot.logs import register_secret
from bot.runtime import Runtime

__all__ = ["OutsideWindow", "Recipient", "WhatsAppChannel", "masked", "signature_for"]

log = logging.getLogger(__name__)

#: Largest photo downloaded for a flow (WhatsApp's own image limit is 5 MB).
MAX_MEDIA_BYTES = 5 * 1024 * 1024
REQUIRED = {
    "whatsapp_token": "WHATSAPP_TOKEN",
    "whatsapp_phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "whatsapp_app_secret": "WHATSAPP_APP_SECRET",
    "whatsapp_verify_token": "WHATSAPP_VERIFY_TOKEN",
}


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if callable(getter) else value)


def signature_for(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppChannel(WhatsAppOutbound, Channel):
    name = CHANNEL

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
        self.pipeline = InboundPipeline(runtime, CHANNEL, self._deliver)
        self.max_age = settings.inbound_max_age
        self._accepting = True

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
        """Wait until every message taken so far has been handled, answered and recorded."""
        await self.pipeline.drain()
        await self.sent_log.flush()

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
        try:
            raw = await read_body(request)
            if not self.valid_signature(raw, request.headers.get("X-Hub-Signature-256")):
                log.warning("WhatsApp webhook: missing or wrong X-Hub-Signature-256, ignored")
                return web.Response(status=401, text="bad signature")
            body = parse_body(parse_json(raw), self.phone_number_id)
        except BadRequest as exc:
            return exc.response()
        if body.foreign:
            log.warning("WhatsApp update for another phone number id ignored")
        if await self.process(body):
            return web.Response(text="ok")
        return web.Response(status=503, text="try again later")

    async def process(self, body: Body) -> bool:
        """Record the statuses, then handle each message in order; True when all are safe."""
        if body.display_number and not self.runtime.settings.whatsapp_number:
            # Invitation links (wa.me/<number>?text=ref%20X) need the number: take it from the
            # webhook's metadata when WHATSAPP_NUMBER is unset (as Telegram takes its username
            # from getMe), so every share message leads to the bot.
            self.runtime.settings.whatsapp_number = body.display_number
            log.info("whatsapp: invitation links use the number %s", body.display_number)
        for status in body.statuses:
            try:
                await record_status(self.runtime, status)
            except Exception as exc:
                if unavailable(exc):  # statuses are idempotent: Meta may send them again
                    return False
                log.exception("could not record a WhatsApp status")
        now = time.time()
        for message in body.messages:
            if message.timestamp is not None and now - message.timestamp > self.max_age:
                log.info(
                    "WhatsApp message from %s too old to handle; ignored", masked(message.wa_id)
                )
                continue
            user = UserRef(CHANNEL, message.wa_id)
            make_event = functools.partial(self._event, message)
            ok = await self.pipeline.run(message.message_id, user, make_event)
            if not ok:
                return False
        return True

    # ------------------------------------------------------------------ inbound

    async def _event(self, message: Message) -> InboundEvent | None:
        event = await to_event(message, self.runtime.core.wants_media, self.download_photo)
        payload = getattr(event, "payload", None)
        if (
            isinstance(payload, str)
            and wa_render.parse_more(payload)
            and await self.show_more(message.wa_id, message.message_id, payload)
        ):
            return None
        return event

    async def _deliver(self, user: UserRef, replies: list[Reply], route: dict[str, object]) -> None:
        locale = route.get("locale")
        await self.converse(user.external_id, replies, locale if isinstance(locale, str) else None)

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

    async def show_more(self, wa_id: str, message_id: str, row_id: str) -> bool:
        """Send the next page of a long list; False if the list is stale (the core says so).

        The tap's id is claimed first, so a redelivered tap does not send the page twice.
        """
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
        if await self.pipeline.claim_only(message_id):
            await self._converse_messages(wa_id, [wa_render.Outgoing(message)])
        return True
