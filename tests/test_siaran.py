"""``/siaran`` in chat: permissions, composing, segments, preview, approval by another admin."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import Settings
from bot.db.models_broadcast import AuditEntry, Broadcast
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import NoteChannel, add_users, deliver_notifications, outbox
from tests.conftest import make_settings
from tests.dialog import Dialog


async def onboard(d: Dialog, *, english: bool = True) -> None:
    await d.say("/start")
    await d.press("English" if english else "Bahasa Indonesia")
    await d.tap("optin:no")


async def test_a_normal_user_is_refused_kindly(dialog: Dialog) -> None:
    await onboard(dialog)
    await dialog.say("/siaran")
    assert "only for the Teman Pemilih volunteer team" in dialog.text
    assert dialog.buttons == ["🏠 Menu"]
    await dialog.tap("siaran:send")  # a forged button does nothing
    assert "no longer works" in dialog.text
    await dialog.tap("siaran:approve:1")
    assert "Only an admin" in dialog.text


async def test_a_volunteer_writes_picks_a_segment_and_sends(runtime: Runtime) -> None:
    await add_users(runtime, ["a", "b", "c"])
    d = Dialog(runtime.core, user="vol")
    await onboard(d)
    await add_users(runtime, ["vol"], opted_in=False, role="volunteer")
    await d.say("/siaran")
    assert "New broadcast" in d.text and "Pengingat cek DPT" in d.buttons
    await d.say("Jangan lupa cek DPT ya!")
    assert "Who should get it?" in d.text
    await d.press("Everyone subscribed")
    assert "It will go to 3 people (all)" in d.text
    assert "Jangan lupa cek DPT ya!" in d.text and "/stop" in d.text  # the footer in English
    await d.press("Send")
    assert "Broadcast #1 is queued for 3 people" in d.text
    async with runtime.db.sessions() as s:
        b = (await s.scalars(select(Broadcast))).one()
        assert b.texts == {"en": "Jangan lupa cek DPT ya!"} and b.created_by == "test:vol"
        assert b.status == "queued"
    assert len(await outbox(runtime, 1)) == 3


async def test_a_typed_segment_is_checked(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="vol")
    await onboard(d)
    await add_users(runtime, ["vol"], opted_in=False, role="admin")
    await add_users(runtime, ["x"], locale="id")
    await d.say("/siaran")
    await d.press("Pengingat cek DPT")
    await d.say("locale=xx,bogus")
    assert "I couldn't use that segment" in d.text and "bogus" in d.text
    await d.say("locale=en")
    assert "Nobody subscribed is in that group" in d.text
    await d.say("locale=id")
    assert "It will go to 1 person" in d.text
    assert "Namamu sudah ada di daftar pemilih?" not in d.text
    assert "Is your name on the voter list?" in d.text  # the preview is in the sender's language
    await d.press("Cancel")
    assert "nothing was sent" in d.text
    async with runtime.db.sessions() as s:
        assert (await s.scalars(select(Broadcast))).all() == []


async def approval_runtime(db_url: str) -> tuple[Settings, Runtime]:
    settings = make_settings(db_url, VOTEBOT_BROADCAST_APPROVAL="1")
    return settings, await open_runtime(settings)


async def test_two_person_rule_in_chat(db_url: str) -> None:
    _, runtime = await approval_runtime(db_url)
    try:
        channel = NoteChannel()
        notes = channel.sent

        async def deliver() -> None:
            await deliver_notifications(runtime, {"test": channel})

        await add_users(runtime, ["a", "b"])
        vol, admin = Dialog(runtime.core, user="vol"), Dialog(runtime.core, user="boss")
        await onboard(vol)
        await onboard(admin)
        await add_users(runtime, ["vol"], opted_in=False, role="volunteer")
        await add_users(runtime, ["boss"], opted_in=False, role="admin")
        await vol.say("/siaran")
        await vol.say("Besok hari pencoblosan!")
        await vol.press("Everyone subscribed")
        await vol.press("Send")
        assert "waiting for an admin's approval" in vol.text
        await deliver()
        assert [n[0] for n in notes] == ["boss"]
        assert "needs your approval" in notes[0][1][0].text
        approve = notes[0][1][1].buttons[0][0]
        await vol.tap(approve.payload or "")  # the volunteer cannot approve
        assert "Only an admin" in vol.text
        notes.clear()
        await admin.tap(approve.payload or "")
        assert "Approved: broadcast #1" in admin.text
        await deliver()
        assert notes and notes[0][0] == "vol" and "was approved" in notes[0][1][0].text
        await admin.tap(approve.payload or "")
        assert "no longer waiting" in admin.text
        async with runtime.db.sessions() as s:
            b = await s.get(Broadcast, 1)
            # approved, then sent by the outbox's sender (which also delivered the notes)
            assert b is not None and b.status == "finished" and b.approved_by == "test:boss"
            actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert list(actions)[-3:] == ["broadcast_create", "broadcast_approve", "broadcast_finish"]
    finally:
        await runtime.close()


async def test_an_admins_own_broadcast_needs_no_approval_and_admins_can_reject(db_url: str) -> None:
    from bot.core import broadcasts as bc
    from bot.core.segments import parse_segment

    settings, runtime = await approval_runtime(db_url)
    try:
        await add_users(runtime, ["a"])
        (vol,) = await add_users(runtime, ["vol"], role="volunteer")
        (boss,) = await add_users(runtime, ["boss"], role="admin")
        async with runtime.db.transaction() as s:
            b = await bc.create_broadcast(
                s,
                settings,
                title="t",
                texts={"id": "x"},
                segment=parse_segment("all"),
                creator=await s.get(type(vol), vol.id),
            )
            assert b.status == "awaiting_approval"
            mine = await bc.create_broadcast(
                s,
                settings,
                title="t",
                texts={"id": "x"},
                segment=parse_segment("all"),
                creator=await s.get(type(boss), boss.id),
            )
            assert mine.status == "queued"  # an admin's own broadcast needs no approval
        d = Dialog(runtime.core, user="boss")
        await d.tap(f"siaran:reject:{b.id}")
        assert "Siaran #1 ditolak" in d.text  # in the admin's language
        assert {r.status for r in await outbox(runtime, b.id)} == {"skipped"}
    finally:
        await runtime.close()
