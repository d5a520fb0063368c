"""Inbound across worker processes: real ``votebot serve`` processes on one database.

- three workers starting together on an empty database all come up (migrations and the
  first-start import take turns under a fleet lock);
- two workers receive interleaved webhook traffic for the same users, every other message also
  delivered to the other worker at the same moment, and double-tapped quiz answers on both:
  every message is handled once and answered once, every answer counted once;
- kill -9 of a worker in the middle of a burst, then a restart, with the platforms' redelivery
  (posts retried until a worker answers 200): nothing lost, nothing handled twice.

"Handled" is counted in the engagement log (one ``message`` row per handled message), replies at
the fake platform APIs. Run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.db.engine import Database
from bot.db.models import EngagementEvent, User
from bot.db.models_quiz import QuizAnswer
from tests.conftest import PG_URL
from tests.fake_telegram import FakeBotAPI
from tests.fleet import Pacer, Poster, Worker, fleet_env, scratch_postgres, wa_text
from tests.whatsapp_fakes import FakeGraph

#: A worker that died mid-delivery is presumed dead after this many seconds (the tests' lease).
LEASE = "8"


@pytest.fixture
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, on the parametrised backend."""
    backend = request.param
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    async with scratch_postgres(PG_URL, "votebot_empty") as url:
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "empty_db_url" in metafunc.fixturenames:
        backends = ["sqlite"] + (["postgresql"] if PG_URL else [])
        metafunc.parametrize("empty_db_url", backends, indirect=True)


async def test_three_workers_start_together_on_an_empty_database(
    empty_db_url: str, tmp_path: Path
) -> None:
    graph = FakeGraph()
    await graph.start()
    env = fleet_env(empty_db_url, graph_api=graph.url)
    workers = [Worker(env, tmp_path / f"w{i}.log") for i in range(3)]
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(w.start() for w in workers))
            await asyncio.gather(*(w.wait_up(http) for w in workers))
            poster = Poster(http, workers)
            for i in range(len(workers)):
                await poster.whatsapp(wa_text(f"62811000{i}", f"wamid.start{i}", "/menu"), prefer=i)
        codes = await asyncio.gather(*(w.stop() for w in workers))
        assert codes == [0, 0, 0], [w.output()[-2000:] for w in workers]
        for worker in workers:
            assert "Error" not in worker.output(), worker.output()[-3000:]
        assert Counter(m["to"] for m in graph.sent) == {f"62811000{i}": 1 for i in range(3)}
    finally:
        await asyncio.gather(*(w.reap() for w in workers))
        await graph.close()


async def handled_per_user(db_url: str) -> Counter[str]:
    """Handled messages per user, from the engagement log (one ``message`` row each)."""
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


async def test_two_workers_interleaved_duplicates_and_double_taps(
    db_url: str, tmp_path: Path
) -> None:
    graph = FakeGraph()
    await graph.start()
    async with FakeBotAPI() as api:
        env = fleet_env(
            db_url, telegram_api=api.url, graph_api=graph.url, VOTEBOT_INBOUND_LEASE=LEASE
        )
        workers = [Worker(env, tmp_path / f"w{i}.log") for i in range(2)]
        try:
            async with aiohttp.ClientSession() as http:
                await asyncio.gather(*(w.start() for w in workers))
                await asyncio.gather(*(w.wait_up(http) for w in workers))
                poster = Poster(http, workers)
                wa_users = [f"6281300{n:05d}" for n in range(16)]
                per_user = 6

                async def wa_user(n: int, wa_id: str) -> None:
                    pacer = Pacer()
                    for i in range(per_user):
                        await pacer.wait()
                        message = wa_text(wa_id, f"wamid.{wa_id}.{i}", "/menu")
                        posts = [poster.whatsapp(message, prefer=n + i)]
                        if i % 2:  # the same message to the other worker at the same moment
                            posts.append(poster.whatsapp(message, prefer=n + i + 1))
                        await asyncio.gather(*posts)

                quizzers = list(range(7001, 7011))

                async def tg_user(user_id: int) -> None:
                    await poster.telegram(api.message_update("/kuis voting-basics", user_id))
                    question = next(c for c in reversed(api.replies(user_id)) if c.callback_data)
                    option = question.callback_data[0]
                    taps = [api.callback_update(option, user_id) for _ in range(2)]
                    await asyncio.gather(
                        poster.telegram(taps[0], prefer=0), poster.telegram(taps[1], prefer=1)
                    )

                await asyncio.gather(
                    *(wa_user(n, u) for n, u in enumerate(wa_users)),
                    *(tg_user(u) for u in quizzers),
                )
            for worker in workers:
                assert await worker.stop() == 0, worker.output()[-3000:]
        finally:
            await asyncio.gather(*(w.reap() for w in workers))
            await graph.close()

        replies = Counter(m["to"] for m in graph.sent)
        assert replies == {u: per_user for u in wa_users}  # each /menu answered exactly once
        handled = await handled_per_user(db_url)
        assert {u: handled[u] for u in wa_users} == {u: per_user for u in wa_users}
        # Each user's double tap: both taps handled (the second says "already answered"), and
        # the answer counted once.
        assert {u: handled[str(u)] for u in quizzers} == {u: 3 for u in quizzers}
        db = Database(db_url)
        try:
            async with db.transaction() as session:
                answers = await session.scalar(select(func.count()).select_from(QuizAnswer))
        finally:
            await db.close()
        assert answers == len(quizzers)
        for worker in workers:
            assert "Traceback" not in worker.output(), worker.output()[-3000:]


