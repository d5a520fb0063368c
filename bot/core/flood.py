"""Flood control: one user sending too much, too fast, is asked to slow down and briefly ignored.

Channel-agnostic and in memory (per process): it protects the database and the platform's rate
limits from one runaway client without affecting anyone else.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    #: Over the limit just now: send one "slow down" and start ignoring.
    WARN = "warn"
    #: Still cooling down: ignore silently.
    DROP = "drop"


class FloodControl:
    """At most ``limit`` events per ``window`` seconds per key; then quiet for ``cooldown``."""

    #: Forget idle keys once this many are tracked (keeps memory bounded under many users).
    SWEEP_AT = 10_000

    def __init__(
        self,
        limit: int = 10,
        window: float = 5.0,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.cooldown, self.clock = limit, window, cooldown, clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._muted_until: dict[Hashable, float] = {}

    def check(self, key: Hashable) -> Verdict:
        now = self.clock()
        muted = self._muted_until.get(key)
        if muted is not None:
            if now < muted:
                return Verdict.DROP
            del self._muted_until[key]
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.SWEEP_AT:
                self._sweep(now)
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        hits.append(now)
        if len(hits) > self.limit:
            hits.clear()
            self._muted_until[key] = now + self.cooldown
            return Verdict.WARN
        return Verdict.OK

    def _sweep(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window]:
            del self._hits[key]
        for key in [k for k, until in self._muted_until.items() if until <= now]:
            del self._muted_until[key]
