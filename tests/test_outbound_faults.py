"""Fault injection on the outbound path: a result write that fails is retried (never the send),
and bookkeeping that fails after a successful send never turns into a second send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.broadcast.dispatcher import Dispatcher
from bot.db import outbox_repo, repo
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import Clock, RecordingChannel, add_users, new_broadcast, outbox
from tests.conftest import make_settings
from tests.test_broadcast_dispatch import dispatcher
from tests.whatsapp_fakes import FakeGraph, Harness, serving, wa_env


def fail_once(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, when: Any = None
) -> list[int]:
    """Make ``module.name`` raise a database error the first time ``when(args)`` holds."""
    real = getattr(module, name)
    failures: list[int] = []

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if not failures and (when is None or when(*args, **kwargs)):
            failures.append(1)
            raise OperationalError("UPDATE outbox …", {}, Exception("database is locked"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return failures


async def resend_after_the_lease(runtime: Runtime, ch: RecordingChannel, clock: Clock) -> None:
    """A second dispatcher after every lease has run out: it would re-send anything unrecorded."""
    clock.advance(seconds=600)
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)


async def test_a_failed_result_write_is_retried_and_nothing_is_sent_twice(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_users(runtime, [f"u{i}" for i in range(12)])
    bid = await new_broadcast(runtime)
    failures = fail_once(monkeypatch, outbox_repo, "record_many")
    clock, ch = Clock(), RecordingChannel()
    d = dispatcher(runtime, ch, clock=clock)
    await d.run(until_done=True)
    assert failures == [1] and d.counters.write_retries == 1
    await resend_after_the_lease(runtime, ch, clock)
    assert sorted(ch.recipients) == sorted(f"u{i}" for i in range(12))  # once each
    assert {r.status for r in await outbox(runtime, bid)} == {"sent"}


async def test_bookkeeping_that_fails_after_a_send_is_never_a_second_send(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_users(runtime, ["a", "b", "c"])
    bid = await new_broadcast(runtime)

    def delivery(*args: Any, **kwargs: Any) -> bool:
        return kwargs.get("event_type") == "broadcast" and kwargs.get("name") == "delivery"

    failures = fail_once(monkeypatch, repo, "log_event", delivery)
    clock, ch = Clock(), RecordingChannel()
    await dispatcher(runtime, ch, clock=clock).run(until_done=True)
    assert failures == [1]
    await resend_after_the_lease(runtime, ch, clock)
    assert sorted(ch.recipients) == ["a", "b", "c"]
    assert {r.status for r in await outbox(runtime, bid)} == {"sent"}


@pytest.fixture
async def wa(db_url: str) -> AsyncIterator[tuple[Runtime, Harness]]:
    graph = FakeGraph()
    await graph.start()
    rt = await open_runtime(make_settings(db_url, **wa_env(graph.url)))
    rt.core.flood = None
    try:
        async with serving(rt, graph) as harness:
            yield rt, harness
    finally:
        await rt.close()
        await graph.close()


async def test_a_whatsapp_send_whose_bookkeeping_fails_is_not_sent_again(
    wa: tuple[Runtime, Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, harness = wa
    await harness.say("/start")
    await harness.press("Bahasa Indonesia")
    await harness.press("Ya, ingatkan aku")
    bid = await new_broadcast(runtime, texts={"id": "Cek DPT kamu ya"})
    before = len(harness.graph.sent)

    async def broken(*args: Any) -> None:
        raise OperationalError("INSERT INTO whatsapp_messages …", {}, Exception("disk I/O error"))

    monkeypatch.setattr(harness.channel, "_remember_sent", broken)
    clock = Clock()
    rates = {"whatsapp": (1000.0, None)}
    d = Dispatcher(
        runtime, {"whatsapp": harness.channel}, clock=clock, rates=rates, poll_interval=0.01
    )
    await d.run(until_done=True)
    clock.advance(seconds=600)
    await Dispatcher(
        runtime, {"whatsapp": harness.channel}, clock=clock, rates=rates, poll_interval=0.01
    ).run(until_done=True)
    sent = harness.graph.sent[before:]
    assert len(sent) == 1 and "Cek DPT kamu ya" in str(sent[0])
    [row] = await outbox(runtime, bid)
    assert row.status == "sent" and d.counters.sent == 1 and d.counters.retried == 0
