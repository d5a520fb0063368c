"""Broadcasts sent by several dispatcher processes against a fake Bot API: a forced lease expiry
sends nothing twice; kill -9 twice mid-broadcast loses nothing and sends again at most what was
in flight (sent, result not yet written) at each kill. Real processes, real database."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator

import pytest

from tests.outbound_fleet import (
    FakeSendApi,
    execute,
    expire_every_lease,
    new_broadcast,
    ready,
    seed_users,
    spawn,
)


@pytest.fixture
async def api() -> AsyncIterator[FakeSendApi]:
    fake = FakeSendApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


async def wait_until(predicate: object, limit: float, what: str) -> None:
    for _ in range(int(limit / 0.02)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def finish(proc: asyncio.subprocess.Process, limit: float = 40.0) -> list[dict[str, object]]:
    out, _ = await asyncio.wait_for(proc.communicate(), limit)
    assert proc.returncode == 0, out
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


async def leader_pid(db_url: str) -> int | None:
    rows = await execute(db_url, "SELECT holder FROM fleet_leases WHERE name = 'dispatch:telegram'")
    return int(rows[0][0].split(":")[-2]) if rows else None


async def test_a_forced_lease_expiry_sends_nothing_twice(db_url: str, api: FakeSendApi) -> None:
    users = await seed_users(db_url, 120)
    await new_broadcast(db_url)
    # The 25th send (mid-chunk) gets "retry after 4 s": the leader pauses, rows in hand.
    api.pause_once(at=25, retry_after=4)
    api.gate.clear()  # nothing goes out until both workers run
    args = ("--rate", "100", "--lease", "30", "--leader-ttl", "30")
    first, second = [await spawn(db_url, api.url, *args) for _ in range(2)]
    await ready(first)
    await ready(second)
    api.gate.set()
    await asyncio.wait_for(api.paused.wait(), 30)
    await asyncio.sleep(0.7)  # the leader's results for the sends in flight are written
    # Meanwhile every lease of the leader runs out (as if it froze for longer than them).
    await expire_every_lease(db_url)
    results = await finish(first) + await finish(second)
    counters = [r for r in results if "sent" in r]
    assert sorted(api.received) == sorted(users)  # 0 lost
    assert api.duplicates() == 0  # 0 sent twice
    assert sum(int(c["sent"]) for c in counters) == len(users)
    # The first worker did find, after its pause, that its rows had been taken over.
    assert max(int(c["lease_lost"]) for c in counters) > 0


async def test_kill_9_twice_mid_broadcast_loses_nothing(db_url: str, api: FakeSendApi) -> None:
    users = await seed_users(db_url, 450)
    bid = await new_broadcast(db_url)
    args = ("--rate", "150", "--lease", "4", "--leader-ttl", "3")
    api.gate.clear()
    procs = [await spawn(db_url, api.url, *args) for _ in range(2)]
    for proc in procs:
        await ready(proc)
    api.gate.set()
    in_flight: list[int] = []
    for at in (150, 300):
        await wait_until(lambda at=at: api.sent >= at, 40, f"{at} sends")  # type: ignore[misc]
        pid = await leader_pid(db_url)
        victim = next(p for p in procs if p.pid == pid)
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        await asyncio.sleep(1.0)  # requests already on the wire reach the fake
        recorded = {
            str(r[0])
            for r in await execute(
                db_url,
                "SELECT u.external_id FROM outbox o JOIN users u ON u.id = o.user_id "
                f"WHERE o.broadcast_id = {bid} AND o.status = 'sent'",
            )
        }
        # Sent (the fake has it) but its result not written: all a successor can re-send.
        in_flight.append(len(set(api.received) - recorded))
        procs.remove(victim)
        procs.append(await spawn(db_url, api.url, *args))
    for proc in procs:
        await finish(proc)
    assert sorted(api.received) == sorted(users)  # 0 lost
    assert api.duplicates() <= sum(in_flight), (api.duplicates(), in_flight)
    # In flight at a kill is bounded by the sender's concurrency, not the broadcast's size.
    assert all(n <= 40 for n in in_flight), in_flight
    rows = await execute(
        db_url, f"SELECT status, count(*) FROM outbox WHERE broadcast_id = {bid} GROUP BY status"
    )
    assert dict((str(s), int(n)) for s, n in rows) == {"sent": len(users)}
