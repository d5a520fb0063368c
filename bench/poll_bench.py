"""Suara Muda poll benchmark: results with suppression at scale, and closing the loop.

    .venv/bin/python bench/poll_bench.py [--respondents 200000] [--notify 10000] [--limit 30]

1. ``--respondents`` respondents (spread over 38 provinces and 500 kabupaten/kota, two channels,
   two locales, four age bands and "not given") answer a 3-question poll (single choice, multiple
   choice, 1-5 scale; some skip). Printed: the time to compute every result table with primary
   and complementary suppression on SQLite (target <= 2 s), and how many cells were hidden.
2. ``--notify`` of them asked for the result. The poll closes (results, charts and one outbox row
   each are queued) and the real dispatcher sends them through the real Telegram channel to a fake
   Bot API that answers 429 above ``--limit`` messages per second. Printed: the achieved rate as a
   fraction of the limit, 429s, messages lost (target 0) and duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.broadcast_bench import TOKEN, make_channel, settings_for
from bot.broadcast.dispatcher import Dispatcher
from bot.core import consent
from bot.core.polls import closing, store
from bot.core.polls.results import compute
from bot.core.polls.spec import PollSpec, Question
from bot.db.models import User, utcnow
from bot.db.models_pledge import ReminderOptIn
from bot.db.models_poll import PollAnswer, PollRespondent
from bot.runtime import Runtime, open_runtime

BANDS = ("17-20", "21-25", "26-30", "30+", None)


def bench_spec(now: object) -> PollSpec:
    opts = [{"id": f"Pilihan {c}", "en": f"Option {c}"} for c in "ABCD"]
    questions = [
        Question("satu", "single", {"id": "Satu?", "en": "One?"}, opts, []),
        Question("banyak", "multi", {"id": "Banyak?", "en": "Many?"}, opts, []),
        Question("skala", "scale", {"id": "Setuju?", "en": "Agree?"}, [], []),
    ]
    start = utcnow() - timedelta(days=1)
    return PollSpec(
        "bench-poll",
        "Bench poll",
        start,
        start + timedelta(days=7),
        "all",
        questions,
        {"id": "Halo!", "en": "Hi!"},
    )


async def seed(rt: Runtime, respondents: int, notify: int) -> None:
    rng = random.Random(2026)
    now = utcnow()
    async with rt.db.transaction() as s:
        poll = await store.create_poll(s, bench_spec(now), None)
        await store.approve(s, poll.id, None)
    kab_province = {k: 1 + k % 38 for k in range(1, 501)}
    for start in range(0, respondents, 10_000):
        size = min(10_000, respondents - start)
        users, resp, answers = [], [], []
        for i in range(start, start + size):
            users.append(
                {
                    "id": i + 1,
                    "channel": "telegram" if i % 3 else "whatsapp",
                    "external_id": str(100_000 + i),
                    "locale": "id" if i % 4 else "en",
                    "created_at": now,
                    "last_seen_at": now,
                    "opted_in": True,
                    "opt_in_asked": True,
                    "reachable": True,
                }
            )
            kab = rng.randint(1, 500) if rng.random() > 0.1 else None
            resp.append(
                {
                    "id": i + 1,
                    "poll_id": "bench-poll",
                    "user_id": i + 1,
                    "channel": users[-1]["channel"],
                    "locale": users[-1]["locale"],
                    "province_id": 10_000 + kab_province[kab] if kab else None,
                    "kabupaten_id": 20_000 + kab if kab else None,
                    "age_band": rng.choice(BANDS),
                    "notify": i < notify,
                    "started_at": now,
                    "completed_at": now,
                }
            )
            for q, value in enumerate(
                (rng.randint(0, 3), rng.randint(1, 15), rng.choice((1, 2, 3, 3, 4, 4, 5)))
            ):
                skipped = rng.random() < 0.05
                answers.append(
                    {
                        "respondent_id": i + 1,
                        "poll_id": "bench-poll",
                        "question": q,
                        "value": None if skipped else value,
                        "skipped": skipped,
                        "answered_at": now,
                        "province_id": resp[-1]["province_id"],
                        "kabupaten_id": resp[-1]["kabupaten_id"],
                        "channel": resp[-1]["channel"],
                        "locale": resp[-1]["locale"],
                        "age_band": resp[-1]["age_band"],
                    }
                )
        async with rt.db.transaction() as s:  # Core inserts: many rows, no ORM bookkeeping
            await s.execute(insert(User.__table__), users)
            await s.execute(insert(PollRespondent.__table__), resp)
            await s.execute(insert(PollAnswer.__table__), answers)
            consents = [
                {"user_id": u["id"], "kind": consent.POLL_RESULTS, "created_at": now}
                for u in users
                if u["id"] <= notify and u["channel"] == "telegram"
            ]
            if consents:
                await s.execute(insert(ReminderOptIn.__table__), consents)


class FakeBotApi:
    """sendMessage and sendPhoto; 429 with retry_after above ``limit`` in any 1-second window."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window: collections.deque[float] = collections.deque()
        self.received: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []
        self.too_many = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = dict(await request.post())
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.too_many += 1
            retry = max(1, round(self.window[0] + 1.0 - now + 0.5))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                },
                status=429,
            )
        self.window.append(now)
        self.times.append(now)
        self.received[str(body["chat_id"])] += 1
        message = {
            "message_id": len(self.times),
            "date": int(time.time()),
            "chat": {"id": int(str(body["chat_id"])), "type": "private"},
        }
        return web.json_response({"ok": True, "result": message})


