"""``/admin/claims``: trends and the open queue for admins only, without personal data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.test_admin import TOKEN, build_app, login


@pytest.fixture
async def rt(db_url: str) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    runtime.core.flood = None
    try:
        yield runtime
    finally:
        await runtime.close()


async def test_claims_page_for_admins(rt: Runtime) -> None:
    for who in ("a", "b", "c"):
        d = Dialog(rt.core, who)
        await d.say("Diteruskan\ntinta pemilu itu haram, wudhu jadi nggak sah. SEBARKAN")
    asker = Dialog(rt.core, "d")
    await asker.say("Diteruskan dari Om Joko\nBesok TPS di kampung kita tutup jam 10 pagi SEBARKAN")
    await asker.press("Kirim ke tim")
    async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as client:
        c: TestClient[Any, Any] = client
        anonymous = await c.get("/admin/claims", allow_redirects=False)
        assert anonymous.status == 303
        await login(c)
        page = await c.get("/admin/claims")
        assert page.status == 200
        html = await page.text()  # Indonesian by default
        english = await (await c.get("/admin/claims?lang=en")).text()
    assert "tinta-pemilu-haram" in html and "↑ naik" in html
    assert "<h2>Menunggu putusan</h2>" in html and '<html lang="id">' in html
    assert "↑ rising" in english and "<h2>Waiting for a verdict</h2>" in english
    assert "tutup jam 10 pagi" in html and "Joko" not in html
