"""Telegram outbound: replies in a conversation (retried, edited in place, quiz polls) and
sends outside one (broadcasts), with the call policies (retrying, once, cosmetic)."""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot import retry as retry_policy
from bot.broadcast import budget as reply_budget
from bot.channels.base import PermanentError, RetryLater, TransientError, Unreachable
from bot.channels.telegram.adapter import CHANNEL
from bot.channels.telegram.render import Outgoing, Poll, render
from bot.core.events import UserRef
from bot.core.replies import Reply
from bot.db import repo
from bot.db.models import utcnow
from bot.db.models_telegram import TelegramPoll
from bot.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


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


#: Uploaded images whose Telegram ``file_id`` is kept for reuse (the oldest are forgotten).
PHOTO_IDS_KEPT = 256


class TelegramDelivery:
    """The sending half of :class:`~bot.channels.telegram.channel.TelegramChannel`."""

    runtime: Runtime
    quiz_polls: bool
    _warned: set[str]
    #: Retries for network errors and 5xx: first delay, cap, and attempts in all.
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_attempts: int = 5
    #: A 429 asking for a longer wait than this, inside a conversation, is given up on.
    max_retry_after: float = 60.0

    @property
    def bot(self) -> Any:
        """The PTB ``Bot``: provided by :class:`TelegramChannel`, which owns the Application."""
        raise NotImplementedError

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
                    await reply_budget.acquire(self.runtime, CHANNEL, str(chat_id))
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
            return await self._send_photo(chat_id, message, text or None, mode)
        return await self.bot.send_message(
            chat_id,
            text,
            parse_mode=mode,
            reply_markup=message.markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _send_photo(
        self, chat_id: int, message: Outgoing, caption: str | None, mode: str | None
    ) -> Any:
        """Upload an image once; later sends of the same bytes reuse Telegram's ``file_id``
        (a poll's result chart goes to thousands of people: one upload, not thousands)."""
        assert message.image is not None
        data = message.image.data
        digest = hashlib.sha256(data).hexdigest()
        cache: dict[str, str] = self.__dict__.setdefault("_photo_ids", {})
        known = cache.get(digest)
        if known is not None:
            try:
                return await self.bot.send_photo(
                    chat_id, known, caption=caption, parse_mode=mode, reply_markup=message.markup
                )
            except BadRequest as exc:
                if "file" not in str(exc).lower():
                    raise
                cache.pop(digest, None)  # the id is no longer valid: upload again
        sent = await self.bot.send_photo(
            chat_id,
            InputFile(data, filename=message.image.filename),
            caption=caption,
            parse_mode=mode,
            reply_markup=message.markup,
        )
        sizes = getattr(sent, "photo", None) or ()
        if sizes:
            while len(cache) >= PHOTO_IDS_KEPT:
                del cache[next(iter(cache))]
            cache[digest] = sizes[-1].file_id
        return sent

    # ----------------------------------------------------------------------- call policies

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Honour 429 (sleep ``retry_after``), retry network errors and 5xx with capped backoff."""

        def worth_retrying(exc: BaseException) -> bool:
            if isinstance(exc, RetryAfter):
                return retry_after_seconds(exc) <= self.max_retry_after
            if isinstance(exc, (BadRequest, Forbidden, InvalidToken, ChatMigrated, Conflict)):
                return False
            return isinstance(exc, TelegramError)  # NetworkError, TimedOut, 5xx, unreadable

        async def attempt() -> T:
            try:
                return await call()
            except RetryAfter as exc:
                # The bot as a whole is over its limit: the fleet's sender waits too.
                await reply_budget.platform_paused(self.runtime, CHANNEL, retry_after_seconds(exc))
                raise

        return await retry_policy.calls(
            attempt,
            retry_on=worth_retrying,
            attempts=self.max_attempts,
            base=self.backoff_base,
            cap=self.backoff_cap,
            wait_for=lambda e: retry_after_seconds(e) if isinstance(e, RetryAfter) else None,
            what="telegram call",
        )

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
