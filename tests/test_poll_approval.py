"""Approving a poll beside the command line: on the dashboard (admins, CSRF-checked, a second
person) and in the chat with ``/tinjau_polling`` (admins only; volunteers and checkers get a no)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.core.events import UserRef
from bot.core.formatting import to_plain
from bot.core.polls import store
from bot.core.polls.spec import parse_poll_file
from bot.core.roles import ADMIN, CHECKER, VOLUNTEER, create_admin_token, set_role
from bot.db import repo
from bot.db.models_broadcast import AuditEntry
from bot.db.models_poll import APPROVED, AWAITING_APPROVAL, CANCELLED
from bot.runtime import Runtime, open_runtime
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.poll_helpers import EXAMPLE
from tests.test_admin import TOKEN, build_app, hidden, login


@pytest.fixture
async def rt(db_url: str) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    runtime.core.flood = None
    try:
        yield runtime
    finally:
        await runtime.close()


async def create(rt: Runtime, poll_id: str, by: UserRef | None = None) -> None:
    """A poll awaiting approval, as ``votebot poll create [--by CHANNEL:ID]`` makes it."""
    spec = dataclasses.replace(parse_poll_file(EXAMPLE, ["id", "en"], "id"), id=poll_id)
    async with rt.db.transaction() as s:
        creator = (await repo.get_or_create_user(s, by))[0] if by is not None else None
        await store.create_poll(s, spec, creator)


async def grant(rt: Runtime, who: str, role: str, channel: str = "test") -> str:
    """Give ``who`` a role (``votebot role grant``); an admin also gets a dashboard token."""
    async with rt.db.transaction() as s:
        user, _ = await set_role(s, UserRef(channel, who), role, actor="cli")
        return await create_admin_token(s, user) if role == ADMIN else ""


async def status(rt: Runtime, poll_id: str) -> tuple[str, str | None]:
    async with rt.db.transaction() as s:
        poll = await store.get_poll(s, poll_id)
        return poll.status, poll.approved_by


async def approvals(rt: Runtime) -> list[tuple[str, str, dict[str, Any]]]:
    async with rt.db.transaction() as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.action == "poll_approve"))
        return [(r.actor, r.target, dict(r.details or {})) for r in rows]


# --------------------------------------------------------------------------- dashboard


async def test_an_admin_approves_a_poll_on_the_dashboard(rt: Runtime) -> None:
    await create(rt, "poll-a")
    async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as client:
        c: TestClient[Any, Any] = client
        anonymous = await c.post("/admin/polls/poll-a/approve", allow_redirects=False)
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/admin/login"
        await login(c)
        page = await (await c.get("/admin/polls")).text()
        assert 'id="approve-poll-a"' in page
        assert "Kamu udah pernah cek namamu di daftar pemilih (DPT)?" in page
        csrf = hidden(page, "csrf")
        for bad in ({}, {"csrf": "0" * 64}):
            refused = await c.post("/admin/polls/poll-a/approve", data=bad, allow_redirects=False)
            assert refused.status == 403
        assert await status(rt, "poll-a") == (AWAITING_APPROVAL, None)
        done = await c.post(
            "/admin/polls/poll-a/approve", data={"csrf": csrf}, allow_redirects=False
        )
        assert done.status == 303 and done.headers["Location"] == "/admin/polls?approved=poll-a"
        shown = await (await c.get(done.headers["Location"])).text()
        assert 'id="approved"' in shown and 'id="approve-poll-a"' not in shown
        again = await c.post("/admin/polls/poll-a/approve", data={"csrf": csrf})
        assert again.status == 400 and "not awaiting approval" in await again.text()
        missing = await c.post("/admin/polls/nope/approve", data={"csrf": csrf})
        assert missing.status == 400 and "no poll" in await missing.text()
    assert await status(rt, "poll-a") == (APPROVED, "dashboard")
    assert await approvals(rt) == [("dashboard", "poll:poll-a", {"via": "dashboard"})]


async def test_a_per_admin_token_needs_a_second_person_and_a_live_role(rt: Runtime) -> None:
    ana = await grant(rt, "ana", ADMIN)
    budi = await grant(rt, "budi", ADMIN)
    await create(rt, "poll-b", by=UserRef("test", "ana"))
    server = TestServer(build_app(rt), host="127.0.0.1")
    async with TestClient(server) as as_ana, TestClient(TestServer(server.app)) as as_budi:
        await login(as_ana, ana)
        csrf = hidden(await (await as_ana.get("/admin/polls")).text(), "csrf")
        own = await as_ana.post("/admin/polls/poll-b/approve", data={"csrf": csrf})
        assert own.status == 400 and "second person" in await own.text()
        # Budi's session, then his role is taken away: his approval no longer counts.
        await login(as_budi, budi)
        budi_csrf = hidden(await (await as_budi.get("/admin/polls")).text(), "csrf")
        await grant(rt, "budi", VOLUNTEER)
        gone = await as_budi.post(
            "/admin/polls/poll-b/approve", data={"csrf": budi_csrf}, allow_redirects=False
        )
        assert gone.status == 303 and gone.headers["Location"] == "/admin/login"
        assert await status(rt, "poll-b") == (AWAITING_APPROVAL, None)
    citra = await grant(rt, "citra", ADMIN)
    async with TestClient(TestServer(build_app(rt), host="127.0.0.1")) as as_citra:
        await login(as_citra, citra)
        csrf = hidden(await (await as_citra.get("/admin/polls")).text(), "csrf")
        ok = await as_citra.post(
            "/admin/polls/poll-b/approve", data={"csrf": csrf}, allow_redirects=False
        )
        assert ok.status == 303
    assert await status(rt, "poll-b") == (APPROVED, "test:citra")


# --------------------------------------------------------------------------- chat


async def test_admins_approve_and_reject_polls_in_the_chat(rt: Runtime) -> None:
    await create(rt, "poll-c")
    await create(rt, "poll-d")
    await grant(rt, "vol", VOLUNTEER)
    await grant(rt, "cek", CHECKER)
    for who in ("vol", "cek", "someone"):
        d = Dialog(rt.core, who)
        await d.say("/tinjau_polling")
        assert "Cuma admin" in d.text, who
    await grant(rt, "admin", ADMIN)
    admin = Dialog(rt.core, "admin")
    await admin.say("/tinjau_polling")
    assert "poll-c" in admin.text and "poll-d" in admin.text
    assert "Kamu udah pernah cek namamu di daftar pemilih (DPT)?" in admin.text
    approve_c = next(
        b.payload
        for r in admin.replies
        if r.text and "poll-c" in to_plain(r.text)
        for b in r.all_buttons()
        if b.payload and b.payload.startswith("prv:approve:")
    )
    reject_d = next(
        b.payload
        for r in admin.replies
        if r.text and "poll-d" in to_plain(r.text)
        for b in r.all_buttons()
        if b.payload and b.payload.startswith("prv:reject:")
    )
    # a volunteer who got hold of the button is still refused
    vol = Dialog(rt.core, "vol")
    await vol.tap(approve_c or "")
    assert "Cuma admin" in vol.text
    assert await status(rt, "poll-c") == (AWAITING_APPROVAL, None)
    await admin.tap(approve_c or "")
    assert "Disetujui" in admin.text
    assert await status(rt, "poll-c") == (APPROVED, "test:admin")
    await admin.tap(approve_c or "")
    assert "nggak lagi nunggu persetujuan" in admin.text
    await admin.tap(reject_d or "")
    assert "ditolak" in admin.text
    assert (await status(rt, "poll-d"))[0] == CANCELLED
    await admin.say("/tinjau_polling")
    assert "Nggak ada polling yang nunggu persetujuan" in admin.text
    assert await approvals(rt) == [("test:admin", "poll:poll-c", {"via": "chat"})]


async def test_the_creator_cannot_approve_their_own_poll_in_the_chat(rt: Runtime) -> None:
    await grant(rt, "ana", ADMIN)
    await create(rt, "poll-e", by=UserRef("test", "ana"))
    ana = Dialog(rt.core, "ana")
    await ana.say("/tinjau_polling")
    await ana.press("Setujui")
    assert "orang kedua" in ana.text
    assert await status(rt, "poll-e") == (AWAITING_APPROVAL, None)
