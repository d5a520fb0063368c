"""Per-channel rate limiting: a token bucket overall, a minimum gap per chat, and a pause."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

#: The engine runs this fraction of the configured limit, so scheduling and network jitter never
#: push a one-second window over the platform's limit.
HEADROOM = 0.97


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(
        self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ChannelLimiter:
    """What one channel may send: ``rate`` per second overall, ``per_chat`` per second per chat,
    nothing while paused (the platform asked us to retry later)."""

    def __init__(
        self,
        rate: float | None,
        per_chat: float | None = None,
        *,
        headroom: float = HEADROOM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.bucket = TokenBucket(rate * headroom, clock=clock) if rate else None
        self.chat_gap = 1.0 / (per_chat * headroom) if per_chat else 0.0
        self.last_sent: dict[str, float] = {}
        self.paused_until = 0.0
        self.pauses = 0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Stop every send on this channel for ``seconds``."""
        self.pauses += 1
        self.paused_until = max(self.paused_until, self.clock() + max(0.0, seconds))

    def paused_for(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    async def acquire(self, chat: str) -> None:
        """Wait until one message to ``chat`` may go out."""
        async with self._lock:
            while True:
                wait = self.paused_for()
                if self.chat_gap:
                    last = self.last_sent.get(chat)
                    if last is not None:
                        wait = max(wait, last + self.chat_gap - self.clock())
                if self.bucket is not None:
                    wait = max(wait, self.bucket.wait_time())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                if self.bucket is None or self.bucket.take():
                    break
            if self.chat_gap:
                now = self.clock()
                self.last_sent[chat] = now
                if len(self.last_sent) > 10_000:
                    horizon = now - self.chat_gap
                    self.last_sent = {k: v for k, v in self.last_sent.items() if v > horizon}
