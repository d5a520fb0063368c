"""What every channel adapter provides, and the delivery errors senders raise.

A channel receives platform updates (polling or a webhook), turns each into a core event, calls
``Core.handle`` and delivers the replies. It also *sends* on its own (broadcasts, reminders): the
broadcast engine calls :meth:`Channel.send` and reacts to the :class:`DeliveryError` subclasses.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar

from aiohttp import web

from bot.core.replies import Reply
from bot.runtime import Runtime


class StartupError(Exception):
    """A channel cannot start (token rejected, API unreachable): one clear line, exit 1."""


class DeliveryError(Exception):
    """A message could not be delivered; subclasses say what the sender should do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Rate limited: pause the whole channel for ``retry_after`` seconds, then retry."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(DeliveryError):
    """The user blocked the bot or cannot receive messages: mark them unreachable, skip them."""


class TransientError(DeliveryError):
    """A network error or 5xx: retry with capped backoff."""


class PermanentError(DeliveryError):
    """Will never succeed as sent (bad request, outside the messaging window, ...): record it."""


class Channel(abc.ABC):
    """A messaging platform behind the core."""

    #: The ``channel`` value of its users (``telegram``, ``whatsapp``).
    name: ClassVar[str]

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def setup_routes(self, app: web.Application) -> None:  # noqa: B027 - optional hook
        """Add webhook routes to the shared aiohttp app (before it starts)."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Start receiving (polling or registering the webhook)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop receiving, finish what is in flight, release connections."""

    @abc.abstractmethod
    async def send(self, external_id: str, replies: Sequence[Reply]) -> str | None:
        """Deliver replies to one user outside a conversation; raise a DeliveryError on failure."""

    async def send_broadcast(self, external_id: str, replies: Sequence[Reply]) -> str | None:
        """Deliver one broadcast message; return the platform's message id where it gives one.

        Channels with extra rules for messages the user did not ask for (WhatsApp's 24-hour
        window and approved templates) override this.
        """
        return await self.send(external_id, replies)
