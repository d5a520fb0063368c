"""Inbound chaos benchmark: worker processes killed with -9 in the middle of a burst.

    PYTHONPATH=. .venv/bin/python bench/chaos_inbound.py [--users 500] [--messages 40]
        [--workers 2] [--kills 3] [--lease 10] [--postgres postgresql+asyncpg://USER@HOST/DB]

``--workers`` real ``votebot serve`` processes share one fresh database (SQLite in a temporary
directory, or a temporary PostgreSQL database created through ``--postgres`` and dropped at the
end). Half the users write on WhatsApp, half on Telegram (both webhooks), each sending
``--messages`` ``/menu`` messages one after the other, paced under the bot's flood limit as a
person would be. A message counts as delivered when a worker answers its webhook post 200; until
then it is posted again, to the next live worker, as Meta and Telegram do. At 1/(kills+1),
2/(kills+1), … of the burst one worker (in turn) is killed with SIGKILL and restarted a second
later.

Printed:

- **lost**: messages with no reply at the fake platform API (target 0);
- **handled twice**: messages handled more than once, from the engagement log, one ``message`` row
  per handled message (target 0);
- **replies sent twice**, per kill: replies the redelivery sent again because the killed worker
  had sent them without recording it (the platforms have no idempotency key), at most the
  messages that worker had in flight, also printed;
- reply latency (first post → 200, which comes after the reply was delivered): p50, p99, max.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import EngagementEvent, User
from tests.fake_telegram import FakeBotAPI
from tests.fleet import Pacer, Poster, Worker, fleet_env, scratch_postgres, wa_text
from tests.whatsapp_fakes import FakeGraph


async def handled_per_user(db_url: str) -> Counter[str]:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            rows = await session.execute(
                select(User.external_id, func.count())
                .join(EngagementEvent, EngagementEvent.user_id == User.id)
                .where(EngagementEvent.event_type == "message")
                .group_by(User.external_id)
            )
            return Counter({str(uid): int(n) for uid, n in rows.all()})
    finally:
        await db.close()


async def run(args: argparse.Namespace, db_url: str, workdir: Path) -> int:
    graph = FakeGraph()
    await graph.start()
    async with FakeBotAPI() as api:
        env = fleet_env(
            db_url,
            telegram_api=api.url,
            graph_api=graph.url,
            VOTEBOT_INBOUND_LEASE=str(args.lease),
        )
        workers = [Worker(env, workdir / f"w{i}.log") for i in range(args.workers)]
        half = args.users // 2
        wa_users = [f"628{n:09d}" for n in range(half)]
        tg_users = list(range(900_000, 900_000 + args.users - half))
        total = args.users * args.messages
        done = 0
        latencies: list[float] = []
        marks = [total * (k + 1) // (args.kills + 1) for k in range(args.kills)]
        reached = [asyncio.Event() for _ in marks]
        kills: list[dict[str, Any]] = []
        in_flight: Counter[int] = Counter()
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=400)) as http:
                started = time.monotonic()
                await asyncio.gather(*(w.start() for w in workers))
                await asyncio.gather(*(w.wait_up(http) for w in workers))
                print(
                    f"{args.workers} workers up in {time.monotonic() - started:.1f} s "
                    f"({'PostgreSQL' if db_url.startswith('postgresql') else 'SQLite'})",
                    flush=True,
                )
                poster = Poster(http, workers)

                async def one(user: str | int, i: int) -> None:
                    nonlocal done
                    t0 = time.monotonic()
                    worker = poster.pick()
                    in_flight[worker.port] += 1
                    try:
                        if isinstance(user, str):
                            message = wa_text(user, f"wamid.c.{user}.{i}", "/menu")
                            await poster.whatsapp(
                                message, prefer=workers.index(worker), deadline=args.deadline
                            )
                        else:
                            update = api.message_update("/menu", user)
                            await poster.telegram(
                                update, prefer=workers.index(worker), deadline=args.deadline
                            )
                    finally:
                        in_flight[worker.port] -= 1
                    latencies.append(time.monotonic() - t0)
                    done += 1
                    for mark, event in zip(marks, reached, strict=True):
                        if done >= mark:
                            event.set()

                async def sender(user: str | int) -> None:
                    pacer = Pacer()
                    for i in range(args.messages):
                        await pacer.wait()
                        await one(user, i)

                async def chaos() -> None:
                    for k, event in enumerate(reached):
                        await event.wait()
                        victim = k % len(workers)
                        old = workers[victim]
                        kills.append({"at": done, "in_flight": in_flight[old.port]})
                        old.kill()
                        assert old.proc is not None
                        await old.proc.wait()
                        await asyncio.sleep(1.0)
                        fresh = Worker(env, workdir / f"w{victim}-{k}.log")
                        workers[victim] = fresh
                        await fresh.start()
                        await fresh.wait_up(http)

                burst = time.monotonic()
                await asyncio.gather(chaos(), *(sender(u) for u in [*wa_users, *tg_users]))
                elapsed = time.monotonic() - burst
            for worker in workers:
                await worker.stop()
        finally:
            await asyncio.gather(*(w.reap() for w in workers))
            await graph.close()

        expected = {str(u): args.messages for u in [*wa_users, *tg_users]}
        handled = await handled_per_user(db_url)
        replies = Counter(str(m["to"]) for m in graph.sent)
        for user in tg_users:
            replies[str(user)] = len(api.replies(user))
        lost = sum(max(0, n - replies[u]) for u, n in expected.items())
        twice = sum(max(0, handled[u] - n) for u, n in expected.items())
        unhandled = sum(max(0, n - handled[u]) for u, n in expected.items())
        resent = sum(max(0, replies[u] - n) for u, n in expected.items())
        ordered = sorted(latencies)

        def q(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

        print(
            f"messages: {total:,} from {args.users} users in {elapsed:.1f} s "
            f"({total / elapsed:.0f}/s); posts retried: {poster.retries:,}"
        )
        for k, kill in enumerate(kills, 1):
            print(f"kill {k}: after {kill['at']:,} messages, {kill['in_flight']} in flight")
        print(f"lost: {lost}  (handled but never answered or never handled: {unhandled})")
        print(f"handled twice: {twice}")
        print(
            f"replies sent twice: {resent} (bound: messages in flight at the kills, "
            f"{sum(k['in_flight'] for k in kills)})"
        )
        print(
            f"reply latency: p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p99 {q(0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
            f"(lease {args.lease:.0f} s)"
        )
        return 0 if lost == 0 and twice == 0 else 1


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--messages", type=int, default=40, help="per user")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--lease", type=float, default=10.0, help="VOTEBOT_INBOUND_LEASE")
    parser.add_argument(
        "--deadline", type=float, default=1800.0, help="seconds a message is re-posted (Meta: days)"
    )
    parser.add_argument("--postgres", help="an admin URL; a temporary database is made there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaos-inbound-") as tmp:
        workdir = Path(tmp)
        if not args.postgres:
            return await run(args, f"sqlite+aiosqlite:///{workdir / 'chaos.sqlite3'}", workdir)
        async with scratch_postgres(args.postgres, "votebot_chaos") as url:
            return await run(args, url, workdir)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