async def test_kill_9_mid_burst_then_restart_loses_nothing(db_url: str, tmp_path: Path) -> None:
    graph = FakeGraph()
    await graph.start()
    async with FakeBotAPI() as api:
        env = fleet_env(
            db_url, telegram_api=api.url, graph_api=graph.url, VOTEBOT_INBOUND_LEASE=LEASE
        )
        workers = [Worker(env, tmp_path / f"w{i}.log") for i in range(2)]
        wa_users = [f"6281400{n:05d}" for n in range(20)]
        tg_users = list(range(8001, 8013))
        per_user = 8
        total = per_user * (len(wa_users) + len(tg_users))
        acknowledged = 0
        kill_now, killed = asyncio.Event(), asyncio.Event()
        try:
            async with aiohttp.ClientSession() as http:
                await asyncio.gather(*(w.start() for w in workers))
                await asyncio.gather(*(w.wait_up(http) for w in workers))
                poster = Poster(http, workers)

                async def one(user: str | int, i: int) -> None:
                    nonlocal acknowledged
                    if isinstance(user, str):
                        await poster.whatsapp(wa_text(user, f"wamid.k.{user}.{i}", "/menu"))
                    else:
                        await poster.telegram(api.message_update("/menu", user))
                    acknowledged += 1
                    if acknowledged >= total * 0.4:
                        kill_now.set()

                async def sender(user: str | int) -> None:
                    pacer = Pacer()
                    for i in range(per_user):
                        await pacer.wait()
                        await one(user, i)

                async def chaos() -> None:
                    await kill_now.wait()
                    workers[0].kill()
                    killed.set()
                    await asyncio.sleep(1.0)
                    assert workers[0].proc is not None
                    await workers[0].proc.wait()
                    workers[0] = Worker(env, tmp_path / "w0-restarted.log")
                    poster.workers = workers
                    await workers[0].start()
                    await workers[0].wait_up(http)

                await asyncio.gather(chaos(), *(sender(u) for u in [*wa_users, *tg_users]))
            assert killed.is_set()
            for worker in workers:
                assert await worker.stop() == 0, worker.output()[-3000:]
        finally:
            await asyncio.gather(*(w.reap() for w in workers))
            await graph.close()

        expected = {str(u): per_user for u in [*wa_users, *tg_users]}
        handled = await handled_per_user(db_url)
        assert {u: handled[u] for u in expected} == expected  # 0 lost, 0 handled twice
        replies = Counter(m["to"] for m in graph.sent)
        for user in tg_users:
            replies[str(user)] = len(api.replies(user))
        lost = sum(max(0, n - replies[u]) for u, n in expected.items())
        extra = sum(max(0, replies[u] - n) for u, n in expected.items())
        assert lost == 0, {u: replies[u] for u in expected if replies[u] < expected[u]}
        # A reply sent just before the kill is sent again by the redelivery (no idempotency
        # key on the platforms): at most one per message in flight in the killed worker.
        assert extra <= 20, extra


async def test_kill_9_while_polling_then_restart_loses_nothing(db_url: str, tmp_path: Path) -> None:
    """Long polling confirms an update only after handling it: a poller killed mid-batch gets
    the unconfirmed updates again after the restart, and skips the ones it already handled."""
    async with FakeBotAPI() as api:
        env = fleet_env(db_url, telegram_api=api.url, VOTEBOT_INBOUND_LEASE=LEASE)
        del env["TELEGRAM_WEBHOOK_URL"], env["TELEGRAM_WEBHOOK_SECRET"]  # polling mode
        users = list(range(9001, 9021))
        per_user = 6
        total = per_user * len(users)
        for _ in range(per_user):
            api.push(*(api.message_update("/menu", u) for u in users))
        worker = Worker(env, tmp_path / "poller.log")
        killed_at = 0
        try:
            async with aiohttp.ClientSession() as http:
                await worker.start()
                await worker.wait_up(http)
                await api.wait_for(lambda: len(api.calls("sendMessage")) >= total * 0.4, 120)
                worker.kill()
                assert worker.proc is not None
                await worker.proc.wait()
                killed_at = len(api.calls("sendMessage"))
                worker = Worker(env, tmp_path / "poller-restarted.log")
                await worker.start()
                await worker.wait_up(http)
                await api.drained()
                await api.wait_for(lambda: all(len(api.replies(u)) >= per_user for u in users), 60)
            assert await worker.stop() == 0, worker.output()[-3000:]
        finally:
            await worker.reap()

        assert 0 < killed_at < total  # the kill really came in the middle of the burst
        expected = {str(u): per_user for u in users}
        handled = await handled_per_user(db_url)
        assert {u: handled[u] for u in expected} == expected  # 0 lost, 0 handled twice
        extra = sum(len(api.replies(u)) - per_user for u in users)
        # A reply sent after its commit but before the kill is sent again after the restart (the
        # Bot API has no idempotency key): at most one per user, as a user's updates go in order.
        assert 0 <= extra <= len(users), extra
