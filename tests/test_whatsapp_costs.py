"""WhatsApp costs and limits shown before a broadcast goes out: recipients outside the 24-hour
window (a paid template each), the template's category, and the messaging tier's headroom."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from click.testing import CliRunner

from bot import ROOT
from bot.broadcast.dispatcher import Dispatcher
from bot.cli import cli
from bot.core.i18n import Translator
from bot.core.segments import parse_segment
from bot.core.whatsapp_costs import WhatsAppCost, whatsapp_cost
from bot.db.models import utcnow
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import DAYTIME, Clock, RecordingChannel, add_users, new_broadcast
from tests.conftest import make_settings
from tests.dialog import Dialog
from tests.test_siaran import onboard

FILE = str(ROOT / "content" / "broadcasts" / "cek-dpt.md")


async def whatsapp_users(runtime: Runtime, now: object) -> None:
    """Two WhatsApp users wrote within 24 hours, three longer ago; one Telegram user."""
    hours = {"w1": 1, "w2": 23, "w3": 25, "w4": 48, "w5": 200}
    for ext, h in hours.items():
        await add_users(runtime, [ext], channel="whatsapp", last_seen_at=now - timedelta(hours=h))  # type: ignore[operator]
    await add_users(runtime, ["t1"], channel="telegram", last_seen_at=now)


async def test_the_figures_count_the_window_the_template_and_the_tier(runtime: Runtime) -> None:
    await whatsapp_users(runtime, DAYTIME)
    seg = parse_segment("all")
    async with runtime.db.sessions() as s:
        before = await whatsapp_cost(
            s, seg, settings=runtime.settings, content=runtime.content, now=DAYTIME
        )
    assert before == WhatsAppCost(
        recipients=5, outside_window=3, category="utility", tier=1000, messaged=0
    )
    # A broadcast goes out to everyone: the five WhatsApp users now count against the tier.
    await new_broadcast(runtime)
    wa, tg = RecordingChannel(), RecordingChannel()
    wa.name, tg.name = "whatsapp", "telegram"
    fast = {"whatsapp": (1000.0, None), "telegram": (1000.0, None)}
    await Dispatcher(
        runtime, {"whatsapp": wa, "telegram": tg}, clock=Clock(), rates=fast, poll_interval=0.01
    ).run(until_done=True)  # type: ignore[arg-type]
    assert len(wa.sent) == 5 and len(tg.sent) == 1
    later = DAYTIME + timedelta(hours=2)
    async with runtime.db.sessions() as s:
        after = await whatsapp_cost(
            s, seg, settings=runtime.settings, content=runtime.content, now=later
        )
        next_day = await whatsapp_cost(
            s,
            seg,
            settings=runtime.settings,
            content=runtime.content,
            now=DAYTIME + timedelta(hours=25),
        )
        nobody = await whatsapp_cost(
            s,
            parse_segment("channel=telegram"),
            settings=runtime.settings,
            content=runtime.content,
            now=later,
        )
    assert after is not None and after.messaged == 5 and after.headroom == 995
    assert next_day is not None and next_day.messaged == 0 and next_day.outside_window == 5
    assert nobody is None


def test_the_lines_in_both_languages_and_over_the_tier() -> None:
    en, id_ = Translator("en"), Translator("id")
    cost = WhatsAppCost(
        recipients=1500, outside_window=1200, category="utility", tier=1000, messaged=100
    )
    assert cost.headroom == 900 and cost.over_tier
    text = cost.describe(en)
    assert "1,200 recipients wrote more than 24 hours ago" in text
    assert "(category: utility)" in text
    assert "1,000 users per 24 hours; 100 messaged, 900 left" in text
    assert "WhatsApp refuses the rest" in text
    indo = cost.describe(id_)
    assert "1.200 penerima" in indo and "sisa 900" in indo and "ditolak WhatsApp" in indo
    free = WhatsAppCost(recipients=3, outside_window=0, category=None, tier=None, messaged=7)
    assert free.headroom is None and not free.over_tier
    assert "unlimited" in free.describe(en) and "no template configured" in free.describe(en)


async def test_the_chat_preview_shows_them_on_whatsapp(db_url: str) -> None:
    runtime = await open_runtime(make_settings(db_url, WHATSAPP_TIER="10000"))
    runtime.core.flood = None
    try:
        await whatsapp_users(runtime, utcnow())
        d = Dialog(runtime.core, user="boss")
        await onboard(d)
        await add_users(runtime, ["boss"], opted_in=False, role="admin")
        await d.say("/siaran")
        await d.press("Pengingat cek DPT")
        await d.press("Everyone subscribed")
        assert "It will go to 6 people (all)" in d.text
        assert "WhatsApp: 3 recipients wrote more than 24 hours ago" in d.text
        assert "(category: utility)" in d.text
        assert "10,000 users per 24 hours; 0 messaged, 10,000 left" in d.text
        await d.press("Cancel")
        await d.say("/siaran")
        await d.press("Pengingat cek DPT")
        await d.say("channel=telegram")
        assert "It will go to 1 person" in d.text and "WhatsApp:" not in d.text
    finally:
        await runtime.close()


async def test_the_cli_preview_shows_them(db_url: str) -> None:
    runtime = await open_runtime(make_settings(db_url))
    try:
        await whatsapp_users(runtime, utcnow())
    finally:
        await runtime.close()
    env = {
        "DATABASE_URL": db_url,
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "WHATSAPP_TIER": "unlimited",
    }
    args = ["broadcast", "create", "--file", FILE, "--segment", "all"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env, input="n\n")
    assert "Audience: 6 opted-in, reachable user(s) (telegram: 1, whatsapp: 5)" in result.output
    assert "WhatsApp: 3 recipients wrote more than 24 hours ago" in result.output
    assert "Messaging tier: unlimited." in result.output


async def test_the_poll_preview_shows_them_like_a_broadcast(db_url: str) -> None:
    """`votebot poll create` and `approve` say who the invitation reaches and what WhatsApp
    costs, in the same words as the broadcast preview (one helper)."""
    runtime = await open_runtime(make_settings(db_url))
    try:
        await whatsapp_users(runtime, utcnow())
    finally:
        await runtime.close()
    env = {"DATABASE_URL": db_url, "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789"}

    async def votebot(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)

    created = await votebot("poll", "create", "info-sebelum-nyoblos", "--segment", "all")
    assert created.exit_code == 0, created.output
    assert "Invitation (counted now; it goes out when the poll opens):" in created.output
    assert "Audience: 6 opted-in, reachable user(s) (telegram: 1, whatsapp: 5)" in created.output
    assert "WhatsApp: 3 recipients wrote more than 24 hours ago" in created.output
    assert "Messaging tier: 1,000 users per 24 hours; 0 messaged, 1,000 left." in created.output
    approved = await votebot("poll", "approve", "info-sebelum-nyoblos")
    assert approved.exit_code == 0, approved.output
    assert "WhatsApp: 3 recipients wrote more than 24 hours ago" in approved.output
    telegram_only = await votebot(
        "poll", "create", "info-sebelum-nyoblos", "--segment", "channel=telegram"
    )
    assert telegram_only.exit_code == 1  # the id exists already: nothing previewed
    assert "Invitation" not in telegram_only.output


async def test_the_dashboard_polls_page_previews_the_invitation(db_url: str) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from tests.test_admin import TOKEN, build_app, login

    runtime = await open_runtime(make_settings(db_url, VOTEBOT_ADMIN_TOKEN=TOKEN))
    try:
        await whatsapp_users(runtime, utcnow())
        env = {"DATABASE_URL": db_url, "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789"}
        created = await asyncio.to_thread(
            CliRunner().invoke, cli, ["poll", "create", "info-sebelum-nyoblos"], env=env
        )
        assert created.exit_code == 0, created.output
        async with TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as c:
            await login(c)
            english = await (await c.get("/admin/polls?lang=en")).text()
            assert '<span class="status">awaiting approval</span>' in english
            preview = english.split('class="note invitation"', 1)[1].split("</p>", 1)[0]
            assert "It will go to 6 people (telegram: 1, whatsapp: 5)." in preview
            assert "WhatsApp: 3 recipients wrote more than 24 hours ago" in preview
            assert "(category: utility)" in preview
            indonesian = await (await c.get("/admin/polls?lang=id")).text()
            assert "Bakal dikirim ke 6 orang" in indonesian and "3 penerima" in indonesian
    finally:
        await runtime.close()
