"""Flood control in the core: one user over the limit is slowed down, nobody else is."""

from __future__ import annotations

from bot.core.flood import FloodControl, Verdict
from bot.runtime import Runtime
from tests.dialog import Dialog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_warn_once_then_drop_then_recover() -> None:
    clock = Clock()
    flood = FloodControl(limit=10, window=5.0, cooldown=10.0, clock=clock)
    assert [flood.check("a") for _ in range(10)] == [Verdict.OK] * 10
    assert flood.check("a") is Verdict.WARN
    assert flood.check("a") is Verdict.DROP
    assert flood.check("b") is Verdict.OK
    clock.now += 10.0
    assert flood.check("a") is Verdict.OK


def test_a_steady_pace_is_never_limited() -> None:
    clock = Clock()
    flood = FloodControl(limit=10, window=5.0, clock=clock)
    for _ in range(100):
        assert flood.check("a") is Verdict.OK
        clock.now += 0.6


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    flood = FloodControl(clock=clock)
    flood.SWEEP_AT = 5
    for user in range(5):
        flood.check(user)
    clock.now += 60
    flood.check("new")
    assert set(flood._hits) == {"new"}


async def test_core_answers_a_flood_with_one_translated_slow_down(runtime: Runtime) -> None:
    clock = Clock()
    runtime.core.flood = FloodControl(clock=clock)
    d, other = Dialog(runtime.core, "spam"), Dialog(runtime.core, "calm")
    for _ in range(10):
        assert await d.say("menu")
    await d.say("menu")
    assert "Pelan-pelan" in d.text
    assert await d.say("menu") == []
    assert await other.say("menu")
    clock.now += 11
    await d.say("menu")
    assert "Pelan-pelan" not in d.text and d.buttons
