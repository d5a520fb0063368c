"""Outbound chaos benchmark: a broadcast across 2 dispatcher processes with kill -9s, and the
fleet-wide send rate against a platform limit.

    PYTHONPATH=. .venv/bin/python bench/chaos_outbound.py [--users 10000] [--kills 3]
        [--chaos-rate 200] [--rate-users 3000] [--limit 30] [--tolerance 0.01]
        [--database-url URL]

Phase 1 (chaos): ``--users`` opted-in Telegram users, one broadcast, two worker processes (one
leads the channel, the other stands by). At evenly spaced points the leader is SIGKILLed and a
fresh worker started. Per kill it prints the rows *in flight* (the fake API has the message, the
database has no result for it: all that a successor can send again) and how many of those were
in fact sent twice; then lost (never sent) and duplicated overall. The fake API has no limit
here; the workers send at ``--chaos-rate``.

Phase 2 (rate): ``--rate-users`` users, a broadcast, two worker processes configured with the
platform's limit (``--limit`` msg/s). The fake API answers 429 whenever more than ``--limit``
messages arrived within any sliding window of ``1 − tolerance`` seconds, judged by arrival
timestamps (the tolerance allows for network jitter between the sender's clock and the arrival).
Printed: the fleet-wide rate as a fraction of the limit (target ≥ 0.95) and the 429s (target 0).
The broadcast sender may use the whole rate here (``VOTEBOT_CONVERSATION_RESERVE=0``: no
conversation traffic runs in this phase); with the default reserve of 0.1 it keeps 0.9 of it.

Workers are real processes running the real Telegram channel (python-telegram-bot) against the
fake on loopback; the pieces are shared with the tests (``tests/outbound_fleet.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.outbound_fleet import (
    FakeSendApi,
    execute,
    new_broadcast,
    ready,
    seed_users,
    spawn,
)


async def leader_pid(db_url: str) -> int | None:
    rows = await execute(db_url, "SELECT holder FROM fleet_leases WHERE name = 'dispatch:telegram'")
    return int(str(rows[0][0]).split(":")[-2]) if rows else None


async def recorded(db_url: str, broadcast_id: int) -> set[str]:
    rows = await execute(
        db_url,
        "SELECT u.external_id FROM outbox o JOIN users u ON u.id = o.user_id "
        f"WHERE o.broadcast_id = {broadcast_id} AND o.status = 'sent'",
    )
    return {str(r[0]) for r in rows}


async def chaos(db_url: str, args: argparse.Namespace) -> None:
    api = FakeSendApi()
    await api.start()
    users = await seed_users(db_url, args.users)
    bid = await new_broadcast(db_url, "chaos")
    worker_args = ("--rate", str(args.chaos_rate), "--lease", "5", "--leader-ttl", "3")
    api.gate.clear()
    procs = [await spawn(db_url, api.url, *worker_args) for _ in range(2)]
    for proc in procs:
        await ready(proc)
    api.gate.set()
    started = time.monotonic()
    unrecorded: list[set[str]] = []
    for k in range(1, args.kills + 1):
        at = args.users * k // (args.kills + 1)
        for _ in range(100_000):  # polls the fake's counter, up to 1,000 s
            if api.sent >= at:
                break
            await asyncio.sleep(0.01)
        pid = await leader_pid(db_url)
        victim = next((p for p in procs if p.pid == pid), procs[0])
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        await asyncio.sleep(1.0)  # requests already on the wire reach the fake
        unrecorded.append(set(api.received) - await recorded(db_url, bid))
        procs.remove(victim)
        new = await spawn(db_url, api.url, *worker_args)
        await ready(new)
        procs.append(new)
    for proc in procs:
        await proc.communicate()
    took = time.monotonic() - started
    lost = len(set(users) - set(api.received))
    print(f"\n[1] chaos: {args.users} recipients, 2 workers, {args.kills} × kill -9 of the leader")
    print(f"  sent {api.sent} messages in {took:.1f} s ({args.chaos_rate:.0f} msg/s configured)")
    for i, flying in enumerate(unrecorded, 1):
        twice = sum(1 for chat in flying if api.received[chat] > 1)
        print(
            f"  kill {i}: in flight {len(flying):3d}   sent twice {twice:3d}   (target <= in flight)"
        )
    dup = api.duplicates()
    print(f"  lost:       {lost}   (target 0)")
    print(f"  duplicated: {dup}   (target <= {sum(len(u) for u in unrecorded)}, the sum in flight)")
    await api.close()


async def rate(db_url: str, args: argparse.Namespace) -> None:
    api = FakeSendApi(args.limit, window=1.0 - args.tolerance)
    await api.start()
    await seed_users(db_url, args.rate_users, first=500_000)
    await new_broadcast(db_url, "rate")
    worker_args = ("--rate", str(args.limit), "--reserve", "0")
    api.gate.clear()
    procs = [await spawn(db_url, api.url, *worker_args) for _ in range(2)]
    for proc in procs:
        await ready(proc)
    api.gate.set()
    for proc in procs:
        await proc.communicate()
    times = api.times
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    achieved = (len(times) - 1) / span
    per_second = collections.Counter(int(t - times[0]) for t in times)
    peak = max(per_second.values())
    print(f"\n[2] fleet-wide rate: {args.rate_users} recipients, 2 workers, limit {args.limit}/s")
    print(f"  judged by arrival time, sliding window {1 - args.tolerance:.3f} s")
    print(
        f"  sent {len(times)} in {span:.1f} s = {achieved:.2f} msg/s (busiest whole second {peak})"
    )
    print(f"  achieved rate / limit: {achieved / args.limit:.3f}   (target >= 0.95)")
    print(f"  429s:                  {api.too_many}   (target 0)")
    await api.close()


async def clear(db_url: str) -> None:
    """Start a phase on a shared server (migrated) with no users, broadcasts or leases."""
    from bot.db.engine import Database
    from bot.db.migrate import upgrade

    db = Database(db_url)
    try:
        await upgrade(db)
    finally:
        await db.close()
    tables = ("outbox", "notifications", "broadcasts", "fleet_leases", "events")
    await execute(db_url, *(f"DELETE FROM {t}" for t in tables), "DELETE FROM users")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="votebot-chaos-") as tmp:
        chaos_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/chaos.sqlite3"
        rate_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/rate.sqlite3"
        backend = chaos_url.split("://")[0]
        print(f"database: {backend}; outbound chaos benchmark")
        if args.database_url:
            await clear(args.database_url)
        if "chaos" in args.phases:
            await chaos(chaos_url, args)
        if args.database_url:
            await clear(args.database_url)
        if "rate" in args.phases:
            await rate(rate_url, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--chaos-rate", type=float, default=200.0)
    parser.add_argument("--rate-users", type=int, default=3_000)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--phases", default="chaos,rate")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    asyncio.run(main(parser.parse_args()))
