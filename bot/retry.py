"""One retry policy for the whole bot, built on tenacity: capped exponential backoff.

- :func:`backoff` is the delay before attempt ``n + 1`` (the outbox schedules a retried row
  that far ahead instead of sleeping).
- :func:`calls` retries an awaitable call a few times on the exceptions a caller names, honouring
  a platform's ``retry_after`` when the exception carries one (Telegram and WhatsApp sends).
- :func:`until_written` retries a database write until it lands (or ``give_up`` says stop): used
  for results of sends that already happened, which must never be dropped and never re-sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

log = logging.getLogger(__name__)
T = TypeVar("T")


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): base·2^(n-1), capped."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


class _Stop(stop_base):
    def __init__(self, predicate: Callable[[], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate()


async def calls(
    call: Callable[[], Awaitable[T]],
    *,
    retry_on: Callable[[BaseException], bool],
    attempts: int,
    base: float,
    cap: float,
    wait_for: Callable[[BaseException], float | None] = lambda exc: None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    what: str = "call",
) -> T:
    """Run ``call``; on an exception ``retry_on`` accepts, wait and try again, ``attempts`` in
    all. ``wait_for`` may return the platform's own delay (e.g. ``retry_after``), else the
    capped exponential backoff is used. The last exception is re-raised."""
    exp = wait_exponential(multiplier=base, max=cap)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        own = wait_for(exc) if exc is not None else None
        return float(own) if own is not None else float(exp(state))

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.info("%s failed (%s); retrying in %.1fs", what, exc, delay)

    kwargs = {} if sleep is None else {"sleep": sleep}
    retrying = AsyncRetrying(
        retry=retry_if_exception(retry_on),
        stop=stop_after_attempt(attempts),
        wait=wait,
        reraise=True,
        before_sleep=before_sleep,
        **kwargs,  # type: ignore[arg-type]
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity re-raises the last error")


async def until_written(
    write: Callable[[], Awaitable[T]],
    *,
    give_up: Callable[[], bool],
    base: float = 0.05,
    cap: float = 5.0,
    what: str = "write",
) -> T:
    """Retry a database write on any error until it succeeds or ``give_up()`` turns true (then
    the last error is raised). Each failure is logged."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning("%s failed (%s: %s); retrying", what, type(exc).__name__, exc)

    retrying = AsyncRetrying(
        stop=stop_any(_Stop(give_up)),
        wait=wait_exponential(multiplier=base, max=cap),
        reraise=True,
        before_sleep=before_sleep,
    )
    async for attempt in retrying:
        with attempt:
            return await write()
    raise AssertionError("unreachable: tenacity re-raises the last error")
