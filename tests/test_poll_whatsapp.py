"""A WhatsApp respondent's result: the chart inside the 24-hour window, the approved
``poll-result`` template outside it, sent by the real dispatcher through the real channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.broadcast.dispatcher import Dispatcher
from bot.core.polls import closing
from bot.db.models import User, utcnow
from bot.db.models_broadcast import Notification
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.poll_helpers import POLL_ID, open_example_poll
from tests.test_whatsapp import graph  # noqa: F401 (a fixture)
from tests.whatsapp_fakes import FakeGraph, Harness, serving, wa_env


@pytest.fixture
async def wa_runtime(db_url: str, graph: FakeGraph) -> AsyncIterator[Runtime]:  # noqa: F811
    """WhatsApp configured, quiet hours off (so the test does not depend on the hour)."""
    rt = await open_runtime(make_settings(db_url, VOTEBOT_QUIET_HOURS="off", **wa_env(graph.url)))
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def wa(wa_runtime: Runtime, graph: FakeGraph) -> AsyncIterator[Harness]:  # noqa: F811
    async with serving(wa_runtime, graph) as harness:
        yield harness


async def answer(rt: Runtime, wa_id: str) -> None:
    d = Dialog(rt.core, user=wa_id, channel="whatsapp")
    await d.say("ada polling?")
    await d.press("A. Udah")
    for text in ("A", "setuju banget", "lewati"):
        await d.say(text)
    await d.press("Nggak mau jawab")
    await d.press("Ya, kabari")


async def test_results_inside_and_outside_the_window(wa: Harness, wa_runtime: Runtime) -> None:
    rt = wa_runtime
    await open_example_poll(rt.db)
    users = [f"62812000000{i:02d}" for i in range(12)]
    for wa_id in users:
        await answer(rt, wa_id)
    # Half of them last wrote more than 24 hours before the poll closes.
    async with rt.db.transaction() as s:
        await s.execute(
            update(User)
            .where(User.external_id.in_(users[:6]))
            .values(last_seen_at=utcnow() - timedelta(hours=30))
        )
    async with rt.db.transaction() as s:  # as `votebot poll close` does
        queued = await closing.close_poll(s, rt.settings, POLL_ID, utcnow(), rt.core.translator)
    assert queued == 12
    before = len(wa.graph.sent)
    dispatcher = Dispatcher(rt, {"whatsapp": wa.channel}, poll_interval=0.05)
    await asyncio.wait_for(dispatcher.run(until_done=True), 120)
    sent = wa.graph.sent[before:]
    by_user: dict[str, list[dict[str, object]]] = {}
    for body in sent:
        by_user.setdefault(str(body["to"]), []).append(body)
    assert set(by_user) == set(users)
    for wa_id in users[:6]:
        (message,) = by_user[wa_id]
        assert message["type"] == "template"
        template = message["template"]
        assert isinstance(template, dict) and template["name"] == "teman_pemilih_poll_result"
        params = [p["text"] for p in template["components"][0]["parameters"]]
        assert params[0] == "Apa yang perlu kamu tahu sebelum nyoblos?"
        assert "Indonesia (12)" in params[1]
    for wa_id in users[6:]:
        types = [m["type"] for m in by_user[wa_id]]
        assert types[0] == "image"  # the chart with the figures as its caption
    async with rt.db.sessions() as s:
        statuses = (await s.scalars(select(Notification.status))).all()
    assert statuses == ["sent"] * 12
