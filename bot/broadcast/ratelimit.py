"""Per-channel rate limiting: a sliding window overall, a minimum gap per chat, and a pause."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

#: The engine runs this fraction of the configured limit, so scheduling and network jitter never
#: push a one-second window over the platform's limit.
HEADROOM = 0.97


class SlidingWindow:
    """At most ``count`` sends in any ``period`` seconds: the way platforms count.

    Unlike a token bucket with no burst, time lost to a slow moment is made up afterwards, so the
    achieved rate stays close to the limit without ever exceeding it in any window.
    """

    def __init__(
        self, rate: float, headroom: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        effective = rate * headroom
        if effective >= 2:
            self.count, self.period = int(effective), 1.0
        else:
            self.count, self.period = 1, 1.0 / effective
        self.clock = clock
        # Start as if the last period had been busy at the full rate: no burst at start-up, so a
        # dispatcher that replaces one that just died does not add a burst to its last second.
        now = clock()
        step = self.period / self.count
        self.sent: collections.deque[float] = collections.deque(
            now - self.period + step * (i + 1) for i in range(self.count)
        )

    def wait_time(self) -> float:
        now = self.clock()
        while self.sent and self.sent[0] <= now - self.period:
            self.sent.popleft()
        if len(self.sent) < self.count:
            return 0.0
        return self.sent[0] + self.period - now

    def take(self) -> bool:
        if self.wait_time() > 0:
            return False
        self.sent.append(self.clock())
        return True


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
        self.bucket = SlidingWindow(rate, headroom, clock=clock) if rate else None
        self.chat_gap = 1.0 / (per_chat * headroom) if per_chat else 0.0
        #: At least this long between any two sends: time lost to a slow moment is made up at
        #: no more than twice the rate, so sends never leave in a burst that the network could
        #: bunch up further on the way (the platform judges by arrival).
        self.gap = 0.5 / (rate * headroom) if rate else 0.0
        self.last_any = -1e9
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
                wait = max(self.paused_for(), self.last_any + self.gap - self.clock())
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
            self.last_any = self.clock()
            if self.chat_gap:
                now = self.clock()
                self.last_sent[chat] = now
                if len(self.last_sent) > 10_000:
                    horizon = now - self.chat_gap
                    self.last_sent = {k: v for k, v in self.last_sent.items() if v > horizon}
