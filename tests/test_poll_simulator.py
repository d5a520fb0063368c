"""The issue's "done when", in the terminal simulator: ten people answer a poll by button and by
typing, the volunteer closes it, and each who asked sees their result beside the national one."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.channels.simulator import Simulator
from bot.cli.chat import deliver_outbox
from bot.core.polls import closing
from bot.db.models import utcnow
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.poll_helpers import POLL_ID, open_example_poll


@pytest.fixture
async def sim_runtime(db_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(db_url, VOTEBOT_QUIET_HOURS="off"))
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


async def test_a_poll_in_the_simulator(sim_runtime: Runtime) -> None:
    rt = sim_runtime
    await open_example_poll(rt.db)
    out = io.StringIO()
    sim = Simulator(rt.core, out=out, echo=True)
    sim.outbox = lambda: deliver_outbox(rt, sim)
    for i in range(10):
        script = [f"!user u{i}", "ada polling?", "1", "A, C", "setuju banget", "lewati", "22"]
        script.append("ya" if i < 3 else "nggak")
        for line in script:
            assert await sim.feed(line)
    assert "Makasih, jawabanmu udah tersimpan" in out.getvalue()
    async with rt.db.transaction() as session:  # `votebot poll close`
        queued = await closing.close_poll(
            session, rt.settings, POLL_ID, utcnow(), rt.core.translator
        )
    assert queued == 3
    out.seek(0)
    out.truncate()
    assert await sim.feed("!outbox")
    shown = out.getvalue()
    assert "(3 queued message(s) delivered)" in shown
    assert sorted(line for line in shown.splitlines() if line.startswith("(message for")) == [
        "(message for sim:u0)",
        "(message for sim:u1)",
        "(message for sim:u2)",
    ]
    assert shown.count("[image: ") == 3
    assert "Indonesia (10): Udah pernah 100%" in shown
    assert "masih terlalu sedikit" in shown  # nobody saved an area
