"""Opening and closing a poll: the invitation through the outbox, the one result message per
respondent for their area (or "too few answers"), consent, unlinked open answers, deletion."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core import broadcasts as bc
from bot.core import notifications
from bot.core.formatting import to_plain
from bot.core.polls import store
from bot.core.polls.results import compute
from bot.db.models import Region, utcnow
from bot.db.models_broadcast import Broadcast, Notification, OutboxRow
from bot.db.models_poll import PollOpenAnswer, PollRespondent
from bot.polls.service import run_due
from bot.runtime import Runtime
from bot.tps.regions_data import import_regions
from tests.dialog import Dialog
from tests.poll_helpers import POLL_ID, open_example_poll


async def three_kabupaten(runtime: Runtime) -> list[tuple[int, str]]:
    """A kelurahan in each of three kabupaten/kota of DKI Jakarta, with the kabupaten's name."""
    async with runtime.db.transaction() as session:
        await import_regions(session, provinces=["DKI Jakarta"])
    async with runtime.db.sessions() as session:
        kabs = (
            await session.execute(
                select(Region.id, Region.name)
                .where(Region.level == "kabupaten")
                .order_by(Region.id)
                .limit(3)
            )
        ).all()
        out = []
        for kab_id, name in kabs:
            kel = await session.scalar(
                select(Region.id).where(Region.level == "kelurahan", Region.kabupaten_id == kab_id)
            )
            assert kel is not None
            out.append((kel, name))
        return out


async def respond(
    runtime: Runtime, user: str, kelurahan: int | None, *, notify: bool = True, text: str = ""
) -> Dialog:
    d = Dialog(runtime.core, user=user)
    if kelurahan is not None:
        await d.tap(f"tps:save:{kelurahan}")  # "⭐ Save as my area" under a TPS
        assert "Tersimpan" in d.text or "area" in d.text.casefold()
    await d.say("ada polling?")
    await d.press("A. Udah")
    await d.say("A, C")
    await d.say("setuju banget")
    await d.say(text or "lewati")
    await d.press("21–25")
    await d.press("Ya, kabari" if notify else "Nggak, makasih")
    assert "tersimpan" in d.text
    return d


async def test_close_the_loop_per_region(runtime: Runtime) -> None:
    (k1, k1_name), (k2, k2_name), (k3, _) = await three_kabupaten(runtime)
    await open_example_poll(runtime.db)
    big = [await respond(runtime, f"k1-{i}", k1) for i in range(11)]
    big.append(await respond(runtime, "k1-11", k1, text="Cara pindah TPS? wa 081234567890"))
    for i in range(3):
        await respond(runtime, f"k2-{i}", k2)
    await respond(runtime, "k3-0", k3)
    await respond(runtime, "k3-1", k3, notify=False)
    # One withdraws every consent (STOP), one deletes their data.
    await big[0].say("STOP")
    await big[1].say("/hapus")
    await big[1].press("Ya, hapus")
    async with runtime.db.sessions() as session:
        poll = await store.get_poll(session, POLL_ID)
        before = await compute(session, poll)
    # The one who stopped messages still counts; the deleted one does not.
    assert before.respondents == 16

    _, closed = await run_due(runtime, utcnow() + timedelta(days=2))
    assert closed == {POLL_ID: 10 + 3 + 1}
    again = await run_due(runtime, utcnow() + timedelta(days=3))
    assert again == ([], {})  # one message per respondent, ever

    async with runtime.db.sessions() as session:
        rows = (await session.scalars(select(Notification).order_by(Notification.id))).all()
        opens = (
            await session.execute(select(PollOpenAnswer.respondent_id, PollOpenAnswer.text))
        ).all()
        respondents = await session.scalar(select(func.count()).select_from(PollRespondent))
    assert respondents == 16
    assert opens == [(None, "Cara pindah TPS? wa [number]")]
    by_user = {r.external_id: r for r in rows}
    assert set(by_user) == {f"k1-{i}" for i in range(2, 12)} | {f"k2-{i}" for i in range(3)} | {
        "k3-0"
    }
    for row in rows:
        assert row.consent == "poll_results" and row.status == "pending"
        assert notifications.template_of(row.replies) is not None
    k1_replies = notifications.load_replies(by_user["k1-5"].replies)
    assert len(k1_replies) == 1  # ONE message: the chart with the figures as its caption
    image = k1_replies[0].image
    assert image is not None and image.data[:4] == b"\x89PNG"
    text = to_plain(image.caption)
    # Kabupaten 2 (3) and 3 (2) are hidden; together they cannot be told apart, so 1 shows.
    assert f"{k1_name} (11): Udah pernah 100%" in text
    assert "Daerah Khusus Ibukota Jakarta (16)" in text and "Indonesia (16)" in text
    assert "masih terlalu sedikit" not in text
    k2_image = notifications.load_replies(by_user["k2-0"].replies)[0].image
    assert k2_image is not None
    k2_text = to_plain(k2_image.caption)
    assert "masih terlalu sedikit" in k2_text and "Daerah Khusus Ibukota Jakarta (16)" in k2_text
    assert k2_name not in k2_text
    template = notifications.template_of(by_user["k2-0"].replies)
    assert template is not None and template[0] == "poll-result"
    assert "Indonesia" in template[1]["message"]


async def test_invitation_goes_through_the_outbox_with_its_button(runtime: Runtime) -> None:
    d = Dialog(runtime.core, user="subscriber")
    await d.say("/langganan")
    await open_example_poll(runtime.db, segment="all")
    invited, _ = await run_due(runtime, utcnow())
    assert invited == [POLL_ID]
    async with runtime.db.sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None and broadcast.content_id == f"poll:{POLL_ID}"
        assert broadcast.expires_at is not None
        outbox = await session.scalar(select(func.count()).select_from(OutboxRow))
    assert outbox == 1
    replies = bc.render_for(broadcast, runtime.core.translator("id"), "id")
    labels = [b.label for b in replies[0].all_buttons()]
    assert labels[0] == "🗳️ Jawab pollingnya"
    await d.tap(replies[0].all_buttons()[0].payload or "")
    assert "1 dari 4" in d.text
    assert (await run_due(runtime, utcnow()))[0] == []  # invited once
