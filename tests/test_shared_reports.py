"""Shared /lapor reports: the dashboard pages (real HTTP and a real browser), ``votebot reports``,
the audit row of every access, and the 180-day retention."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from bot.cli import cli
from bot.db.models_broadcast import AuditEntry
from bot.db.models_pledge import Report
from bot.reports.shared import RETENTION_DAYS, counts, expire_shared
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.helpers_pledge import add_regions, rows
from tests.test_admin import TOKEN, browser, build_app, free_port, login
from tests.test_report import WHAT, WHO, gps_jpeg, walk_to_consent

__all__ = ["browser"]


@pytest.fixture
async def admin_runtime(db_url: str) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


async def make_reports(runtime: Runtime) -> tuple[int, int]:
    """Two people report through /lapor: one shares the full report with a photo, one does not."""
    await add_regions(runtime)
    shares = Dialog(runtime.core, language_code="en")
    await walk_to_consent(shares, photo=gps_jpeg())
    await shares.press("Yes, keep the full report")
    keeps = Dialog(runtime.core, language_code="en")
    await walk_to_consent(keeps)
    await keeps.press("No, only the anonymous record")
    reports = await rows(runtime, Report)
    [shared] = [r.id for r in reports if r.consent]
    [anonymous] = [r.id for r in reports if not r.consent]
    return shared, anonymous


async def audit_rows(runtime: Runtime) -> list[tuple[str, str, str]]:
    return [
        (a.actor, a.action, a.target)
        for a in sorted(await rows(runtime, AuditEntry), key=lambda a: a.id)
        if a.action.startswith("reports.")
    ]


async def test_the_dashboard_shows_shared_reports_and_audits_each_view(
    admin_runtime: Runtime,
) -> None:
    shared, anonymous = await make_reports(admin_runtime)
    async with TestClient(TestServer(build_app(admin_runtime), host="127.0.0.1")) as c:
        refused = await c.get("/admin/reports", allow_redirects=False)
        assert refused.status == 303 and await audit_rows(admin_runtime) == []
        assert (await login(c)).status == 303
        dashboard = await (await c.get("/admin")).text()
        assert 'href="/admin/reports"' in dashboard
        page = await (await c.get("/admin/reports")).text()  # Indonesian by default
        assert '<html lang="id">' in page and "<h1>Laporan yang dibagikan</h1>" in page
        assert "1 laporan dibagikan; 1 catatan anonim (hanya dihitung)." in page
        assert "<th>Kejadian</th>" in page and "tidak bisa dihubungi" in page
        assert WHAT in page and "Kabupaten Blora, Jawa Tengah" in page
        assert f'href="/admin/reports/{shared}"' in page
        assert f"/admin/reports/{anonymous}" not in page
        english = await (await c.get("/admin/reports?lang=en")).text()
        assert '<html lang="en">' in english and "<h1>Shared reports</h1>" in english
        assert "1 shared report; 1 anonymous record (counted only)." in english
        # The choice is kept (a cookie) for the report's own page.
        one = await (await c.get(f"/admin/reports/{shared}")).text()
        assert WHO in one and 'id="photo"' in one and "data:image/jpeg;base64," in one
        assert "cannot be contacted" in one and "/hapus cannot find" in one
        assert "<th>Who was involved</th>" in one and "<td>Money or goods</td>" in one
        assert 'alt="Photo sent with the report"' in one
        ours = await (await c.get(f"/admin/reports/{shared}?lang=id")).text()
        assert "<th>Siapa yang terlibat</th>" in ours and "<td>Uang atau barang</td>" in ours
        assert "<h1>Laporan tanggal 20" in ours
        hidden = await c.get(f"/admin/reports/{anonymous}")
        assert hidden.status == 404
    assert await audit_rows(admin_runtime) == [
        ("dashboard:admin", "reports.list", "1 reports"),
        ("dashboard:admin", "reports.list", "1 reports"),
        ("dashboard:admin", "reports.show", f"report:{shared}"),
        ("dashboard:admin", "reports.photo", f"report:{shared}"),
        ("dashboard:admin", "reports.show", f"report:{shared}"),
        ("dashboard:admin", "reports.photo", f"report:{shared}"),
    ]


async def test_votebot_reports_list_show_export_are_audited(
    admin_runtime: Runtime, tmp_path: Any
) -> None:
    shared, anonymous = await make_reports(admin_runtime)
    env = {
        "DATABASE_URL": admin_runtime.settings.database_url,
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
    }

    async def votebot(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)

    listed = await votebot("reports", "list")
    assert listed.exit_code == 0, listed.output
    assert str(shared) in listed.output and str(anonymous) not in listed.output
    assert "Kabupaten Blora" in listed.output and "[photo]" in listed.output
    assert "1 shared reports (text kept 180 days); 1 anonymous records" in listed.output
    photo = tmp_path / "photo.jpg"
    shown = await votebot("reports", "show", str(shared), "--photo", str(photo))
    assert shown.exit_code == 0, shown.output
    assert f"who: {WHO}" in shown.output and photo.read_bytes()[:2] == b"\xff\xd8"
    refused = await votebot("reports", "show", str(anonymous))
    assert refused.exit_code == 1 and "anonymous records cannot be read" in refused.output
    exported = await votebot("reports", "export")
    assert exported.exit_code == 0, exported.output
    [row] = list(csv.DictReader(io.StringIO(exported.output)))
    assert row["id"] == str(shared) and row["what"] == WHAT and row["photo"] == "True"
    as_json = await votebot("reports", "export", "--format", "json")
    assert json.loads(as_json.output)[0]["who"] == WHO
    assert await audit_rows(admin_runtime) == [
        ("cli", "reports.list", "1 reports"),
        ("cli", "reports.show", f"report:{shared}"),
        ("cli", "reports.photo", f"report:{shared}"),
        ("cli", "reports.export", "1 reports"),
        ("cli", "reports.export", "1 reports"),
    ]


async def test_shared_text_and_photo_are_kept_180_days(admin_runtime: Runtime) -> None:
    await make_reports(admin_runtime)
    [day] = {r.reported_on for r in await rows(admin_runtime, Report)}
    async with admin_runtime.db.transaction() as s:
        assert await expire_shared(s, day + dt.timedelta(days=RETENTION_DAYS)) == 0
        assert await expire_shared(s, day + dt.timedelta(days=RETENTION_DAYS + 1)) == 1
        assert await counts(s) == (0, 2)  # the anonymous record of both stays
    kept = await rows(admin_runtime, Report)
    assert len(kept) == 2 and all(r.details is None and r.photo is None for r in kept)


async def test_a_shared_report_in_a_real_browser(admin_runtime: Runtime, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    shared, _ = await make_reports(admin_runtime)
    runner = web.AppRunner(build_app(admin_runtime))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"

    def drive() -> dict[str, Any]:
        browser.set_window_size(390, 844)
        browser.get(base + "/admin/login")
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.ID, "login").click()
        WebDriverWait(browser, 20).until(ec.url_to_be(base + "/admin"))
        browser.get(base + "/admin/reports")
        browser.find_element(By.CSS_SELECTOR, "#reports a").click()
        photo = WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.ID, "photo")))
        return {
            "url": browser.current_url,
            "table": browser.find_element(By.ID, "report").text,
            "photo": browser.execute_script("return arguments[0].naturalWidth", photo),
            "overflow": browser.execute_script(
                "return document.documentElement.scrollWidth > window.innerWidth"
            ),
        }

    try:
        seen = await asyncio.to_thread(drive)
    finally:
        await runner.cleanup()
    assert seen["url"] == f"{base}/admin/reports/{shared}"
    assert WHAT in seen["table"] and WHO in seen["table"]
    assert seen["photo"] > 0 and seen["overflow"] is False
    assert ("dashboard:admin", "reports.show", f"report:{shared}") in await audit_rows(
        admin_runtime
    )
