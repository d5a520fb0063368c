"""Prometheus metrics for one process: updates, handler latency, errors, broadcast progress.

:func:`metrics_for` gives the :class:`Metrics` of a core, creating it (and hooking it into the core)
on first use. The web app serves it at ``/metrics`` (see :mod:`bot.web.admin`); the broadcast
dispatcher reports progress with ``metrics_for(runtime.core).broadcast_progress(...)``.
"""

from __future__ import annotations

import weakref

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.context import Context
from bot.core.engine import Core, event_kind
from bot.core.events import InboundEvent

__all__ = ["CONTENT_TYPE", "Metrics", "metrics_for"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "votebot_updates_handled",
            "Inbound updates handled, by channel and kind (text, command, button, ...).",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "votebot_handler_latency_seconds",
            "Time to handle one inbound update (database transaction included).",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "votebot_handler_errors",
            "Updates whose handling failed (the user got an apology).",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.broadcast = Gauge(
            "votebot_broadcast_messages",
            "Messages of a running or finished broadcast, by state (total, sent, failed, blocked).",
            ["broadcast_id", "state"],
            registry=self.registry,
        )

    # -- hooks into the core ----------------------------------------------------------------
    async def after_event(self, ctx: Context) -> None:
        self.updates.labels(ctx.event.user.channel, event_kind(ctx.event)).inc()

    def observe(self, event: InboundEvent, seconds: float, error: BaseException | None) -> None:
        self.latency.labels(event.user.channel).observe(seconds)
        if error is not None:
            self.errors.labels(event.user.channel, event_kind(event)).inc()

    # -- for the broadcast dispatcher -------------------------------------------------------
    def broadcast_progress(
        self, broadcast_id: int | str, *, total: int, sent: int, failed: int, blocked: int
    ) -> None:
        for state, value in (
            ("total", total),
            ("sent", sent),
            ("failed", failed),
            ("blocked", blocked),
        ):
            self.broadcast.labels(str(broadcast_id), state).set(value)

    def render(self) -> bytes:
        return generate_latest(self.registry)


_BY_CORE: weakref.WeakKeyDictionary[Core, Metrics] = weakref.WeakKeyDictionary()


def metrics_for(core: Core) -> Metrics:
    """The core's metrics, hooked into it on first use."""
    metrics = _BY_CORE.get(core)
    if metrics is None:
        metrics = _BY_CORE[core] = Metrics()
        core.after_hooks.append(metrics.after_event)
        core.handle_observers.append(metrics.observe)
    return metrics
