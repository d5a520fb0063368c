"""Cek Fakta with the database: the private queue, checkers, notify-once, every worker, /hapus."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from bot import ROOT
from bot.core.events import UserRef
from bot.core.factcheck.images import phash_hex
from bot.core.replies import Reply
from bot.core.roles import CHECKER, set_role
from bot.db.models import EngagementEvent
from bot.db.models_broadcast import Notification
from bot.db.models_claims import ClaimFollower, ClaimReport, ClaimSighting
from bot.runtime import Runtime, open_runtime
from tests.broadcast_helpers import NoteChannel, deliver_notifications
from tests.conftest import make_settings
from tests.dialog import Dialog

UNKNOWN = (
    "Diteruskan dari Pak Budi Santoso\nBesok semua TPS di Kecamatan Sukamaju dipindah ke balai "
    "desa karena banjir, info hubungi 0812-3456-7890 atau budi.santoso@mail.com "
    "https://www.example.com/info?utm_source=wa&id=7 SEBARKAN"
)


async def count(rt: Runtime, model: type) -> int:
    async with rt.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_unknown_claim_is_queued_scrubbed_and_grouped(runtime: Runtime) -> None:
    d = Dialog(runtime.core, "asker")
    await d.say(UNKNOWN)
    assert "belum punya hasil cek" in d.text
    assert await count(runtime, ClaimReport) == 0  # nothing kept before the user agrees
    await d.press("Kirim ke tim")
    assert "sudah diterima tim" in d.text
    other = Dialog(runtime.core, "someone-else")
    await other.say(UNKNOWN.replace("Pak Budi Santoso", "Tante Rina").replace("7890", "7891"))
    await other.press("Kirim ke tim")
    async with runtime.db.transaction() as s:
        reports = (await s.scalars(select(ClaimReport))).all()
        sightings = (await s.scalars(select(ClaimSighting))).all()
        followers = (await s.scalars(select(ClaimFollower))).all()
    assert len(reports) == 1 and reports[0].count == 2
    stored = reports[0].text
    for secret in ("Budi", "Santoso", "0812", "3456", "@mail.com", "utm_source", "Rina"):
        assert secret not in stored, stored
    assert "example.com/info?id=7" in stored and "[nomor]" in stored
    assert reports[0].urls == ["example.com/info?id=7"]
    assert len(sightings) == 2 and followers == []
    # the engagement log knows what happened, never the text
    async with runtime.db.transaction() as s:
        props = [e.properties for e in (await s.scalars(select(EngagementEvent))).all()]
    assert not any("Sukamaju" in str(p) for p in props)


async def test_a_captioned_photo_is_checked_and_queued_like_its_caption(runtime: Runtime) -> None:
    d = Dialog(runtime.core, "photo-asker")
    # a NUL in the caption (PostgreSQL refuses it in text) is dropped like in a typed message
    await d.media("photo", caption=UNKNOWN.replace("Besok", "Besok\x00"))
    assert "belum punya hasil cek" in d.text
    await d.press("Kirim ke tim")
    async with runtime.db.transaction() as s:
        report = (await s.scalars(select(ClaimReport))).one()
    assert "Sukamaju" in report.text and "\x00" not in report.text
    for secret in ("Budi", "0812", "@mail.com", "utm_source"):
        assert secret not in report.text
    await d.media("photo", caption="GEGER!!! surat suara sudah dicoblos di Tanjung Priok SEBARKAN")
    assert "HOAKS" in d.text
    async with runtime.db.transaction() as s:
        props = [e.properties for e in (await s.scalars(select(EngagementEvent))).all()]
    assert {"claim", "verdict", "via"} <= set(props[-1]) and props[-1]["via"] == "caption"
    assert not any("Sukamaju" in str(p) or "GEGER" in str(p) for p in props)
    # a photo without a caption outside Cek Fakta keeps the usual answer
    await d.media("photo")
    assert "HOAKS" not in d.text and "belum bisa buka" in d.text


async def delivered(runtime: Runtime) -> list[tuple[str, list[Reply]]]:
    """What the outbox sends to users of the test channel now (as ``serve`` would)."""
    channel = NoteChannel()
    await deliver_notifications(runtime, {"test": channel})
    return channel.sent


async def test_a_checker_publishes_and_the_asker_is_told_once(runtime: Runtime) -> None:
    asker = Dialog(runtime.core, "asker")
    await asker.say(UNKNOWN)
    await asker.press("Kirim & kabari")
    assert "sekali" in asker.text
    assert await count(runtime, ClaimFollower) == 1

    nobody = Dialog(runtime.core, "nobody")
    await nobody.say("/periksa")
    assert "khusus tim" in nobody.text

    async with runtime.db.transaction() as s:
        await set_role(s, UserRef("test", "checker"), CHECKER)
    checker = Dialog(runtime.core, "checker")
    await checker.say("/periksa")
    assert "Sukamaju" in checker.text and "0812" not in checker.text
    publish_payload = checker.button("Terbitkan").payload or ""
    await checker.tap(publish_payload)
    await checker.press("HOAKS")
    await checker.say("Ini contoh penjelasan dari tim: KPU setempat tidak memindahkan TPS.")
    await checker.say("Cuma satu kalimat tanpa link.")
    assert "tepat satu link" in checker.text
    await checker.say(
        "Maaf ya, ini sudah dicek tim. KPU setempat bilang TPS nggak dipindah: "
        "https://www.kpu.go.id"
    )
    assert "Terbit" in checker.text and "1" in checker.text
    sent = await delivered(runtime)
    assert [who for who, _ in sent] == ["asker"]
    assert "HOAKS" in sent[0][1][0].text
    assert await count(runtime, ClaimFollower) == 0

    # told once: publishing cannot happen twice, and the old buttons are stale
    await checker.tap(publish_payload)
    assert "Terbit" not in checker.text
    assert await delivered(runtime) == []

    # every worker at once: a second runtime on the same database matches the new verdict
    second = await open_runtime(runtime.core.settings)
    second.core.flood = None
    try:
        late = Dialog(second.core, "late")
        await late.say(UNKNOWN.replace("Pak Budi Santoso", "Om Yos"))
        assert "HOAKS" in late.text and "kpu.go.id" in late.text
    finally:
        await second.close()


async def test_hapus_forgets_who_waits_for_a_verdict(runtime: Runtime) -> None:
    asker = Dialog(runtime.core, "asker")
    await asker.say(UNKNOWN)
    await asker.press("Kirim & kabari")
    assert await count(runtime, ClaimFollower) == 1
    await asker.say("/hapus")
    await asker.press("Ya, hapus")
    assert await count(runtime, ClaimFollower) == 0
    assert await count(runtime, ClaimReport) == 1  # the scrubbed claim stays for the team


async def test_stop_means_no_verdict_notice_follows(runtime: Runtime) -> None:
    asker = Dialog(runtime.core, "asker")
    await asker.say(UNKNOWN)
    await asker.press("Kirim & kabari")
    assert await count(runtime, ClaimFollower) == 1
    await asker.say("BERHENTI")
    assert await count(runtime, ClaimFollower) == 0

    async with runtime.db.transaction() as s:
        await set_role(s, UserRef("test", "checker"), CHECKER)
    checker = Dialog(runtime.core, "checker")
    await checker.say("/periksa")
    await checker.tap(checker.button("Terbitkan").payload or "")
    await checker.press("HOAKS")
    await checker.say("Ini contoh penjelasan dari tim: KPU setempat tidak memindahkan TPS.")
    await checker.say(
        "Maaf ya, ini sudah dicek tim. KPU setempat bilang TPS nggak dipindah: "
        "https://www.kpu.go.id"
    )
    assert "Terbit" in checker.text
    # The verdict is published; the person who said STOP hears nothing.
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0
    assert await delivered(runtime) == []


def picture(seed: int, size: int = 256) -> bytes:
    img = Image.new("RGB", (size, size), (240, 240, 240))
    draw = ImageDraw.Draw(img)
    for i in range(8):
        x = (seed * 37 + i * 53) % (size - 40)
        y = (seed * 91 + i * 29) % (size - 40)
        draw.rectangle([x, y, x + 30 + i * 3, y + 20], fill=((seed * 40 + i * 30) % 255, 20, 90))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


async def test_a_forwarded_picture_matches_by_perceptual_hash(db_url: str, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    original = picture(3)
    digest = phash_hex(original)
    assert digest is not None
    path = content / "id" / "claims" / "kotak-suara-kardus-ditukar.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "sources:\n", f"image_hashes:\n- {digest}\nsources:\n", 1
        ),
        encoding="utf-8",
    )
    rt = await open_runtime(make_settings(db_url, VOTEBOT_CONTENT_DIR=content))
    rt.core.flood = None
    try:
        d = Dialog(rt.core, "pic")
        await d.say("/cek")
        assert "gambarnya" in d.text
        # the same picture, smaller and recompressed, as a forward would arrive
        img = Image.open(io.BytesIO(original)).resize((180, 180))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=60)
        await d.media("photo", buf.getvalue())
        assert "HOAKS" in d.text and "kardus" in d.text.lower()
        await d.say("/cek")
        await d.media("photo", picture(11))
        assert "belum kenal gambar ini" in d.text
    finally:
        await rt.close()


async def test_an_offer_not_taken_is_forgotten_at_the_next_message(runtime: Runtime) -> None:
    d = Dialog(runtime.core, "shy")
    await d.say(UNKNOWN)
    send = d.button("Kirim ke tim").payload or ""
    await d.say("makasih")
    await d.tap(send)
    assert "sudah diterima tim" not in d.text
    assert await count(runtime, ClaimReport) == 0