async def phase_results(db_url: str, respondents: int, notify: int) -> None:
    rt = await open_runtime(settings_for(db_url))
    try:
        t0 = time.monotonic()
        await seed(rt, respondents, notify)
        print(f"  seeded {respondents} respondents x 3 questions in {time.monotonic() - t0:.1f} s")
        timings = []
        for _ in range(3):
            async with rt.db.sessions() as s:
                poll = await store.get_poll(s, "bench-poll")
                t0 = time.monotonic()
                results = await compute(s, poll)
                timings.append(time.monotonic() - t0)
        cells = hidden = 0
        for qr in results.questions:
            for table in [*qr.tables.values(), *qr.kabupaten.values()]:
                for row in table.cells:
                    cells += 1
                    hidden += row.hidden
        print(
            f"  results with suppression: best {min(timings):.2f} s, worst {max(timings):.2f} s"
            "   (target <= 2 s)"
        )
        print(f"  rows published: {cells}, hidden whole: {hidden}")
    finally:
        await rt.close()


async def phase_send(db_url: str, notify: int, limit: int) -> None:
    api = FakeBotApi(limit)
    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", api.handle)
    app.router.add_post(f"/bot{TOKEN}/sendPhoto", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    rt = await open_runtime(settings_for(db_url))
    try:
        t0 = time.monotonic()
        async with rt.db.transaction() as s:
            queued = await closing.close_poll(
                s, rt.settings, "bench-poll", utcnow(), rt.core.translator
            )
        print(
            f"  closed: {queued} result messages queued in {time.monotonic() - t0:.1f} s"
            " (results, one chart per area and language, outbox rows)"
        )
        telegram = {str(100_000 + i) for i in range(notify) if i % 3}
    finally:
        await rt.close()
    # The sender runs in its own process (as in `votebot serve`), apart from the fake API.
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--worker", db_url, f"http://127.0.0.1:{port}"
    )
    await proc.wait()
    took = time.monotonic() - t0
    await runner.cleanup()
    budget = limit * (1 - rt.settings.conversation_reserve)
    span = api.times[-1] - api.times[0] if len(api.times) > 1 else float("nan")
    rate = (len(api.times) - 1) / span if span else float("nan")
    lost = len(telegram - set(api.received))
    dup = sum(c - 1 for c in api.received.values() if c > 1)
    print(f"  sent {len(api.times)} Telegram messages in {took:.1f} s ({span:.1f} s first to last)")
    print(f"  achieved rate / limit: {rate / limit:.3f}   ({rate:.2f} msg/s, limit {limit}/s)")
    print(
        f"  achieved rate / the sender's budget: {rate / budget:.3f}   (limit minus the"
        f" {rt.settings.conversation_reserve:.0%} reserved for conversation; target >= 0.95)"
    )
    print(f"  429s received:         {api.too_many}   (target 0)")
    print(f"  messages lost:         {lost}   (target 0)")
    print(f"  duplicated:            {dup}   (target 0)")
    print("  (WhatsApp respondents hold no consent in this data set, so none is queued for them)")


async def worker(db_url: str, base_url: str) -> None:
    """The fleet's sender for Telegram until the outbox is empty."""
    rt = await open_runtime(settings_for(db_url, base_url))
    channel = make_channel(rt)
    try:
        await Dispatcher(rt, {"telegram": channel}, poll_interval=0.2).run(until_done=True)
    finally:
        await channel.stop()
        await rt.close()


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory(prefix="votebot-poll-bench-")
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/bench.sqlite3"
    print(f"database: {db_url.split('://')[0]}")
    print("\n[1] results with suppression")
    await phase_results(db_url, args.respondents, args.notify)
    print("\n[2] closing the loop")
    await phase_send(db_url, args.notify, args.limit)
    tmp.cleanup()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        asyncio.run(worker(sys.argv[2], sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=200_000)
    parser.add_argument("--notify", type=int, default=15_000, help="respondents asking for results")
    parser.add_argument("--limit", type=int, default=30, help="the fake API's messages per second")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    asyncio.run(main(parser.parse_args()))
