"""The WhatsApp channel through its real aiohttp webhook, against a fake Graph API on loopback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import fleet
from bot.channels.base import PermanentError, RetryLater, TransientError, Unreachable
from bot.channels.whatsapp import OutsideWindow, WhatsAppChannel
from bot.config import ConfigError
from bot.core.engine import Handled
from bot.core.events import InboundEvent, UserRef
from bot.core.menu import MENU
from bot.core.replies import Button, Image, Reply
from bot.db import repo
from bot.db.models import EngagementEvent, ProcessedMessage, User, utcnow
from bot.db.models_whatsapp import WhatsAppMessage
from bot.reports.data import Period, build_report
from bot.runtime import Runtime, open_runtime
from bot.web.app import MAX_BODY_BYTES
from tests.conftest import make_settings
from tests.whatsapp_fakes import (
    PHOTO,
    TOKEN,
    USER,
    VERIFY_TOKEN,
    FakeGraph,
    Harness,
    serving,
    wa_env,
    webhook_body,
)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def wa_runtime(db_url: str, graph: FakeGraph) -> AsyncIterator[Runtime]:
    rt = await open_runtime(make_settings(db_url, **wa_env(graph.url)))
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def wa(wa_runtime: Runtime, graph: FakeGraph) -> AsyncIterator[Harness]:
    async with serving(wa_runtime, graph) as harness:
        yield harness


async def count(rt: Runtime, model: Any) -> int:
    async with rt.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def get_user(rt: Runtime, wa_id: str = USER) -> User:
    async with rt.db.transaction() as s:
        user = await repo.get_user(s, UserRef("whatsapp", wa_id))
    assert user is not None
    return user


async def onboard(wa: Harness) -> None:
    """/start → Bahasa Indonesia → "Nanti dulu": the user has a language and sees the menu."""
    await wa.say("/start")
    await wa.press("Bahasa Indonesia")
    await wa.press("Nanti dulu")


def capture_events(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    handle_once = rt.core.handle_once

    async def spy(event: InboundEvent, key: str, route: dict[str, Any] | None = None) -> Handled:
        events.append(event)
        return await handle_once(event, key, route)

    monkeypatch.setattr(rt.core, "handle_once", spy)
    return events


# --------------------------------------------------------------------------- configuration


def test_configured_needs_all_four_variables(db_url: str) -> None:
    assert not WhatsAppChannel.configured(make_settings(db_url))
    assert WhatsAppChannel.configured(make_settings(db_url, **wa_env("http://127.0.0.1:1/v26.0")))
    partial = {"WHATSAPP_TOKEN": TOKEN, "WHATSAPP_PHONE_NUMBER_ID": "123"}
    with pytest.raises(ConfigError) as info:
        WhatsAppChannel.configured(make_settings(db_url, **partial))
    message = str(info.value)
    assert "WHATSAPP_APP_SECRET" in message and "WHATSAPP_VERIFY_TOKEN" in message
    assert "WHATSAPP_TOKEN," not in message


def test_a_bad_whatsapp_value_names_the_variable(db_url: str) -> None:
    with pytest.raises(ConfigError, match=r"^WHATSAPP_PHONE_NUMBER_ID: must be the numeric"):
        make_settings(db_url, WHATSAPP_PHONE_NUMBER_ID="+62 812")
    with pytest.raises(ConfigError, match=r"^WHATSAPP_API_URL: must be an http"):
        make_settings(db_url, WHATSAPP_API_URL="graph.facebook.com")


async def test_secrets_never_reach_a_log(wa: Harness, caplog: pytest.LogCaptureFixture) -> None:
    from bot.logs import redact

    assert redact(f"sending with {TOKEN} and {VERIFY_TOKEN}") == "sending with *** and ***"


# --------------------------------------------------------------------------- the webhook


async def test_verification_handshake(wa: Harness) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42abc"}
    resp = await wa.client.get("/whatsapp", params=query)
    assert resp.status == 200 and await resp.text() == "42abc"
    resp = await wa.client.get("/whatsapp", params={**query, "hub.verify_token": "wrong"})
    assert resp.status == 403 and "42abc" not in await resp.text()
    resp = await wa.client.get("/whatsapp", params={**query, "hub.mode": "unsubscribe"})
    assert resp.status == 403


async def test_bad_or_missing_signature_is_401_and_nothing_happens(
    wa: Harness, wa_runtime: Runtime
) -> None:
    body = webhook_body([wa.message("text", {"body": "/start"})])
    assert await wa.post(body, signature=None) == 401
    assert await wa.post(body, signature="sha256=" + "0" * 64) == 401
    assert await wa.post(body, signature="md5=whatever") == 401
    await wa.channel.drain()
    assert wa.graph.sent == []
    assert await count(wa_runtime, User) == 0
    assert await count(wa_runtime, ProcessedMessage) == 0


async def test_malformed_json_is_400(wa: Harness, wa_runtime: Runtime) -> None:
    assert await wa.post(b"{not json") == 400
    assert await wa.post(b"[1, 2]") == 400
    assert await count(wa_runtime, User) == 0


async def test_an_oversized_body_is_413(wa: Harness) -> None:
    big = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    assert await wa.post(big) == 413
    await wa.channel.drain()
    assert wa.graph.sent == []


async def test_a_redelivered_message_is_handled_once(wa: Harness, wa_runtime: Runtime) -> None:
    message = wa.message("text", {"body": "/start"}, msg_id="wamid.same")
    assert await wa.deliver(message) == 200
    first = len(wa.graph.sent)
    assert first >= 2
    assert await wa.deliver(message) == 200
    assert len(wa.graph.sent) == first
    assert wa.batch == []
    assert await count(wa_runtime, User) == 1


async def test_updates_for_another_number_or_field_are_ignored(wa: Harness) -> None:
    body = webhook_body([wa.message("text", {"body": "/start"})])
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert await wa.post(body) == 200
    other = webhook_body([wa.message("text", {"body": "/start"})])
    other["entry"][0]["changes"][0]["field"] = "account_update"
    assert await wa.post(other) == 200
    await wa.channel.drain()
    assert wa.graph.sent == []


# --------------------------------------------------------------------------- conversations


async def test_start_language_and_menu_over_whatsapp(wa: Harness, wa_runtime: Runtime) -> None:
    await wa.say("/start")
    assert "Aku *Teman Pemilih*" in wa.text
    assert wa.kinds == ["text", "button"]
    assert wa.options == ["Bahasa Indonesia", "English"]
    assert all(m["to"] == USER and m["messaging_product"] == "whatsapp" for m in wa.batch)
    await wa.press("Bahasa Indonesia")
    assert "Oke, aku akan ngobrol pakai Bahasa Indonesia" in wa.text
    assert wa.options == ["✅ Ya, ingatkan aku", "Nanti dulu"]
    await wa.press("Nanti dulu")
    # The main menu has more than three entries: a list, not buttons.
    assert wa.kinds == ["list"]
    menu = wa.batch[0]["interactive"]
    assert len(menu["action"]["sections"][0]["rows"]) == len(MENU) > 3
    assert menu["action"]["button"] == "Pilih"
    assert "🗳️ Bekal hari H" in wa.options
    await wa.press("Bekal hari H")
    assert "Pilih topik:" in wa.text
    rows = wa.batch[-1]["interactive"]["action"]["sections"][0]["rows"]
    assert all(len(r["title"]) <= 24 for r in rows)
    await wa.press("Jam buka TPS")
    assert "*Jam buka TPS*" in wa.text and "Sumber:" in wa.text
    user = await get_user(wa_runtime)
    assert user.locale == "id" and user.opt_in_asked and not user.opted_in


async def test_a_long_label_is_shortened_and_listed_in_full(wa: Harness) -> None:
    label = "Yes, I want the polling station reminder"
    reply = Reply("Remind you?", [[Button(label, payload="menu"), Button("No", payload="help")]])
    await wa.channel.converse(USER, [reply])
    sent = wa.graph.sent[-1]["interactive"]
    titles = [b["reply"]["title"] for b in sent["action"]["buttons"]]
    assert titles[0] != label and len(titles[0]) <= 20 and titles[0].endswith("…")
    assert label in sent["body"]["text"]
    wa.batch = [wa.graph.sent[-1]]
    await wa.press(titles[0])
    assert "Pilih" in wa.text  # the "menu" payload reached the core


async def test_more_than_ten_options_page_through(wa: Harness, wa_runtime: Runtime) -> None:
    await onboard(wa)
    options = [[Button(f"Option number {i:02}", payload=f"page:nope{i}")] for i in range(22)]
    options.append([Button("🏠 Menu", payload="menu")])
    await wa.channel.converse(USER, [Reply("Pick one of many:", options)])
    wa.batch = [wa.graph.sent[-1]]
    rows = wa.batch[0]["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[-1]["id"].startswith("wamore:")
    assert [r["title"] for r in rows[:9]] == [f"Option number {i:02}" for i in range(9)]
    await wa.press("Pilihan lain")
    rows = wa.batch[0]["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["title"] == "Option number 09" and rows[-1]["id"].startswith("wamore:")
    await wa.press("Pilihan lain")
    assert wa.options == [f"Option number {i:02}" for i in range(18, 22)] + ["🏠 Menu"]
    await wa.press("Menu")
    assert wa.kinds == ["list"] and "Bekal hari H" in " ".join(wa.options)
    # A "more" row of a list that was replaced since is stale: the core says so.
    await wa.tap("wamore:00000000:1", kind="list_reply")
    assert "Tombol itu dari obrolan sebelumnya" in wa.text


async def test_location_and_unsupported_messages(
    wa: Harness, wa_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await onboard(wa)
    events = capture_events(wa_runtime, monkeypatch)
    await wa.deliver(wa.message("location", {"latitude": -6.2, "longitude": 106.8}))
    assert "Makasih lokasinya" in wa.text
    assert (events[-1].latitude, events[-1].longitude) == (-6.2, 106.8)  # type: ignore[union-attr]
    kinds = {
        "sticker": "sticker",
        "audio": "voice",
        "video": "video",
        "document": "document",
        "contacts": "contact",
        "reaction": "reaction",
    }
    for wa_kind, core_kind in kinds.items():
        body: dict[str, Any] = {"id": "1"} if wa_kind != "contacts" else {}
        message = wa.message(wa_kind, body)
        if wa_kind == "contacts":
            message["contacts"] = [{"name": {"formatted_name": "X"}}]
        await wa.deliver(message)
        assert events[-1].kind == core_kind  # type: ignore[union-attr]
        assert "Tulis aja pertanyaanmu" in wa.text
    await wa.deliver(wa.message("image", {"id": "555001", "mime_type": "image/png"}))
    assert events[-1].kind == "photo"  # type: ignore[union-attr]
    # No flow asked for a photo: it is not downloaded (WhatsApp media is fetched only on demand).
    assert events[-1].data is None  # type: ignore[union-attr]
    wa.graph.media["555002"] = b"x" * (6 * 1024 * 1024)
    await wa.deliver(wa.message("image", {"id": "555002"}))
    assert events[-1].kind == "photo" and events[-1].data is None  # type: ignore[union-attr]
    assert wa.graph.unauthorised == 0


async def test_images_are_uploaded_then_sent_by_id(wa: Harness) -> None:
    reply = Reply("Here it is", image=Image(PHOTO, "certificate.png", "Your **certificate**"))
    await wa.channel.converse(USER, [reply])
    assert wa.graph.uploads[-1]["data"] == PHOTO
    assert wa.graph.uploads[-1]["type"] == "image/png"
    image, text = wa.graph.sent[-2:]
    assert image["type"] == "image" and image["image"]["id"] == "771"
    assert image["image"]["caption"] == "Your *certificate*"
    assert text["text"]["body"] == "Here it is"


async def test_location_requests_and_links(wa: Harness) -> None:
    await wa.channel.converse(
        USER,
        [
            Reply("Share where you are", [[Button("Menu", payload="menu")]], request_location=True),
            Reply("Check here", [[Button("Cek DPT", url="https://cekdptonline.kpu.go.id")]]),
        ],
    )
    kinds = [m["interactive"]["type"] for m in wa.graph.sent[-3:]]
    assert kinds == ["location_request_message", "button", "cta_url"]
    assert wa.graph.sent[-3]["interactive"]["action"] == {"name": "send_location"}
    cta = wa.graph.sent[-1]["interactive"]["action"]["parameters"]
    assert cta == {"display_text": "Cek DPT", "url": "https://cekdptonline.kpu.go.id"}


async def test_opt_out_and_back_in_by_keyword(wa: Harness, wa_runtime: Runtime) -> None:
    await wa.say("/start")
    await wa.press("Bahasa Indonesia")
    await wa.press("Ya, ingatkan aku")
    assert (await get_user(wa_runtime)).opted_in
    await wa.say("STOP")
    assert "aku nggak akan kirim pengingat lagi" in wa.text
    assert not (await get_user(wa_runtime)).opted_in
    await wa.say("MULAI")
    assert "kamu berlangganan pengingat" in wa.text
    assert (await get_user(wa_runtime)).opted_in
    await wa.say("berhenti")
    assert "aku nggak akan kirim pengingat lagi" in wa.text
    assert not (await get_user(wa_runtime)).opted_in


# --------------------------------------------------------------------------- statuses


async def test_statuses_are_recorded_per_outbound_message(wa: Harness, wa_runtime: Runtime) -> None:
    await wa.say("/start")
    ids = []
    async with wa_runtime.db.transaction() as s:
        rows = (await s.scalars(select(WhatsAppMessage).order_by(WhatsAppMessage.message_id))).all()
        ids = [r.message_id for r in rows]
        assert {r.status for r in rows} == {"accepted"}
        assert {r.kind for r in rows} == {"text", "interactive"}
    first, second = ids[0], ids[1]

    def st(mid: str, state: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": mid,
            "status": state,
            "timestamp": "1750000001",
            "recipient_id": USER,
            **extra,
        }

    failed = st(second, "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    await wa.deliver(
        statuses=[st(first, "sent"), st(first, "read"), st(first, "delivered"), failed]
    )
    async with wa_runtime.db.transaction() as s:
        one = await s.get(WhatsAppMessage, first)
        two = await s.get(WhatsAppMessage, second)
        assert one is not None and one.status == "read" and one.error_code is None
        assert two is not None and two.status == "failed" and two.error_code == 131026
        logged = (
            await s.scalars(
                select(EngagementEvent.properties).where(EngagementEvent.event_type == "whatsapp")
            )
        ).all()
    # "delivered" after "read" does not move the status back, and is not counted again.
    assert [p["status"] for p in logged] == ["sent", "read", "failed"]
    assert logged[2]["error_code"] == 131026
    assert not (await get_user(wa_runtime)).reachable


# --------------------------------------------------------------------------- the 24-hour window


async def make_user(rt: Runtime, hours_ago: float) -> None:
    async with rt.db.transaction() as s:
        user, _ = await repo.get_or_create_user(s, UserRef("whatsapp", USER))
        user.locale = "en"
        user.last_seen_at = utcnow() - timedelta(hours=hours_ago)


async def test_free_form_inside_the_window_template_outside(
    wa: Harness, wa_runtime: Runtime
) -> None:
    channel = wa.channel
    await make_user(wa_runtime, hours_ago=23)
    assert await channel.in_window(USER)
    await channel.send(USER, [Reply("Voting is **tomorrow**")], template="update")
    assert wa.graph.sent[-1]["text"]["body"] == "Voting is *tomorrow*"

    await make_user(wa_runtime, hours_ago=25)
    assert not await channel.in_window(USER)
    before = len(wa.graph.sent)
    with pytest.raises(OutsideWindow) as info:
        await channel.send(USER, [Reply("hello")])
    assert isinstance(info.value, PermanentError) and "24-hour window" in info.value.reason
    assert len(wa.graph.sent) == before
    await channel.send(
        USER, [Reply("hello")], template="update", params={"message": "Voting\nis tomorrow"}
    )
    template = wa.graph.sent[-1]["template"]
    assert template["name"] == "teman_pemilih_update"
    assert template["language"] == {"policy": "deterministic", "code": "en"}
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Voting is tomorrow"}]}
    ]
    with pytest.raises(PermanentError, match="missing message"):
        await channel.send(USER, [Reply("hello")], template="update")
    with pytest.raises(PermanentError, match="no WhatsApp template"):
        await channel.send_template(USER, "nope", {})
    # A user who never wrote is outside the window too.
    with pytest.raises(OutsideWindow):
        await channel.send("6280000000000", [Reply("hello")])


# --------------------------------------------------------------------------- error codes


@pytest.mark.parametrize(
    ("status", "code", "error", "wait"),
    [
        (429, 130429, RetryLater, 5.0),
        (400, 131056, RetryLater, 6.0),
        (400, 131026, Unreachable, None),
        (500, None, TransientError, None),
        (503, 131016, TransientError, None),
        (400, 100, PermanentError, None),
    ],
)
async def test_send_maps_each_error_code(
    wa: Harness,
    wa_runtime: Runtime,
    status: int,
    code: int | None,
    error: type[Exception],
    wait: float | None,
) -> None:
    await make_user(wa_runtime, hours_ago=1)
    wa.graph.fail(code, status=status)
    with pytest.raises(error) as info:
        await wa.channel.send(USER, [Reply("hi")])
    assert type(info.value) is error
    if wait is not None:
        assert info.value.retry_after == wait  # type: ignore[attr-defined]
    user = await get_user(wa_runtime)
    assert user.reachable == (code != 131026)
    if code == 131026:
        with pytest.raises(Unreachable):
            await wa.channel.send(USER, [Reply("hi")])


async def test_131047_switches_to_the_template(wa: Harness, wa_runtime: Runtime) -> None:
    await make_user(wa_runtime, hours_ago=1)
    wa.graph.fail(131047)
    await wa.channel.send(USER, [Reply("hi")], template="update", params={"message": "x"})
    assert wa.graph.sent[-1]["type"] == "template"
    wa.graph.fail(131047)
    with pytest.raises(OutsideWindow):
        await wa.channel.send(USER, [Reply("hi")])


async def test_network_errors_are_transient(wa: Harness, wa_runtime: Runtime) -> None:
    await make_user(wa_runtime, hours_ago=1)
    wa.channel.api.base_url = "http://127.0.0.1:1/v26.0"
    with pytest.raises(TransientError):
        await wa.channel.send(USER, [Reply("hi")])


async def test_conversations_retry_rate_limits_then_deliver(
    wa: Harness, wa_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    wa.channel.sleep = no_sleep
    wa.channel.max_backoff = 30.0
    wa.graph.fail(131056)  # the pair limit: this one chat only
    before = utcnow()
    await wa.say("/start")
    assert waits == [6.0]
    assert await fleet.held_until(wa_runtime.db, "pause:whatsapp", before) is None
    wa.graph.fail(130429, status=429)  # the number's throughput: the fleet's sender waits too
    await wa.say("/start")
    assert waits == [6.0, 5.0]
    assert "Teman Pemilih" in wa.text and wa.options == ["Bahasa Indonesia", "English"]
    until = await fleet.held_until(wa_runtime.db, "pause:whatsapp", before)
    assert until is not None and until - before >= timedelta(seconds=5)


async def test_conversation_errors_are_logged_and_never_crash(
    wa: Harness, wa_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    wa.graph.fail(None, status=502, times=3)  # every attempt fails: capped at three
    await wa.say("/start")
    assert wa.batch == [] and not wa.graph.errors
    wa.graph.fail(131009)
    await wa.say("halo")
    assert "WhatsApp error 131009" in caplog.text
    assert wa.batch == []
    wa.graph.fail(131026)
    await wa.say("halo")
    assert not (await get_user(wa_runtime)).reachable
    await wa.say("halo")  # the handler still works
    assert wa.options == ["Bahasa Indonesia", "English"]
    assert TOKEN not in caplog.text and USER not in caplog.text


async def test_a_broadcast_uses_the_window_or_the_update_template_and_counts_receipts(
    wa: Harness, wa_runtime: Runtime
) -> None:
    from bot.core.broadcast_stats import STATUS_SOURCES
    from bot.db.models_broadcast import Broadcast, OutboxRow
    from bot.db.models_whatsapp import broadcast_receipts

    text = [Reply("Cek **DPT**-mu\n\nsekarang ya")]
    await make_user(wa_runtime, hours_ago=23)
    inside = await wa.channel.send_broadcast(USER, text)
    assert inside and wa.graph.sent[-1]["text"]["body"].startswith("Cek *DPT*-mu")
    await make_user(wa_runtime, hours_ago=25)
    outside = await wa.channel.send_broadcast(USER, text)
    assert outside and outside != inside
    parameters = wa.graph.sent[-1]["template"]["components"][0]["parameters"]
    assert parameters == [{"type": "text", "text": "Cek DPT-mu sekarang ya"}]

    async with wa_runtime.db.transaction() as s:
        user = await repo.get_user(s, UserRef("whatsapp", USER))
        assert user is not None
        broadcast = Broadcast(title="t", texts={}, segment="all", status="sending", created_by="t")
        s.add(broadcast)
        await s.flush()
        s.add(
            OutboxRow(
                broadcast_id=broadcast.id,
                user_id=user.id,
                channel="whatsapp",
                status="sent",
                message_id=outside,
            )
        )
        broadcast_id = broadcast.id
    status = {"id": outside, "timestamp": "1750000001", "recipient_id": USER}
    await wa.deliver(statuses=[{**status, "status": "delivered"}, {**status, "status": "read"}])
    assert broadcast_receipts in STATUS_SOURCES
    async with wa_runtime.db.transaction() as s:
        assert await broadcast_receipts(s, broadcast_id) == {"delivered": 1, "read": 1}
        # The engagement report counts them for the broadcast too.
        report = await build_report(s, Period.parse(until=utcnow().date().isoformat()))
    rows = report["broadcasts"]["by_broadcast"]
    [row] = [r for r in rows if r["broadcast_id"] == str(broadcast_id)]
    assert (row["delivered"], row["read"]) == (1, 1)
