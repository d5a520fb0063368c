"""The Telegram channel: python-telegram-bot's ``Bot`` behind polling or a webhook.

Every update goes through :meth:`TelegramChannel.handle_update`: translate it (:mod:`.adapter`),
then the shared inbound pipeline (:mod:`bot.channels.inbound`) claims ``bot_id:update_id`` in
the core's transaction, handles it and delivers the replies. A webhook post is answered 200
only once that is done (or was done before), 503 otherwise so Telegram delivers it again;
polling acknowledges an update (advances the offset) only then (:mod:`.polling`). Updates of one
user are handled in order; users run concurrently, up to the pipeline's slots.

Webhook mode sets the webhook at start and never deletes it (the other workers of the fleet
serve it too). Polling mode refuses to start while a webhook is set or another process polls
the same bot (:mod:`.polling`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import delete
from telegram import BotCommand, MenuButtonCommands, Update
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder

from bot.channels.base import Channel, RetryLater, StartupError, TransientError
from bot.channels.inbound import BadRequest as BadBody
from bot.channels.inbound import InboundPipeline, parse_json, read_body
from bot.channels.telegram.adapter import (
    ALLOWED_UPDATES,
    CHANNEL,
    MAX_PHOTO_BYTES,
    Inbound,
    PollVote,
    parse_update,
    poll_vote_event,
)
from bot.channels.telegram.delivery import TelegramDelivery, file_url, retry_after_seconds
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.polling import Poller
from bot.config import Settings
from bot.core.events import InboundEvent, UnsupportedEvent, UserRef
from bot.core.replies import Reply
from bot.db.models import utcnow
from bot.db.models_telegram import TelegramPoll
from bot.runtime import Runtime

__all__ = ["TelegramChannel", "file_url", "retry_after_seconds", "webhook_path"]

log = logging.getLogger(__name__)
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


def webhook_path(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return path or "/telegram"


def is_update(data: object) -> bool:
    """A JSON object with an integer ``update_id`` (``true`` is not an integer here)."""
    return isinstance(data, dict) and type(data.get("update_id")) is int


class TelegramChannel(TelegramDelivery, Channel):
    """Telegram through python-telegram-bot v22."""

    name: ClassVar[str] = CHANNEL

    #: Long-polling timeout (seconds) and the cap on the back-off between failed polls.
    poll_timeout: int = 25
    poll_backoff_cap: float = 30.0
    #: Show "typing…" when the core takes longer than this (seconds).
    typing_after: float = 0.8
    #: Quiz polls older than this are forgotten at start-up (an answer then counts as stale).
    poll_memory: timedelta = timedelta(days=30)

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return settings.telegram_bot_token is not None

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        settings = runtime.settings
        assert settings.telegram_bot_token is not None
        self.settings = settings
        #: The HTTP layers (replies; getUpdates), closed in stop() even if never started.
        self._requests = (AiohttpRequest(), AiohttpRequest(pool_size=1))
        self.application: TelegramApp = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .base_file_url(file_url(settings.telegram_api_url))
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            .updater(None)
            .build()
        )
        self.webhook_url = settings.telegram_webhook_url
        self.quiz_polls = settings.telegram_quiz_polls
        self.bot_id = 0
        self.bot_username = ""
        self._accepting = False
        self.poller: Poller | None = None
        self.pipeline = InboundPipeline(runtime, CHANNEL, self._deliver)
        self._typing: dict[str, asyncio.TimerHandle] = {}
        self._typing_tasks: set[asyncio.Task[bool]] = set()
        self._warned: set[str] = set()

    @property
    def bot(self) -> Any:
        return self.application.bot

    # ----------------------------------------------------------------------- lifecycle

    def setup_routes(self, app: web.Application) -> None:
        if self.webhook_url:
            app.router.add_post(webhook_path(self.webhook_url), self.webhook)

    async def start(self) -> None:
        try:
            await self._retrying(self.application.initialize)
        except InvalidToken as exc:
            raise StartupError(
                "TELEGRAM_BOT_TOKEN was rejected by the Bot API at "
                f"{self.settings.telegram_api_url} ({exc}). Check the token from @BotFather."
            ) from None
        except TelegramError as exc:
            raise StartupError(
                f"Could not reach the Telegram Bot API at {self.settings.telegram_api_url}: {exc}"
            ) from None
        me = self.bot.bot
        self.bot_id, self.bot_username = me.id, me.username or ""
        if self.bot_username and not self.runtime.settings.telegram_bot_username:
            # Invitation links (t.me/<bot>?start=ref_X) need the username: take it from getMe.
            self.runtime.settings.telegram_bot_username = self.bot_username
        if not self.webhook_url:
            # Before anything else: a second poller must not touch the first one's bot.
            self.poller = Poller(self)
            await self.poller.claim()
        self.runtime.core.senders[self.name] = self.send
        await self._forget_polls(utcnow() - self.poll_memory)
        await self._set_commands()
        if self.webhook_url:
            await self._set_webhook()
            mode = f"webhook at {webhook_path(self.webhook_url)}"
        else:
            assert self.poller is not None
            self.poller.start()
            mode = "long polling"
        self._accepting = True
        log.info("telegram: @%s is up (%s)", self.bot_username, mode)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in flight, close the HTTP connections."""
        self._accepting = False
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        await self.drain()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        for request in self._requests:  # a sender that never started opened them on use
            await request.shutdown()
        if self.runtime.core.senders.get(self.name) == self.send:
            del self.runtime.core.senders[self.name]

    async def drain(self) -> None:
        """Wait until every update taken so far has been handled and answered."""
        await self.pipeline.drain()

    async def _set_webhook(self) -> None:
        secret = self.settings.telegram_webhook_secret
        assert self.webhook_url is not None
        assert secret is not None
        try:
            await self._retrying(
                lambda: self.bot.set_webhook(
                    url=self.webhook_url,
                    secret_token=secret.get_secret_value(),
                    allowed_updates=list(ALLOWED_UPDATES),
                    max_connections=self.settings.telegram_max_connections,
                )
            )
        except TelegramError as exc:
            raise StartupError(f"Telegram refused the webhook {self.webhook_url}: {exc}") from None

    async def _set_commands(self) -> None:
        """The command menu in every language we speak (cosmetic: failures are only logged)."""
        core = self.runtime.core
        infos = core.router.visible_commands()
        for locale in (None, *core.locales):
            lang = locale or self.settings.default_locale
            t = core.translator(lang)
            commands = [
                BotCommand(info.name_for(lang), t(info.description)[:256]) for info in infos
            ]
            await self._cosmetic(
                "setMyCommands",
                functools.partial(self.bot.set_my_commands, commands, language_code=locale),
            )
        await self._cosmetic(
            "setChatMenuButton",
            lambda: self.bot.set_chat_menu_button(menu_button=MenuButtonCommands()),
        )

    # ----------------------------------------------------------------------- receiving

    def decode(self, data: object) -> Update | None:
        """An ``Update`` from JSON, or None (logged) when Telegram sent something we can't read."""
        if not is_update(data):
            log.warning("telegram: skipped an update without an update_id")
            return None
        assert isinstance(data, dict)
        try:
            update = Update.de_json(data, self.bot)
        except Exception as exc:
            log.warning(
                "telegram: skipped update %s that could not be read: %s",
                data["update_id"],
                type(exc).__name__,
            )
            return None
        return update

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: check the secret, the size and the JSON, then handle the update.

        200 once the update is handled and answered (or was before); 503 asks Telegram to
        deliver it again (starting, shutting down, no slot in time, the database unavailable).
        """
        secret = self.settings.telegram_webhook_secret
        assert secret is not None
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            log.warning("telegram webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = parse_json(await read_body(request))
        except BadBody as exc:
            return exc.response()
        if not is_update(data):
            return web.Response(status=400, text="not an update")
        if not self._accepting:
            # Starting or shutting down: Telegram retries later, nothing is lost.
            return web.Response(status=503, text="not ready")
        update = self.decode(data)
        if update is None or await self.handle_update(update):
            return web.Response(text="ok")
        return web.Response(status=503, text="try again later")

    async def handle_update(self, update: Update, *, wait: float | None = -1.0) -> bool:
        """Handle one update end to end; True once it is safe to acknowledge. Never raises."""
        inbound: Inbound | None = None
        key = f"{self.bot_id}:{update.update_id}"
        try:
            inbound = parse_update(update, self.bot_id, self.bot_username)
            if inbound.kind == "unreadable":
                log.warning("telegram: skipped update %s with ill-typed fields", update.update_id)
            if not inbound.acts:
                return True
            if inbound.blocked is not None:
                blocked = functools.partial(self._blocked, key, inbound.blocked)
                return await self.pipeline.run(key, inbound.blocked, blocked, wait=wait)
            if inbound.event is not None:
                user = inbound.event.user
            elif inbound.poll_vote is not None:
                user = UserRef(CHANNEL, str(inbound.poll_vote.user_id))
            else:
                return True
            route: dict[str, Any] = {
                "chat_id": inbound.chat_id,
                "edit": inbound.message_id,
                "typing": key,
            }
            make_event = functools.partial(self._event, key, inbound, route)
            try:
                return await self.pipeline.run(key, user, make_event, route, wait=wait)
            finally:
                self._stop_typing(key)
        except Exception as exc:
            self._log_failure(update, inbound, exc)
            return False

    async def _event(
        self, key: str, inbound: Inbound, route: dict[str, Any]
    ) -> InboundEvent | None:
        """The core's event for an update (fills ``route`` for a poll answer's chat)."""
        if inbound.callback_query_id is not None:
            query_id = inbound.callback_query_id
            await self._cosmetic(
                "answerCallbackQuery", lambda: self.bot.answer_callback_query(query_id)
            )
        event, chat_id = inbound.event, inbound.chat_id
        if inbound.poll_vote is not None:
            event, chat_id = await self._poll_vote(inbound.poll_vote)
            route["chat_id"], route["edit"] = chat_id, None
        if event is None or chat_id is None:
            return None
        if (
            isinstance(event, UnsupportedEvent)
            and inbound.photo_file_id is not None
            and await self.runtime.core.wants_media(event.user)
        ):
            event = dataclasses.replace(event, data=await self._download(inbound.photo_file_id))
        self._start_typing(key, chat_id)
        return event

    async def _blocked(self, key: str, user: UserRef) -> None:
        """The user blocked the bot: mark them unreachable (in their turn, once)."""
        if await self.pipeline.claim_only(key):
            await self._mark_unreachable(user, "blocked")

    def _start_typing(self, key: str, chat_id: int) -> None:
        """Show "typing…" if the core takes longer than ``typing_after``."""

        def fire() -> None:
            call = lambda: self.bot.send_chat_action(chat_id, ChatAction.TYPING)  # noqa: E731
            task = asyncio.ensure_future(self._cosmetic("sendChatAction", call))
            self._typing_tasks.add(task)
            task.add_done_callback(self._typing_tasks.discard)

        self._typing[key] = asyncio.get_running_loop().call_later(self.typing_after, fire)

    def _stop_typing(self, key: str) -> None:
        handle = self._typing.pop(key, None)
        if handle is not None:
            handle.cancel()

    async def _deliver(self, user: UserRef, replies: list[Reply], route: dict[str, Any]) -> None:
        """Deliver in the chat the update came from; a platform refusal is logged, not retried.

        Network trouble that outlasts the retries raises, so the update is delivered again.
        """
        self._stop_typing(str(route.get("typing")))
        chat_id = route.get("chat_id")
        if not isinstance(chat_id, int):
            return
        edit = route.get("edit")
        try:
            await self.deliver(
                chat_id, user, replies, edit_message_id=edit if isinstance(edit, int) else None
            )
        except RetryAfter as exc:
            raise RetryLater(str(exc), retry_after_seconds(exc)) from None
        except NetworkError as exc:  # TimedOut too; BadRequest and Forbidden are not
            if isinstance(exc, BadRequest | Forbidden):
                log.warning("telegram: a reply was refused (%s); not retried", exc)
                return
            raise TransientError(str(exc)) from None
        except TelegramError as exc:
            log.warning("telegram: a reply was refused (%s); not retried", exc)

    async def _poll_vote(self, vote: PollVote) -> tuple[InboundEvent | None, int | None]:
        """The button press a quiz-poll answer stands for, and the chat to answer in."""
        async with self.runtime.db.transaction() as session:
            poll = await session.get(TelegramPoll, vote.poll_id)
            if poll is None:
                log.info("telegram: an answer to an unknown or forgotten poll; ignored")
                return None, None
            chat_id, user_id, payloads = poll.chat_id, poll.user_id, list(poll.payloads)
        if user_id != str(vote.user_id) or not 0 <= vote.option < len(payloads):
            # Someone else's answer in a group, or an option the poll never had.
            return None, None
        payload = payloads[vote.option]
        if not isinstance(payload, str):
            return None, None
        in_group = chat_id != vote.user_id
        return poll_vote_event(vote, payload, in_group), chat_id

    async def _download(self, file_id: str) -> bytes | None:
        """A user's photo (getFile, then the file URL), or None (logged) if it can't be had.

        Errors are logged by type only: the file URL holds the bot token.
        """
        try:
            tg_file = await self._retrying(lambda: self.bot.get_file(file_id))
            size = tg_file.file_size
            if size is not None and size > MAX_PHOTO_BYTES:
                log.warning("telegram: a photo of %d bytes is over the limit; not downloaded", size)
                return None
            data = bytes(await self._retrying(tg_file.download_as_bytearray))
        except Exception as exc:
            log.warning("telegram: could not download a photo (%s)", type(exc).__name__)
            return None
        if len(data) > MAX_PHOTO_BYTES:
            log.warning("telegram: a photo of %d bytes is over the limit; dropped", len(data))
            return None
        return data

    async def _forget_polls(self, before: datetime) -> None:
        try:
            async with self.runtime.db.transaction() as session:
                await session.execute(delete(TelegramPoll).where(TelegramPoll.created_at < before))
        except Exception as exc:
            log.warning("telegram: could not forget old quiz polls (%s)", type(exc).__name__)

    def _log_failure(self, update: Update, inbound: Inbound | None, exc: BaseException) -> None:
        log.error(
            "telegram: update %s failed (chat type %s, %s event): %s",
            update.update_id,
            inbound.chat_type if inbound else "?",
            inbound.kind if inbound else "?",
            type(exc).__name__,
            exc_info=exc,
        )
