"""Dashboard security over real HTTP: CSRF on login, throttled guessing, sessions that end in the
database (logout, revocation, a changed token) and cookies marked Secure behind a TLS proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core.events import UserRef
from bot.core.roles import apply_admins, set_role
from bot.runtime import Runtime, open_runtime
from bot.web.admin import COOKIE
from bot.web.sessions import MAX_FAILURES
from tests.conftest import make_settings
from tests.test_admin import TOKEN, build_app, login


@pytest.fixture
async def rt(db_url: str) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as c:
        yield c


async def test_login_without_the_forms_csrf_nonce_is_refused(
    client: TestClient[Any, Any],
) -> None:
    direct = await client.post("/admin/login", data={"token": TOKEN}, allow_redirects=False)
    assert direct.status == 403 and COOKIE not in direct.cookies
    await client.get("/admin/login")  # a nonce cookie, but a forged form value
    forged = await client.post(
        "/admin/login", data={"token": TOKEN, "csrf": "0" * 64}, allow_redirects=False
    )
    assert forged.status == 403 and COOKIE not in forged.cookies
    assert (await login(client)).status == 303


async def test_guessing_is_throttled_even_for_the_right_token(
    client: TestClient[Any, Any], rt: Runtime
) -> None:
    for _ in range(MAX_FAILURES):
        assert (await login(client, "wrong-token-wrong-token")).status == 401
    blocked = await login(client)
    assert blocked.status == 429 and blocked.headers["Retry-After"] == "900"
    assert COOKIE not in blocked.cookies
    # Another client (behind a trusted proxy, by its forwarded address) is not blocked.
    proxied = await open_runtime(
        make_settings(rt.settings.database_url, VOTEBOT_ADMIN_TOKEN=TOKEN, VOTEBOT_TRUST_PROXY="1")
    )
    try:
        async with TestClient(TestServer(build_app(proxied), host="127.0.0.1")) as other:
            ok = await login(other, **{"X-Forwarded-For": "198.51.100.7"})
            assert ok.status == 303
    finally:
        await proxied.close()


async def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    client: TestClient[Any, Any], rt: Runtime
) -> None:
    ok = await login(client)
    stolen = ok.cookies[COOKIE].value
    async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as thief:
        thief.session.cookie_jar.update_cookies({COOKIE: stolen})
        assert (await thief.get("/admin/report.json")).status == 200
        html = await (await client.get("/admin")).text()
        csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        out = await client.post("/admin/logout", data={"csrf": csrf}, allow_redirects=False)
        assert out.status == 303
        assert (await thief.get("/admin/report.json")).status == 401


async def test_changing_the_admin_token_ends_its_sessions(
    client: TestClient[Any, Any], rt: Runtime
) -> None:
    cookie = (await login(client)).cookies[COOKIE].value
    rotated = await open_runtime(
        make_settings(rt.settings.database_url, VOTEBOT_ADMIN_TOKEN="a-brand-new-token-0123456789")
    )
    try:
        async with TestClient(TestServer(build_app(rotated), host="127.0.0.1")) as c:
            c.session.cookie_jar.update_cookies({COOKIE: cookie})
            assert (await c.get("/admin/report.json")).status == 401
    finally:
        await rotated.close()


async def test_cookies_are_secure_behind_a_tls_proxy_only_when_trusted(db_url: str) -> None:
    https = {"X-Forwarded-Proto": "https"}
    for trust, secure in (("0", ""), ("1", True)):
        runtime = await open_runtime(
            make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN, VOTEBOT_TRUST_PROXY=trust)
        )
        try:
            async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as c:
                # The test client speaks plain HTTP, so it would not send a Secure cookie
                # back by itself: hand the form's nonce cookie over as a browser on HTTPS does.
                form = await c.get("/admin/login", headers=https)
                nonce = form.cookies["votebot_login"]
                assert nonce["secure"] == secure, trust
                csrf = (await form.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
                ok = await c.post(
                    "/admin/login",
                    data={"token": TOKEN, "csrf": csrf},
                    headers={**https, "Cookie": f"votebot_login={nonce.value}"},
                    allow_redirects=False,
                )
                assert ok.status == 303
                assert ok.cookies[COOKIE]["secure"] == secure, trust
        finally:
            await runtime.close()


async def test_a_revoked_admin_is_not_regranted_by_votebot_admins(rt: Runtime) -> None:
    ref = UserRef("telegram", "4242")
    async with rt.db.transaction() as s:
        assert await apply_admins(s, [ref]) == [ref]
    async with rt.db.transaction() as s:
        await set_role(s, ref, None)  # `votebot role revoke`
    async with rt.db.transaction() as s:
        assert await apply_admins(s, [ref]) == []
        user, before = await set_role(s, ref, "admin")  # granted again on purpose
        assert before is None and user.role == "admin"
    async with rt.db.transaction() as s:
        await set_role(s, ref, "volunteer")  # demoted: the variable does not undo it either
    async with rt.db.transaction() as s:
        assert await apply_admins(s, [ref]) == []
