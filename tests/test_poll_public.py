"""The public results page: over HTTP (suppression, CSV, caching, nothing before close) and in
real headless Chromium on a phone-sized window."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.db.models import utcnow
from bot.polls.service import run_due
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.poll_helpers import POLL_ID, open_example_poll
from tests.test_admin import TOKEN, browser, build_app, free_port, login  # noqa: F401 (fixture)
from tests.test_poll_close import respond, three_kabupaten

PUBLIC = "https://bot.example.org"


@pytest.fixture
async def closed_poll(db_url: str) -> AsyncIterator[Runtime]:
    """12 answers in one kabupaten/kota, 3 and 2 in two others; then the poll closes."""
    rt = await open_runtime(
        make_settings(db_url, VOTEBOT_PUBLIC_URL=PUBLIC, VOTEBOT_ADMIN_TOKEN=TOKEN)
    )
    rt.core.flood = None
    try:
        (k1, _), (k2, _), (k3, _) = await three_kabupaten(rt)
        await open_example_poll(rt.db)
        for i in range(12):
            await respond(rt, f"a{i}", k1)
        for i in range(3):
            await respond(rt, f"b{i}", k2)
        for i in range(2):
            await respond(rt, f"c{i}", k3)
        await run_due(rt, utcnow() + timedelta(days=2))
        yield rt
    finally:
        await rt.close()


async def test_results_over_http(closed_poll: Runtime) -> None:
    async with TestClient(TestServer(build_app(closed_poll), host="127.0.0.1")) as client:
        index = await client.get("/hasil")
        assert index.status == 200 and f'href="/hasil/{POLL_ID}?lang=id"' in await index.text()
        page = await client.get(f"/hasil/{POLL_ID}")
        html = await page.text()
        assert page.status == 200 and "public, max-age=300" in page.headers["Cache-Control"]
        assert "17 orang menjawab" in html
        assert "Cara pindah TPS" in html and "<script" not in html
        data = await client.get(f"/hasil/{POLL_ID}.csv?lang=en")
        rows = list(csv.DictReader(io.StringIO(await data.text())))
        kab = [r for r in rows if r["dimension"] == "kabupaten" and r["question"] == "cek-dpt"]
        assert sorted(
            (r["answered"], r["suppressed"]) for r in kab if r["option"] == "Yes, I have"
        ) == [
            ("", "1"),
            ("", "1"),
            ("12", "0"),
        ]
        national = [r for r in rows if r["dimension"] == "national" and r["question"] == "cek-dpt"]
        assert [r["count"] for r in national] == ["17", "0", "0"]
        chart = await client.get(f"/hasil/{POLL_ID}/1.png")
        assert chart.status == 200 and (await chart.read())[:4] == b"\x89PNG"
        assert (await client.get("/hasil/no-such-poll")).status == 404
        assert (await client.get(f"/hasil/{POLL_ID}/4.png")).status == 404  # open question


async def test_an_open_poll_has_no_public_page(runtime: Runtime) -> None:
    await open_example_poll(runtime.db)
    async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as client:
        assert (await client.get(f"/hasil/{POLL_ID}")).status == 404
        assert "Belum ada polling yang ditutup" in await (await client.get("/hasil")).text()


async def test_public_page_in_a_real_browser(closed_poll: Runtime, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    runner = web.AppRunner(build_app(closed_poll))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"

    def drive() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        browser.set_window_size(390, 844)  # a phone
        browser.get(base + "/hasil")
        browser.find_element(By.CSS_SELECTOR, "#polls a").click()
        started = time.monotonic()
        browser.get(base + f"/hasil/{POLL_ID}")
        seen["seconds"] = time.monotonic() - started
        seen["title"] = browser.find_element(By.ID, "title").text
        seen["summary"] = browser.find_element(By.ID, "summary").text
        seen["charts"] = [
            browser.execute_script("return arguments[0].naturalWidth", img)
            for img in browser.find_elements(By.TAG_NAME, "img")
        ]
        seen["overflow"] = browser.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth + 1"
        )
        browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        table = browser.find_element(By.CSS_SELECTOR, "#q1 table[data-dimension=kabupaten]")
        seen["kabupaten"] = [r.text for r in table.find_elements(By.TAG_NAME, "tr")]
        browser.find_element(By.ID, "csv").click()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = [p for p in browser.downloads.iterdir() if p.suffix == ".csv"]
            if found:
                seen["csv"] = found[0].read_text(encoding="utf-8")
                break
            time.sleep(0.1)
        return seen

    try:
        seen = await asyncio.to_thread(drive)
    finally:
        await runner.cleanup()
    assert seen["title"] == "Apa yang perlu kamu tahu sebelum nyoblos?"
    assert "17 orang menjawab" in seen["summary"]
    assert len(seen["charts"]) == 3 and all(w > 300 for w in seen["charts"])
    assert seen["overflow"] is False
    rows = seen["kabupaten"]
    assert sum(r.endswith(" 12 12 (100%) 0 (0%) 0 (0%)") for r in rows) == 1
    assert sum("– – – –" in r for r in rows) == 2  # the kabupaten with 3 and 2 answers
    assert seen["seconds"] < 5
    assert "question,kind,dimension" in seen["csv"]


async def test_dashboard_polls_section(closed_poll: Runtime) -> None:
    async with TestClient(TestServer(build_app(closed_poll), host="127.0.0.1")) as client:
        anonymous = await client.get("/admin/polls", allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/admin/login"
        await login(client)
        html = await (await client.get("/admin/polls")).text()  # Indonesian by default
        assert f'id="poll-{POLL_ID}"' in html and '<span class="status">ditutup</span>' in html
        assert "<h1>Polling Suara Muda</h1>" in html and "undangan terkirim" in html
        assert 'class="note invitation"' not in html  # a closed poll has nothing left to send
        english = await (await client.get("/admin/polls?lang=en")).text()
        assert '<span class="status">closed</span>' in english and "invitations sent" in english
        # Nobody was invited (the poll had no audience): all 17 came on their own.
        assert '<td class="num">17</td></tr></table>' in html
        assert 'class="time-to"' in html and '<td class="num">10</td>' in html
        dashboard = await (await client.get("/admin")).text()
        assert 'href="/admin/polls"' in dashboard
