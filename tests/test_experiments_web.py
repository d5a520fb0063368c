"""Experiments over real HTTP: the tracked link redirect and the dashboard pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.broadcast.dispatcher import Dispatcher
from bot.core.replies import Reply
from bot.core.segments import parse_segment
from bot.db.models import User
from bot.db.models_experiment import HOLDOUT, Experiment
from bot.experiments import analysis as an
from bot.experiments import service
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import add_users
from tests.conftest import make_settings
from tests.test_admin import TOKEN, build_app, hidden, login

PUBLIC = "https://bot.example.org"
TARGET = "https://cekdptonline.kpu.go.id"


class ButtonChannel:
    """Records each recipient's replies (to read the link buttons)."""

    def __init__(self) -> None:
        self.sent: dict[str, list[Reply]] = {}

    async def send(self, external_id: str, replies: Sequence[Reply]) -> None:
        self.sent[external_id] = list(replies)


@pytest.fixture
async def web_runtime(db_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(
        make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN, VOTEBOT_PUBLIC_URL=PUBLIC)
    )
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def client(web_runtime: Runtime) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_app(web_runtime), host="127.0.0.1")) as c:
        yield c


async def experiment(runtime: Runtime) -> Experiment:
    await add_users(runtime, [f"u{i}" for i in range(40)], locale="en")
    async with runtime.db.transaction() as s:
        e = await service.create_experiment(
            s,
            runtime.settings,
            variants=[
                service.Variant("A", {"en": "Check your name (A)"}, "a"),
                service.Variant("B", {"en": "Check your name (B)"}, "b"),
            ],
            holdout=0.25,
            segment=parse_segment("all"),
            creator=None,
            outcomes=["link", "content"],
            link_url=TARGET,
            seed=3,
        )
        s.expunge(e)
    return e


async def test_link_taps_go_through_the_redirect_and_count_once(
    web_runtime: Runtime, client: TestClient[Any, Any]
) -> None:
    e = await experiment(web_runtime)
    ch = ButtonChannel()
    d = Dispatcher(web_runtime, {"test": ch}, rates={"test": (1000.0, None)}, poll_interval=0.01)  # type: ignore[dict-item]
    await d.run(until_done=True)
    links = {
        ext: [b.url for r in replies for b in r.all_buttons() if b.url]
        for ext, replies in ch.sent.items()
    }
    assert links and all(
        len(urls) == 1 and urls[0].startswith(PUBLIC + "/r/") for urls in links.values()
    )
    first = next(iter(links.values()))[0]
    path = first.removeprefix(PUBLIC)
    for _ in range(2):  # a second tap is logged but counts once
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"] == TARGET
    assert (await client.get("/r/not-a-token", allow_redirects=False)).status == 404
    async with web_runtime.db.sessions() as s:
        result = await an.analyse(s, e, settings=web_runtime.settings)
    assert sum(a.successes["link"] for a in result.arms) == 1
    assert result.arm(HOLDOUT) is not None and result.arm(HOLDOUT).successes["link"] == 0  # type: ignore[union-attr]
    assert not result.unavailable
    # without VOTEBOT_PUBLIC_URL the link outcome is marked unavailable
    plain = make_settings("sqlite+aiosqlite://")
    async with web_runtime.db.sessions() as s:
        without = await an.analyse(s, e, settings=plain)
    assert "link" in without.unavailable and without.outcomes == ["content"]


async def test_the_dashboard_shows_and_creates_experiments(
    web_runtime: Runtime, client: TestClient[Any, Any]
) -> None:
    e = await experiment(web_runtime)
    anon = await client.get(f"/admin/experiments/{e.id}", allow_redirects=False)
    assert anon.status == 303
    assert (await client.get(f"/admin/experiments/{e.id}.json")).status == 401
    assert (await login(client)).status == 303
    assert 'href="/admin/experiments"' in await (await client.get("/admin")).text()
    page = await (await client.get(f"/admin/experiments/{e.id}")).text()
    assert 'id="chart-link"' in page and 'id="chart-content"' in page
    assert "Provisional" in page and "kelompok pembanding (holdout) 25%" in page  # id default
    english = await (await client.get(f"/admin/experiments/{e.id}?lang=en")).text()
    assert "Segment all, holdout 25%" in english and "(provisional)" in english
    await client.get("/admin/experiments?lang=id")
    data = await (await client.get(f"/admin/experiments/{e.id}.json")).json()
    assert {a["arm"] for a in data["arms"]} == {"A", "B", HOLDOUT}
    listing = await (await client.get("/admin/experiments")).text()
    assert f'href="/admin/experiments/{e.id}"' in listing and "cek-dpt" in listing
    assert "<h2>Eksperimen baru</h2>" in listing and "<td>berjalan</td>" in listing
    csrf = hidden(listing, "csrf")
    form = {"csrf": csrf, "variant": "cek-dpt", "holdout": "50%", "segment": "all",
            "outcome": "pledge", "window_days": "3"}  # fmt: skip
    bad = await client.post("/admin/experiments", data={**form, "csrf": "x"})
    assert bad.status == 403
    assert "tidak ada yang diubah" in await bad.text()  # in the dashboard's language
    # A form error is in the dashboard's language too, and creates nothing.
    refused = await client.post("/admin/experiments", data={**form, "holdout": "banyak"})
    assert refused.status == 400
    assert "kelompok pembanding “banyak”: tulis bagiannya" in await refused.text()
    days = await client.post("/admin/experiments", data={**form, "window_days": "seminggu"})
    assert days.status == 400 and "jangka waktu hasil 1 sampai 90 hari" in await days.text()
    async with web_runtime.db.sessions() as s:
        assert len(await service.list_experiments(s)) == 1
    made = await client.post("/admin/experiments", data=form, allow_redirects=False)
    assert made.status == 303
    new_id = int(made.headers["Location"].rsplit("/", 1)[1])
    async with web_runtime.db.sessions() as s:
        created = await s.get(Experiment, new_id)
        assert created is not None and created.window_days == 3
        assert [a["content_id"] for a in created.arms] == ["cek-dpt"]
        assert await s.get(User, 1) is not None
