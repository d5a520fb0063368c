"""The hot path's SQL budget: statements and transactions per handled message, both backends.

Counted with SQLAlchemy's ``before_cursor_execute`` (statements sent to the driver) and ``begin``
(transactions) events around :meth:`bot.core.engine.Core.handle_once`, the path every channel's
message takes. The budgets (see bench/throughput_bench.py for the speed they buy):

- a menu press: the claim, the user with their state (one locked statement), the engagement-log
  row(s) in one INSERT, the stored replies; 1 transaction;
- a quiz answer also writes the answer and the quiz's progress;
- free text also asks fact-check matching whether a verdict was published since its index was
  built (one small SELECT), and remembers the prompt it showed.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.config import Settings
from bot.core.events import ButtonEvent, InboundEvent, TextEvent, UserRef
from bot.core.replies import Reply
from bot.runtime import Runtime, open_runtime

_ids = itertools.count(1)


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.transactions = 0


@contextmanager
def counting(runtime: Runtime) -> Iterator[Counter]:
    counter = Counter()
    engine = runtime.db.engine.sync_engine

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        counter.statements.append(" ".join(sql.split())[:60])

    def begin(_conn: Any) -> None:
        counter.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


async def handle(runtime: Runtime, ev: InboundEvent) -> list[Reply]:
    handled = await runtime.core.handle_once(ev, f"m{next(_ids)}")
    assert handled.replies, "every message gets a reply"
    return handled.replies


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row if b.payload]


async def test_sql_budget_per_message(runtime: Runtime) -> None:
    user = UserRef("test", "budget")

    def text(value: str) -> TextEvent:
        return TextEvent(user=user, language_code="id", text=value)

    def press(payload: str) -> ButtonEvent:
        return ButtonEvent(user=user, language_code="id", payload=payload)

    await handle(runtime, text("/start"))
    await handle(runtime, press("menu"))  # warm: first rows of this user exist

    with counting(runtime) as menu:
        replies = await handle(runtime, press("menu"))
    assert "menu" in payloads(replies) or len(payloads(replies)) >= 3
    assert menu.transactions == 1, menu.statements
    assert len(menu.statements) <= 4, menu.statements

    quiz = await handle(runtime, text("/kuis"))
    # Start the first quiz, then answer its first question with the first option.
    start = next(p for p in payloads(quiz) if p.startswith("qz:start"))
    question = await handle(runtime, press(start))
    option = next(p for p in payloads(question) if p.startswith("qa:"))
    with counting(runtime) as answer:
        await handle(runtime, press(option))
    assert answer.transactions == 1, answer.statements
    assert len(answer.statements) <= 8, answer.statements

    await handle(runtime, text("kalau dikasih uang gimana"))  # the claim index is built once
    with counting(runtime) as free:
        await handle(runtime, text("jam brp tps buka"))
    assert free.transactions == 1, free.statements
    assert len(free.statements) <= 6, free.statements


async def test_log_rows_of_a_rolled_back_transaction_are_dropped(runtime: Runtime) -> None:
    from sqlalchemy import func, select

    from bot.db import repo
    from bot.db.models import EngagementEvent

    def only_t() -> Any:
        return EngagementEvent.event_type == "t"

    async with runtime.db.sessions() as session:
        with contextlib.suppress(RuntimeError):
            async with session.begin():
                await repo.log_event(session, user_id=None, channel="c", event_type="t", name="x")
                raise RuntimeError("a flow crashed")
        async with session.begin():
            await repo.log_event(session, user_id=None, channel="c", event_type="t", name="kept")
    async with runtime.db.transaction() as session:
        names = list(await session.scalars(select(EngagementEvent.name).where(only_t())))
        # Reading the log inside a transaction sees rows buffered before the read.
        await repo.log_event(session, user_id=None, channel="c", event_type="t", name="now")
        seen = await session.scalar(select(func.count(EngagementEvent.id)).where(only_t()))
    assert names == ["kept"]  # not "x"
    assert seen == 2


async def test_the_first_free_text_after_start_up_builds_no_index(
    settings: Settings, monkeypatch: Any
) -> None:
    """``votebot serve`` warms the indexes typed text needs (Server.start calls Core.warm):
    the first person to type a question is not the one who waits for them."""
    from bot import runtime as runtime_module
    from bot.core.factcheck import index as claims
    from bot.core.understanding import index as understanding

    monkeypatch.setattr(runtime_module, "_LOADED", {})  # content as a new process loads it
    rt = await open_runtime(settings)
    rt.core.flood = None
    built: list[str] = []
    for cls in (understanding.Index, claims.ClaimIndex):
        original = cls.__init__

        def counted(self: Any, *args: Any, _original: Any = original) -> None:
            built.append(type(self).__name__)
            _original(self, *args)

        monkeypatch.setattr(cls, "__init__", counted)
    try:
        rt.core.warm()
        assert sorted(built) == ["ClaimIndex", "Index"]
        user = UserRef("test", "first-question")
        await handle(rt, TextEvent(user=user, language_code="id", text="jam brp tps buka"))
        await handle(rt, TextEvent(user=user, language_code="id", text="kalau dikasih uang?"))
    finally:
        await rt.close()
    assert sorted(built) == ["ClaimIndex", "Index"], "an index was built answering a message"
