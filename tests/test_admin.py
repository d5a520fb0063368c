"""The admin dashboard and /metrics over real HTTP, and in a real headless browser."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.metrics import metrics_for
from bot.runtime import Runtime, open_runtime
from bot.server import WEB_EXTENSIONS, _load
from bot.web.admin import COOKIE, make_session
from bot.web.app import RUNTIME_KEY, create_app
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.reportdata import GIANYAR, JAKARTA, JAKSEL, SINCE, UNTIL, seed

TOKEN = "admin-token-for-tests-0123456789"
QUERY = f"?since={SINCE}&until={UNTIL}"


def build_app(runtime: Runtime) -> web.Application:
    """The app as ``votebot serve`` builds it: every WEB_EXTENSIONS entry installed."""
    app = create_app(runtime)
    for ref in WEB_EXTENSIONS:
        install = _load(ref)
        assert callable(install)
        install(app, runtime)
    return app


@pytest.fixture
async def token_runtime(db_url: str) -> AsyncIterator[Runtime]:
    """A runtime with the admin token set (and no data)."""
    rt = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def admin_runtime(token_runtime: Runtime) -> Runtime:
    """With the report data the flows make (tests/reportdata.py)."""
    await seed(token_runtime)
    return token_runtime


@pytest.fixture
async def client(admin_runtime: Runtime) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_app(admin_runtime), host="127.0.0.1")) as c:
        yield c


def hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


async def login(client: TestClient[Any, Any], token: str = TOKEN, **headers: str) -> Any:
    """Log in as a browser does: load the form (its CSRF nonce), then post the token."""
    form = await client.get("/admin/login", headers=headers, allow_redirects=False)
    html = await form.text()
    csrf = hidden(html, "csrf") if 'name="csrf"' in html else ""
    return await client.post(
        "/admin/login", data={"token": token, "csrf": csrf}, headers=headers, allow_redirects=False
    )


async def test_anonymous_requests_are_refused(client: TestClient[Any, Any]) -> None:
    page = await client.get("/admin" + QUERY, allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/admin/login"
    for path in ("/admin/export/users.csv", "/admin/report.json"):
        resp = await client.get(path + QUERY)
        assert resp.status == 401, path
        assert GIANYAR not in await resp.text()
    forged = await make_session(client.server.app[RUNTIME_KEY], "admin")
    tampered = forged[:-4] + ("AAAA" if not forged.endswith("AAAA") else "BBBB")
    client.session.cookie_jar.update_cookies({COOKIE: tampered})
    assert (await client.get("/admin/report.json")).status == 401
    assert (await client.post("/admin/logout", data={"csrf": "x"})).status == 403


async def test_login_sets_a_safe_cookie_and_unlocks_every_page(
    client: TestClient[Any, Any],
) -> None:
    bad = await login(client, "wrong-token-wrong-token")
    assert bad.status == 401
    assert "Token itu nggak valid." in await bad.text()  # Indonesian by default
    assert COOKIE not in bad.cookies
    english = await client.get("/admin/login?lang=en")
    assert '<label for="token">Admin token</label>' in await english.text()
    again = await login(client, "wrong-token-wrong-token")  # the cookie keeps English
    assert "That token is not valid." in await again.text()
    await client.get("/admin/login?lang=id")

    ok = await login(client)
    assert ok.status == 303 and ok.headers["Location"] == "/admin"
    cookie = ok.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert TOKEN not in cookie.value

    page = await client.get("/admin" + QUERY)
    assert page.status == 200
    html = await page.text()
    assert GIANYAR in html and 'src="data:image/png;base64,' in html
    assert page.headers["Cache-Control"] == "no-store"
    for personal in ("ext-1-628123", "Name1", "628123"):
        assert personal not in html

    data = await (await client.get("/admin/report.json" + QUERY)).json()
    assert data["pledges"]["total"] == 15
    csv_resp = await client.get("/admin/export/quizzes.csv" + QUERY)
    assert csv_resp.status == 200
    assert csv_resp.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(await csv_resp.text())))
    assert ["questions", "voting-basics / who-may-vote", "rate", "0.6"] in rows
    assert (await client.get("/admin/export/nope.csv")).status == 404
    bad_date = await client.get("/admin?since=2024-99-01")
    assert bad_date.status == 400 and "is not a date" in await bad_date.text()


async def test_logout_needs_the_csrf_token(client: TestClient[Any, Any]) -> None:
    await login(client)
    html = await (await client.get("/admin")).text()
    csrf = hidden(html, "csrf")
    assert (await client.post("/admin/logout", data={"csrf": "forged"})).status == 403
    out = await client.post("/admin/logout", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/admin/login"
    assert (await client.get("/admin/report.json")).status == 401


async def test_without_a_token_configured_nobody_can_log_in(runtime: Runtime) -> None:
    async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as c:
        form = await c.get("/admin/login")
        assert "Dasbor belum aktif: isi VOTEBOT_ADMIN_TOKEN dulu." in await form.text()
        refused = await login(c, "")
        assert refused.status in (401, 403) and COOKIE not in refused.cookies


async def test_metrics_count_updates_and_need_auth_unless_opened(
    token_runtime: Runtime, settings: Settings, db_url: str
) -> None:
    metrics_for(token_runtime.core)
    d = Dialog(token_runtime.core, user="m1")
    await d.say("/start")
    await d.say("hello")
    async with TestClient(TestServer(build_app(token_runtime), host="127.0.0.1")) as c:
        # Behind a reverse proxy every request comes from loopback: that proves nothing.
        assert (await c.get("/metrics")).status == 401
    opened = await open_runtime(make_settings(db_url, VOTEBOT_METRICS_PUBLIC="1"))
    opened.core = token_runtime.core
    try:
        async with TestClient(TestServer(build_app(opened), host="127.0.0.1")) as c:
            resp = await c.get("/metrics")
            assert resp.status == 200
            body = await resp.text()
    finally:
        await opened.close()
    assert 'votebot_updates_handled_total{channel="test",kind="command"} 1.0' in body
    assert 'votebot_updates_handled_total{channel="test",kind="text"} 1.0' in body
    assert 'votebot_handler_latency_seconds_count{channel="test"} 2.0' in body
    metrics_for(token_runtime.core).broadcast_progress(7, total=10, sent=4, failed=1, blocked=0)
    assert 'votebot_broadcast_messages{broadcast_id="7",state="sent"} 4.0' in (
        metrics_for(token_runtime.core).render().decode()
    )

    public = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN, HOST="192.0.2.10"))
    try:
        async with TestClient(TestServer(build_app(public), host="127.0.0.1")) as c:
            assert (await c.get("/metrics")).status == 401
            wrong = {"Authorization": "Bearer not-the-token-at-all"}
            assert (await c.get("/metrics", headers=wrong)).status == 401
            right = {"Authorization": f"Bearer {TOKEN}"}
            ok = await c.get("/metrics", headers=right)
            assert ok.status == 200 and "votebot_handler_latency_seconds" in await ok.text()
    finally:
        await public.close()


async def test_errors_are_counted(token_runtime: Runtime) -> None:
    from bot.core.router import router

    async def boom(ctx: Any, args: tuple[str, ...]) -> None:
        raise RuntimeError("boom")

    metrics = metrics_for(token_runtime.core)
    router.command("boomtest")(boom)
    try:
        await Dialog(token_runtime.core, user="e1").say("/boomtest")
    finally:
        del router.commands["boomtest"]
    assert 'votebot_handler_errors_total{channel="test",kind="text"} 1.0' in (
        metrics.render().decode()
    )


# --------------------------------------------------------------------------- real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "no browser installed: `apt-get install -y chromium chromium-driver` (.ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="votebot-chromium-")
    downloads = Path(profile) / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}/data",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_dashboard_in_a_real_browser(admin_runtime: Runtime, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    runner = web.AppRunner(build_app(admin_runtime))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"

    def drive() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        browser.get(base + "/admin")
        seen["redirected"] = browser.current_url
        wait = WebDriverWait(browser, 20)
        browser.find_element(By.ID, "token").send_keys("wrong-token-wrong-token")
        browser.find_element(By.ID, "login").click()
        seen["error"] = wait.until(ec.presence_of_element_located((By.ID, "error"))).text
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.ID, "login").click()
        wait.until(ec.url_to_be(base + "/admin"))
        # Indonesian by default, in a phone-wide window (390 px): nothing wider than the screen.
        browser.set_window_size(390, 844)
        browser.get(base + "/admin" + QUERY)
        seen["id_title"] = browser.find_element(By.TAG_NAME, "h1").text
        seen["id_lang"] = browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
        seen["id_cards"] = browser.find_element(By.ID, "headline").text
        seen["id_quiz"] = browser.find_element(By.ID, "quizzes-summary").text
        seen["phone_width"] = browser.execute_script("return window.innerWidth")
        seen["phone_overflow"] = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        seen["phone_charts"] = browser.execute_script(
            "return Array.from(document.querySelectorAll('.charts img'))"
            ".map(i => i.getBoundingClientRect().right <= window.innerWidth)"
        )
        # English by choice, remembered in a cookie for the next visit.
        browser.set_window_size(1280, 900)
        browser.get(base + "/admin" + QUERY + "&lang=en")
        browser.get(base + "/admin" + QUERY)
        seen["title"] = browser.find_element(By.TAG_NAME, "h1").text
        seen["en_quiz_questions"] = browser.find_element(By.ID, "quizzes-questions").text
        seen["period"] = browser.find_element(By.ID, "period").text
        rows = browser.find_elements(By.CSS_SELECTOR, "#pledges-by_kabupaten tr")
        seen["kabupaten"] = [r.text for r in rows]
        seen["quiz"] = browser.find_element(By.ID, "quizzes-summary").text
        seen["charts"] = [
            browser.execute_script("return arguments[0].naturalWidth", img)
            for img in browser.find_elements(By.CSS_SELECTOR, ".charts img")
        ]
        seen["cookie_visible_to_js"] = COOKIE in browser.execute_script("return document.cookie")
        browser.find_element(By.ID, "csv-pledges").click()
        deadline = time.monotonic() + 20
        target = None
        while time.monotonic() < deadline:
            found = [p for p in browser.downloads.iterdir() if p.suffix == ".csv"]
            if found:
                target = found[0]
                break
            time.sleep(0.1)
        seen["csv"] = target.read_text(encoding="utf-8") if target else None
        seen["csv_name"] = target.name if target else None
        browser.find_element(By.ID, "logout").click()
        wait.until(ec.url_to_be(base + "/admin/login"))
        seen["after_logout"] = browser.current_url
        browser.get(base + "/admin/report.json")
        seen["json_after_logout"] = browser.find_element(By.TAG_NAME, "body").text
        return seen

    try:
        seen = await asyncio.to_thread(drive)
    finally:
        await runner.cleanup()
    assert seen["redirected"] == base + "/admin/login"
    assert seen["error"] == "Token itu nggak valid."
    assert seen["id_title"] == "Teman Pemilih: minggu ini sekilas" and seen["id_lang"] == "id"
    assert "Pengguna baru" in seen["id_cards"] and "minggu lalu" in seen["id_cards"]
    assert "Mulai 7" in seen["id_quiz"] and "Selesai (%) 43%" in seen["id_quiz"]
    assert seen["phone_width"] <= 390 and seen["phone_overflow"] <= 0
    assert seen["phone_charts"] and all(seen["phone_charts"])
    assert seen["title"] == "Teman Pemilih: this week at a glance"
    assert f"From {SINCE} to {UNTIL}" in seen["period"] and "Asia/Jakarta" in seen["period"]
    assert f"Bali {GIANYAR} 12" in seen["kabupaten"]
    assert f"{JAKARTA} {JAKSEL} <10" in seen["kabupaten"]
    assert "Started 7" in seen["quiz"] and "Completed 3" in seen["quiz"]
    assert "Completed (%) 43%" in seen["quiz"] and "completion_rate" not in seen["quiz"]
    assert len(seen["charts"]) == 4 and all(w >= 800 for w in seen["charts"])
    assert seen["cookie_visible_to_js"] is False
    assert seen["csv_name"] == f"pledges_{SINCE}_{UNTIL}.csv"
    assert "summary,,total,15" in seen["csv"]
    assert f"by_province,{JAKARTA},pledges,<10" in seen["csv"]
    assert seen["after_logout"] == base + "/admin/login"
    assert seen["json_after_logout"] == "login required"


async def test_a_per_admin_token_logs_in_until_it_is_revoked(runtime: Runtime) -> None:
    from bot.core.events import UserRef
    from bot.core.roles import create_admin_token, set_role

    async with runtime.db.transaction() as s:
        admin, _ = await set_role(s, UserRef("telegram", "777"), "admin")
        token = await create_admin_token(s, admin)
    async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as c:
        form = await c.get("/admin/login")
        assert "VOTEBOT_ADMIN_TOKEN" not in await form.text()
        ok = await login(c, token)
        assert ok.status == 303
        assert "777" not in ok.cookies[COOKIE].value
        assert (await c.get("/admin/report.json")).status == 200
        async with runtime.db.transaction() as s:
            await set_role(s, UserRef("telegram", "777"), None)
        # Losing the admin role ends the session at once, not when the cookie expires.
        assert (await c.get("/admin/report.json")).status == 401
        assert (await login(c, token)).status in (401, 403)  # no live token: login is off


async def test_charts_follow_the_admin_language(
    client: TestClient[Any, Any], admin_runtime: Runtime
) -> None:
    from matplotlib.text import Text

    from bot.reports.charts import CHARTS, TITLES, png
    from bot.reports.data import Period, build_report

    await login(client)
    indonesian = await (await client.get("/admin" + QUERY)).text()  # Indonesian by default
    assert 'alt="Pengguna aktif per hari (hari WIB)" id="chart-daily_active_users"' in indonesian
    assert 'alt="Alur kuis" id="chart-quiz_funnel"' in indonesian
    english = await (await client.get("/admin" + QUERY + "&lang=en")).text()
    assert 'alt="Daily active users (Jakarta days)" id="chart-daily_active_users"' in english
    assert english.count('src="data:image/png;base64,') == len(CHARTS)

    # The PNGs are drawn from these figures: every word on them is in the admin's language.
    async with admin_runtime.db.transaction() as session:
        report = await build_report(session, Period.parse(SINCE, UNTIL))

    def words(lang: str) -> dict[str, set[str]]:
        t = admin_runtime.core.translator(lang)
        out = {}
        for name, draw in CHARTS.items():
            fig = draw(report, t)
            png(fig)  # drawing sets the tick labels
            out[name] = {x.get_text() for x in fig.findobj(Text) if x.get_text()}
        return out

    id_words, en_words = words("id"), words("en")
    assert TITLES["quiz_funnel"] in en_words["quiz_funnel"]
    assert {"Alur kuis", "mulai", "selesai", "sertifikat", "kuis dikerjakan"} <= id_words[
        "quiz_funnel"
    ]
    assert {"started", "completed", "certificate"} <= en_words["quiz_funnel"]
    assert "pengguna yang kirim pesan" in id_words["daily_active_users"]
    assert "Pertanyaan paling susah" in id_words["hardest_questions"]
    assert any(w.startswith("janji diteken") for w in id_words["pledges_by_province"])
    english = {"started", "Quiz funnel", "pledges signed", "Hardest questions", "day"}
    assert all(not english & id_words[name] for name in CHARTS)
