"""The Telegram channel: python-telegram-bot's ``Application`` in polling or webhook mode.

Every update goes through one handler (:meth:`TelegramChannel.handle_update`): translate it
(:mod:`.adapter`), claim its ``update_id`` (a redelivery is a no-op, across restarts), acknowledge a
button press, ask the core, deliver the replies. Updates of one chat are handled in order; chats
run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hmac
import html as html_lib
import json
import logging
import re
import warnings
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import delete
from telegram import (
    BotCommand,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    MenuButtonCommands,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.channels.base import (
    Channel,
    PermanentError,
    RetryLater,
    StartupError,
    TransientError,
    Unreachable,
)
from bot.channels.telegram.adapter import (
    ALLOWED_UPDATES,
    CHANNEL,
    MAX_PHOTO_BYTES,
    Inbound,
    Outgoing,
    Poll,
    PollVote,
    parse_update,
    poll_vote_event,
    render,
)
from bot.config import Settings
from bot.core.events import InboundEvent, UnsupportedEvent, UserRef
from bot.core.replies import Reply
from bot.db import repo
from bot.db.models import utcnow
from bot.db.models_telegram import TelegramPoll
from bot.runtime import Runtime
from bot.web.app import MAX_BODY_BYTES

log = logging.getLogger(__name__)
T = TypeVar("T")
# We call getUpdates raw on purpose (see _poll): one unreadable update must not stall polling.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class _Blocked(Exception):
    """The user blocked the bot (Forbidden): stop delivering to them."""


def file_url(api_url: str) -> str:
    """The file-download base for an API base URL (``…/bot`` → ``…/file/bot``)."""
    base = api_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("bot")] + "file/bot"
    return base + "/file/bot"


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` is an int or a timedelta in v22, depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def webhook_path(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return path or "/telegram"


class TelegramChannel(Channel):
    """Telegram through python-telegram-bot v22."""

    name: ClassVar[str] = CHANNEL

    #: Retries for network errors and 5xx: first delay, cap, and attempts in all.
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_attempts: int = 5
    #: A 429 asking for a longer wait than this, inside a conversation, is given up on.
    max_retry_after: float = 60.0
    #: Long-polling timeout (seconds) and the cap on the back-off between failed polls.
    poll_timeout: int = 25
    poll_backoff_cap: float = 30.0
    #: Show "typing…" when the core takes longer than this (seconds).
    typing_after: float = 0.8
    #: Updates handled at once (different chats; one chat's updates stay in order).
    concurrency: int = 32
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
        self.application: TelegramApp = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .base_file_url(file_url(settings.telegram_api_url))
            .updater(None)
            .concurrent_updates(self.concurrency)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.webhook_url = settings.telegram_webhook_url
        self.quiz_polls = settings.telegram_quiz_polls
        self.bot_id = 0
        self.bot_username = ""
        self._accepting = False
        self._poll_task: asyncio.Task[None] | None = None
        self._chat_locks: weakref.WeakValueDictionary[int | str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
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
        await self.application.start()
        self.runtime.core.senders[self.name] = self.send
        await self._forget_polls(utcnow() - self.poll_memory)
        await self._set_commands()
        if self.webhook_url:
            await self._set_webhook()
            mode = f"webhook at {webhook_path(self.webhook_url)}"
        else:
            # A webhook left from an earlier run would make getUpdates fail with 409.
            await self._cosmetic("deleteWebhook", lambda: self.bot.delete_webhook())
            self._poll_task = asyncio.create_task(self._poll(), name="telegram-polling")
            mode = "long polling"
        self._accepting = True
        log.info("telegram: @%s is up (%s)", self.bot_username, mode)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in flight, close the HTTP connections."""
        self._accepting = False
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        if self.runtime.core.senders.get(self.name) == self.send:
            del self.runtime.core.senders[self.name]

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

    async def _poll(self) -> None:
        """Long polling: fetch raw updates and queue them for the Application."""
        offset: int | None = None
        delay = 0.0
        while True:
            try:
                raw = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": self.poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=self.poll_timeout + 10,
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (TelegramError, ValueError, TypeError) as exc:
                delay = min(self.poll_backoff_cap, max(self.backoff_base, delay * 2))
                if isinstance(exc, Conflict):
                    log.warning(
                        "telegram: getUpdates conflict (another instance polling, or a webhook "
                        "is set): %s; retrying in %.1fs",
                        exc,
                        delay,
                    )
                else:
                    log.warning("telegram: getUpdates failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            delay = 0.0
            for item in raw if isinstance(raw, list) else []:
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if isinstance(update_id, int):
                    offset = max(offset or 0, update_id + 1)
                update = self.decode(item)
                if update is not None:
                    await self.application.update_queue.put(update)

    def decode(self, data: object) -> Update | None:
        """An ``Update`` from JSON, or None (logged) when Telegram sent something we can't read."""
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("telegram: skipped an update without an update_id")
            return None
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
        """Telegram's POST: check the secret, the size and the JSON, then queue the update."""
        secret = self.settings.telegram_webhook_secret
        assert secret is not None
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            log.warning("telegram webhook: wrong or missing secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.Response(status=413, text="too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large")
        try:
            data = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="malformed JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        if not self._accepting:
            # Starting or shutting down: Telegram retries later, nothing is lost.
            return web.Response(status=503, text="not ready")
        update = self.decode(data)
        if update is not None:
            await self.application.update_queue.put(update)
        return web.Response(text="ok")

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.handle_update(update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error(
            "telegram: unhandled error for update %s: %r",
            getattr(update, "update_id", "?"),
            context.error,
        )

    async def handle_update(self, update: Update) -> None:
        """Handle one update end to end; never raises."""
        inbound: Inbound | None = None
        try:
            inbound = parse_update(update, self.bot_id, self.bot_username)
            if inbound.kind == "unreadable":
                log.warning("telegram: skipped update %s with ill-typed fields", update.update_id)
            if not inbound.acts:
                return
            key: int | str = update.update_id
            if inbound.chat_id is not None:
                key = inbound.chat_id
            elif inbound.poll_vote is not None:
                key = inbound.poll_vote.user_id  # their private chat: same lock as their taps
            lock = self._chat_locks.get(key)
            if lock is None:
                lock = self._chat_locks.setdefault(key, asyncio.Lock())
            async with lock:
                await self._handle(update, inbound)
        except Exception as exc:
            self._log_failure(update, inbound, exc)
            if inbound is not None and inbound.event is not None and inbound.chat_id is not None:
                with contextlib.suppress(Exception):
                    replies = await self.runtime.core.apologise(inbound.event, exc)
                    await self.deliver(inbound.chat_id, inbound.event.user, replies)

    async def _handle(self, update: Update, inbound: Inbound) -> None:
        async with self.runtime.db.transaction() as session:
            fresh = await repo.claim_message(session, CHANNEL, f"{self.bot_id}:{update.update_id}")
        if not fresh:
            log.debug("telegram: update %s was already handled", update.update_id)
            return
        if inbound.callback_query_id is not None:
            query_id = inbound.callback_query_id
            await self._cosmetic(
                "answerCallbackQuery", lambda: self.bot.answer_callback_query(query_id)
            )
        if inbound.blocked is not None:
            await self._mark_unreachable(inbound.blocked, "blocked")
            return
        event, chat_id = inbound.event, inbound.chat_id
        if inbound.poll_vote is not None:
            event, chat_id = await self._poll_vote(inbound.poll_vote)
        if event is None or chat_id is None:
            return
        if (
            isinstance(event, UnsupportedEvent)
            and inbound.photo_file_id is not None
            and await self.runtime.core.wants_media(event.user)
        ):
            event = dataclasses.replace(event, data=await self._download(inbound.photo_file_id))
        replies = await self._ask_core(event, chat_id)
        await self.deliver(chat_id, event.user, replies, edit_message_id=inbound.message_id)

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

    async def _ask_core(self, event: InboundEvent, chat_id: int) -> list[Reply]:
        task = asyncio.ensure_future(self.runtime.core.handle(event))
        done, _ = await asyncio.wait({task}, timeout=self.typing_after)
        if not done:
            await self._cosmetic(
                "sendChatAction",
                lambda: self.bot.send_chat_action(chat_id, ChatAction.TYPING),
            )
        return await task

    def _log_failure(self, update: Update, inbound: Inbound | None, exc: BaseException) -> None:
        log.error(
            "telegram: update %s failed (chat type %s, %s event, text %r): %s: %s",
            update.update_id,
            inbound.chat_type if inbound else "?",
            inbound.kind if inbound else "?",
            inbound.log_text if inbound else "",
            type(exc).__name__,
            exc,
            exc_info=exc,
        )

    # ----------------------------------------------------------------------- delivering

    async def deliver(
        self,
        chat_id: int,
        user: UserRef,
        replies: Sequence[Reply],
        *,
        edit_message_id: int | None = None,
    ) -> None:
        """Replies inside a conversation: retried, edited in place where asked, in order."""
        try:
            for i, reply in enumerate(replies):
                if (
                    i == 0
                    and reply.replace
                    and edit_message_id is not None
                    and await self._edit(chat_id, edit_message_id, reply)
                ):
                    continue
                for message in render(reply, quiz_polls=self.quiz_polls):
                    if message.poll is not None:
                        chat_id = await self._send_poll(chat_id, user, message.poll, reply)
                        continue
                    chat_id = await self._send_one(chat_id, message, self._retrying)
        except _Blocked as exc:
            await self._mark_unreachable(user, str(exc))

    async def _send_poll(self, chat_id: int, user: UserRef, poll: Poll, reply: Reply) -> int:
        """A question as a quiz poll, remembered so its answer maps back; buttons if refused."""
        try:
            sent = await self._retrying(
                lambda: self.bot.send_poll(
                    chat_id,
                    poll.question,
                    list(poll.options),
                    is_anonymous=False,
                    type="quiz",
                    correct_option_ids=[poll.correct],
                    explanation=poll.explanation or None,
                )
            )
            poll_id = sent.poll.id if sent is not None and sent.poll is not None else None
            if not isinstance(poll_id, str):
                raise BadRequest("sendPoll returned no poll")
        except Forbidden as exc:
            raise _Blocked(str(exc)) from None
        except (TelegramError, TypeError, ValueError) as exc:
            # Refused, or an answer this library can't read (an older Bot API server).
            log.warning("telegram: sendPoll failed (%s); showing the question as buttons", exc)
            for message in render(reply):
                chat_id = await self._send_one(chat_id, message, self._retrying)
            return chat_id
        async with self.runtime.db.transaction() as session:
            await session.execute(
                repo.insert_ignore(session, TelegramPoll, ["poll_id"]).values(
                    poll_id=poll_id,
                    chat_id=chat_id,
                    user_id=user.external_id,
                    payloads=list(poll.payloads),
                    created_at=utcnow(),
                )
            )
        return chat_id

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        """Deliver to one user outside a conversation (broadcasts); raises a DeliveryError."""
        try:
            chat_id = int(external_id)
        except ValueError:
            raise PermanentError(f"not a Telegram chat id: {external_id!r}") from None
        try:
            for reply in replies:
                for message in render(reply):
                    chat_id = await self._send_one(chat_id, message, self._once)
        except _Blocked as exc:
            raise Unreachable(str(exc)) from None
        except RetryAfter as exc:
            raise RetryLater(str(exc), retry_after_seconds(exc)) from None
        except (BadRequest, InvalidToken, Conflict) as exc:
            raise PermanentError(str(exc)) from None
        except TelegramError as exc:
            raise TransientError(str(exc)) from None

    async def _edit(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Edit the pressed message in place; False if it can't be (then a new one is sent)."""
        messages = render(reply)
        if len(messages) != 1 or messages[0].image is not None:
            return False
        message = messages[0]
        if message.markup is not None and not isinstance(message.markup, InlineKeyboardMarkup):
            return False
        try:
            await self._retrying(
                lambda: self.bot.edit_message_text(
                    message.text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=message.markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            )
        except Forbidden as exc:
            raise _Blocked(str(exc)) from None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("telegram: could not edit a message (%s); sending a new one", exc)
            return False
        return True

    async def _send_one(
        self,
        chat_id: int,
        message: Outgoing,
        call: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]],
    ) -> int:
        """Send one message; returns the chat id (changed if the group became a supergroup)."""
        html = True
        for _ in range(3):
            try:
                await call(functools.partial(self._api_send, chat_id, message, html=html))
                return chat_id
            except Forbidden as exc:
                raise _Blocked(str(exc)) from None
            except ChatMigrated as exc:
                chat_id = exc.new_chat_id
            except BadRequest as exc:
                if not html or "parse" not in str(exc).lower():
                    raise
                # Should never happen (the renderer escapes everything); plain text still helps.
                log.error("telegram: HTML was rejected (%s); sending plain text", exc)
                html = False
        return chat_id

    async def _api_send(self, chat_id: int, message: Outgoing, *, html: bool) -> Any:
        text = message.text if html else _strip_tags(message.text)
        mode = ParseMode.HTML if html else None
        if message.image is not None:
            return await self.bot.send_photo(
                chat_id,
                InputFile(message.image.data, filename=message.image.filename),
                caption=text or None,
                parse_mode=mode,
                reply_markup=message.markup,
            )
        return await self.bot.send_message(
            chat_id,
            text,
            parse_mode=mode,
            reply_markup=message.markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    # ----------------------------------------------------------------------- call policies

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Honour 429 (sleep ``retry_after``), retry network errors and 5xx with capped backoff."""
        delay = self.backoff_base
        attempt = 1
        while True:
            try:
                return await call()
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if attempt >= self.max_attempts or wait > self.max_retry_after:
                    raise
                log.info("telegram: rate limited, retrying in %.1fs", wait)
                await asyncio.sleep(wait)
            except (BadRequest, Forbidden, InvalidToken, ChatMigrated, Conflict):
                raise
            except TelegramError as exc:  # NetworkError, TimedOut, 5xx, an unreadable answer
                if attempt >= self.max_attempts:
                    raise
                log.info("telegram: %s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(self.backoff_cap, delay * 2)
            attempt += 1

    @staticmethod
    async def _once(call: Callable[[], Awaitable[T]]) -> T:
        return await call()

    async def _cosmetic(self, method: str, call: Callable[[], Awaitable[Any]]) -> bool:
        """A call the user can do without: a failure is logged once per method, never raised."""
        try:
            await call()
        except Exception as exc:
            if method not in self._warned:
                self._warned.add(method)
                log.warning("telegram: %s failed (%s); carrying on without it", method, exc)
            return False
        return True

    async def _mark_unreachable(self, user: UserRef, reason: str) -> None:
        log.info("telegram: a user blocked the bot; marking them unreachable")
        async with self.runtime.db.transaction() as session:
            await repo.mark_unreachable(session, user, reason[:64])


def _strip_tags(text: str) -> str:
    return html_lib.unescape(re.sub(r"<[^<>]*>", "", text))
