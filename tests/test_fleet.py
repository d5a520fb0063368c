"""The fleet's leases: one holder at a time, taken over when it expires; jobs that run once per
fleet; each worker's share of the budget for conversation replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import fleet
from bot.broadcast.budget import ReplyBudget
from bot.periodic import PeriodicService
from bot.runtime import Runtime

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


async def test_a_lease_has_one_holder_until_it_expires(runtime: Runtime) -> None:
    db = runtime.db
    assert await fleet.acquire(db, "dispatch:telegram", "a", 10, T0)
    assert not await fleet.acquire(db, "dispatch:telegram", "b", 10, T0 + timedelta(seconds=5))
    assert await fleet.acquire(db, "dispatch:telegram", "a", 10, T0 + timedelta(seconds=5))
    later = T0 + timedelta(seconds=16)  # a stopped renewing at +5 s: its lease ran out at +15 s
    assert await fleet.acquire(db, "dispatch:telegram", "b", 10, later)
    assert not await fleet.acquire(db, "dispatch:telegram", "a", 10, later)
    await fleet.release(db, "dispatch:telegram", "a")  # not its lease any more: no effect
    assert not await fleet.acquire(db, "dispatch:telegram", "a", 10, later)
    await fleet.release(db, "dispatch:telegram", "b")
    assert await fleet.acquire(db, "dispatch:telegram", "a", 10, later)


async def test_a_pause_only_ever_grows(runtime: Runtime) -> None:
    db = runtime.db
    await fleet.pause(db, "telegram", T0 + timedelta(seconds=30))
    await fleet.pause(db, "telegram", T0 + timedelta(seconds=5))
    assert await fleet.held_until(db, "pause:telegram", T0) == T0 + timedelta(seconds=30)
    assert await fleet.held_until(db, "pause:telegram", T0 + timedelta(seconds=31)) is None


class Job(PeriodicService):
    name = "job"
    singleton = "job"

    def __init__(self, runtime: Runtime, holder: str) -> None:
        super().__init__(60.0)
        self.db, self.holder, self.runs = runtime.db, holder, 0

    async def run_once(self) -> None:
        self.runs += 1


async def test_a_singleton_job_runs_in_one_worker(runtime: Runtime) -> None:
    one, two = Job(runtime, "worker-1"), Job(runtime, "worker-2")
    for _ in range(3):
        for job in (one, two):
            if await job.leads():
                await job.run_once()
    assert sorted([one.runs, two.runs]) == [0, 3]


async def test_heartbeats_count_live_workers_and_see_a_busy_sender(runtime: Runtime) -> None:
    seen: list[tuple[int, dict[str, bool]]] = []
    a = fleet.Heartbeat(runtime.db, "worker-a", ["telegram"], clock=lambda: T0)
    b = fleet.Heartbeat(runtime.db, "worker-b", ["telegram"], clock=lambda: T0)
    a.listeners.append(lambda n, busy: seen.append((n, busy)))
    await b.beat()
    await a.beat()
    assert seen[-1] == (2, {"telegram": False})
    assert await fleet.acquire(runtime.db, "busy:telegram", "worker-b", 15, T0)
    await a.beat()
    assert seen[-1] == (2, {"telegram": True})


def test_each_worker_replies_within_its_share_of_the_budget() -> None:
    budget = ReplyBudget({"telegram": 30.0, "whatsapp": 80.0}, reserve=0.1)
    assert budget.shares == {"telegram": 30.0, "whatsapp": 80.0}  # one worker, no broadcast
    budget.update(2, {"telegram": True})
    assert budget.shares["telegram"] == 1.5  # the reserve, split between two workers
    assert budget.shares["whatsapp"] == 40.0  # no broadcast on WhatsApp: half the rate each
    # Together with the sender's 90%, the fleet never asks for more than the limit.
    assert 30.0 * 0.9 + 2 * budget.shares["telegram"] <= 30.0
    assert ReplyBudget({"telegram": 30.0}, reserve=0).shares == {"telegram": None}
